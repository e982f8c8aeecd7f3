"""Executing a cached operation from its plan: graphql-core's semantics, less of its machinery.

A subgraph answers the same few operations all day (the router's query plans), yet
graphql-core 3.3 executes each request as if it had never seen the document: it collects
every selection set again, looks every field up, and runs each value through a general
completion path built for `@defer`, `@stream`, abort signals and execution hooks. In
the pipeline every request runs right after a model's forward pass has swept the CPU
caches, so the amount of code and data a request touches is what it costs
(bench/pipeline.md).

`compiled_execution_class(base)` subclasses a schema's execution context class (the one
strawberry would use, so strawberry's resolve info and its `operation_extensions` stay)
and overrides only its public `execute_operation`: an operation that `plannable` accepts
is run from its `OperationPlan`, kept per operation node, by `_Run` below, with the same
resolvers called with the same info (where strawberry's resolver would only `getattr` a
basic field's attribute, the plan reads it itself), the same value completion (non-null, lists,
leaves through `coerce_output_value`, abstract types, `is_type_of`), the same
concurrency (sibling awaitables gathered), the same errors, messages and paths, and
nulls propagated to the nearest nullable parent. Anything else (directives, introspection,
subscriptions, abort signals, execution hooks, resolver middleware from schema
extensions) runs graphql-core's own `execute_operation`.

`CHORUS_COMPILED_EXECUTION=0` keeps graphql-core's execution for every operation.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, cast

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    located_error,
)
from graphql.execution import get_argument_values
from graphql.language import FieldNode
from graphql.pyutils import (
    Path,
    Undefined,
    gather_with_cancel,
    inspect,
    is_iterable,
)
from graphql.type import is_abstract_type
from strawberry.schema import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from subgraphs.kit.bounded_map import BoundedMap
from subgraphs.kit.operation_plan import FieldKinds, FieldPlan, OperationPlan, plannable

ENV = "CHORUS_COMPILED_EXECUTION"
# a resolve info, or None where the plan found none is needed
Info = GraphQLResolveInfo[Any] | None
_LEAF = (GraphQLScalarType, GraphQLEnumType)


class PlanCache:
    """Operation node -> its plan (or None: graphql-core runs it); bounded, first in first out.

    Keyed on the node's identity: the kit's query cache hands out the same document for
    the same query text. The entry keeps the node, so its id is not reused while cached.
    """

    def __init__(self, kinds: FieldKinds, maxsize: int = 1024) -> None:
        self.kinds = kinds
        # the graphql-core schema strawberry executes on, as the first execution showed it
        self.graphql_schema: GraphQLSchema | None = None
        self._entries: BoundedMap[int, tuple[OperationDefinitionNode, OperationPlan | None]]
        self._entries = BoundedMap(maxsize)

    def __len__(self) -> int:
        return len(self._entries)

    def plans(self) -> list[OperationPlan | None]:
        """The cached plans, oldest first (None where graphql-core runs the operation)."""
        return [plan for _, plan in self._entries.values()]

    def plan(self, executor: Any) -> OperationPlan | None:
        operation: OperationDefinitionNode = executor.operation
        self.graphql_schema = executor.schema
        entry = self._entries.get(id(operation))
        if entry is not None and entry[0] is operation:
            return entry[1]
        plan = _compile(executor, operation, self.kinds)
        self._entries.put(id(operation), (operation, plan))
        return plan


def _compile(
    executor: Any, operation: OperationDefinitionNode, kinds: FieldKinds
) -> OperationPlan | None:
    fragments: dict[str, FragmentDefinitionNode] = executor.fragment_definitions
    if not plannable(operation, fragments):
        return None
    root_type = executor.schema.get_root_type(operation.operation)
    if root_type is None:  # graphql-core's error for it
        return None
    return OperationPlan(executor.schema, operation, fragments, root_type, kinds)


class CompiledExecution:
    """Mixin for an execution context class: plannable operations run from their plan."""

    plans: ClassVar[PlanCache]

    def execute_operation(self, serially: bool | None = None) -> Any:
        executor: Any = self
        plan = None
        if (
            serially is None
            and getattr(executor, "abort_signal", None) is None
            and getattr(executor, "hooks", None) is None
            and not getattr(executor, "enable_early_execution", False)
            and getattr(executor, "error_propagation", True)
            and not _has_middleware(executor.middleware_manager)
        ):
            plan = self.plans.plan(executor)
        if plan is None:
            return super().execute_operation(serially)  # type: ignore[misc]
        return _Run(executor, plan).operation()


def _has_middleware(manager: Any) -> bool:
    return manager is not None and bool(getattr(manager, "middlewares", ()))


def compiled_execution_class(
    base: type,
    basic: Callable[[GraphQLField], bool],
    cache_size: int = 1024,
    attribute: Callable[[GraphQLField], str | None] | None = None,
) -> type:
    """`base` (an execution context class) running plannable operations from their plans.

    `basic(field)` tells the fields whose resolver reads an attribute and needs no info;
    `attribute(field)` the attribute such a resolver reads with `getattr`, read directly.
    """
    if issubclass(base, CompiledExecution):
        return base
    plans = PlanCache(FieldKinds(Completers(), basic, attribute), cache_size)
    return type(
        f"Compiled{base.__name__}",
        (CompiledExecution, base),
        {"plans": plans, "__module__": __name__},
    )


def strawberry_basic_fields(schema: Schema) -> Callable[[GraphQLField], bool]:
    """Strawberry's basic fields (`StrawberryField.is_basic_field`: no resolver, no field
    extensions) get a resolver that reads the attribute and ignores its info, unless an
    exception handler of the schema may apply to them; then every field gets an info."""
    if getattr(schema, "exception_handlers", ()):
        return _never

    def basic(definition: GraphQLField) -> bool:
        return _basic_field(definition) is not None

    return basic


def strawberry_attribute_reads(schema: Schema) -> Callable[[GraphQLField], str | None] | None:
    """The attribute a basic field's resolver reads when the schema's default resolver is
    the builtin `getattr` (strawberry's default): its `python_name`. Such a resolver is a
    chain of four calls (`get_result`, `base_resolver`, `python_name`, `getattr`) that the
    plan replaces with the last; a schema with another default resolver, or exception
    handlers, keeps strawberry's resolver for every field (None)."""
    if getattr(schema, "exception_handlers", ()):
        return None
    if getattr(schema.config, "default_resolver", getattr) is not getattr:
        return None

    def attribute(definition: GraphQLField) -> str | None:
        field = _basic_field(definition)
        name = field.python_name if field is not None else None
        return name if isinstance(name, str) and name else None

    return attribute


def _basic_field(definition: GraphQLField) -> StrawberryField | None:
    """The strawberry field behind `definition` when it is basic (no resolver, no field
    extensions), else None."""
    field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return field if isinstance(field, StrawberryField) and field.is_basic_field else None


def _never(_definition: GraphQLField) -> bool:
    return False


def supports(base: type) -> bool:
    """Does `base` have what the compiled path reads (graphql-core 3.3's executor)?"""
    return all(
        callable(getattr(base, name, None)) for name in ("execute_operation", "build_resolve_info")
    ) and hasattr(GraphQLString, "coerce_output_value")


def with_compiled_execution(schema: Any, enabled: bool | None = None) -> str | None:
    """Run `schema`'s plannable operations from plans; the reason when it stays as it is.

    `enabled` None reads `CHORUS_COMPILED_EXECUTION` (on unless `0`). The schema keeps
    its own execution context class underneath (strawberry's, or one it was given).
    """
    if enabled is None:
        enabled = os.environ.get(ENV, "1").strip() != "0"
    if not enabled:
        return "switched off"
    if not isinstance(schema, Schema):
        return f"{type(schema).__name__} is not a strawberry Schema"
    if getattr(schema.config, "enable_experimental_incremental_execution", False):
        return "incremental delivery (@defer/@stream) is enabled"
    base = getattr(schema, "execution_context_class", None)
    if not isinstance(base, type) or not supports(base):
        return "the execution context class lacks graphql-core 3.3's executor API"
    schema.execution_context_class = compiled_execution_class(
        base, strawberry_basic_fields(schema), attribute=strawberry_attribute_reads(schema)
    )
    return None


class _Run:
    """One execution of a plan: the executor's values, the errors collected so far."""

    __slots__ = (
        "errors",
        "executor",
        "field_resolver",
        "info",
        "is_async_iterable",
        "is_awaitable",
        "nulled",
        "plan",
        "type_resolver",
    )

    def __init__(self, executor: Any, plan: OperationPlan) -> None:
        self.executor = executor
        self.plan = plan
        self.is_awaitable = executor.is_awaitable
        self.is_async_iterable = executor.is_async_iterable
        self.field_resolver = executor.field_resolver
        self.type_resolver = executor.type_resolver
        self.info = executor.build_resolve_info
        self.errors: list[GraphQLError] = []
        self.nulled: set[Path | None] = set()

    # ---- the operation --------------------------------------------------------------------
    def operation(self) -> Any:
        plan, executor = self.plan, self.executor
        serially = plan.operation.operation.value == "mutation"
        run_fields = self.fields_serially if serially else self.fields
        try:
            data = run_fields(plan.root_type, executor.root_value, None, plan.root_fields)
        except GraphQLError as error:
            self.add(error, None)
            return self.response(None)
        if self.is_awaitable(data):
            return self.await_response(data)
        return self.response(data)

    async def await_response(self, data: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            return self.response(await data)
        except GraphQLError as error:
            self.add(error, None)
            return self.response(None)

    def response(self, data: dict[str, Any] | None) -> ExecutionResult:
        return ExecutionResult(data, self.errors or None)

    # ---- errors -----------------------------------------------------------------------------
    def add(self, error: GraphQLError, path: Path | None) -> None:
        """Keep an error unless its position or an ancestor's was already nulled."""
        nulled = self.nulled
        if None in nulled:
            return
        position = path
        while position is not None:
            if position in nulled:
                return
            position = position.prev
        nulled.add(path)
        self.errors.append(error)

    def field_error(
        self, raw: Exception, return_type: GraphQLOutputType, nodes: list[FieldNode], path: Path
    ) -> None:
        """Null the position, or raise to the parent when the type is non-null."""
        error = located_error(raw, nodes, path.as_list())
        if isinstance(return_type, GraphQLNonNull):
            raise error
        self.add(error, path)

    def settle(self, values: Iterable[Any]) -> None:
        """Let awaitables started before an error finish, their errors retrieved."""
        for value in values:
            if self.is_awaitable(value):
                asyncio.ensure_future(value).add_done_callback(_retrieve)

    # ---- selection sets ---------------------------------------------------------------------
    def fields(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        plans: tuple[FieldPlan, ...],
    ) -> Any:
        results: dict[str, Any] = {}
        pending: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for plan in plans:
                value = self.field(plan, source, Path(path, plan.response_name, parent_type.name))
                results[plan.response_name] = value
                if is_awaitable(value):
                    pending.append(plan.response_name)
        except Exception:
            self.settle(results[name] for name in pending)
            raise
        if not pending:
            return results
        return _gather_into(results, pending)

    def fields_serially(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        plans: tuple[FieldPlan, ...],
    ) -> Any:
        results: dict[str, Any] = {}
        for index, plan in enumerate(plans):
            value = self.field(plan, source, Path(path, plan.response_name, parent_type.name))
            if self.is_awaitable(value):
                return self.rest_serially(parent_type, source, path, plans, index, value, results)
            results[plan.response_name] = value
        return results

    async def rest_serially(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        plans: tuple[FieldPlan, ...],
        index: int,
        value: Any,
        results: dict[str, Any],
    ) -> dict[str, Any]:
        results[plans[index].response_name] = await value
        for plan in plans[index + 1 :]:
            value = self.field(plan, source, Path(path, plan.response_name, parent_type.name))
            if self.is_awaitable(value):
                value = await value
            results[plan.response_name] = value
        return results

    # ---- one field --------------------------------------------------------------------------
    def field(self, plan: FieldPlan, source: Any, path: Path) -> Any:
        definition = plan.definition
        if definition is None:  # __typename
            return plan.parent_type.name
        info = (
            self.info(definition, plan.nodes, plan.parent_type, path) if plan.needs_info else None
        )
        try:
            if plan.attribute is not None:
                result = getattr(source, plan.attribute)
            elif plan.has_args:
                args = get_argument_values(
                    definition,
                    plan.nodes[0],
                    self.executor.variable_values,
                    None,
                    self.executor.hide_suggestions,
                )
                result = (definition.resolve or self.field_resolver)(source, info, **args)
            else:
                result = (definition.resolve or self.field_resolver)(source, info)
            if self.is_awaitable(result):
                return self.await_field(plan, info, path, result)
            completed = plan.complete(self, plan, info, path, result)
            if self.is_awaitable(completed):
                return self.await_completed(completed, plan.return_type, plan, path)
        except Exception as raw:
            self.field_error(raw, plan.return_type, plan.nodes, path)
            return None
        return completed

    async def await_field(
        self, plan: FieldPlan, info: Info, path: Path, result: Awaitable[Any]
    ) -> Any:
        try:
            completed = plan.complete(self, plan, info, path, await result)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            self.field_error(raw, plan.return_type, plan.nodes, path)
            return None
        return completed

    async def await_completed(
        self, completed: Awaitable[Any], return_type: GraphQLOutputType, plan: FieldPlan, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw:
            self.field_error(raw, return_type, plan.nodes, path)
            return None

    # ---- lists, objects, abstract types (leaves and non-null: `Completers`) ------------------
    def complete_list(
        self,
        item_type: GraphQLOutputType,
        complete_item: Completer,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
    ) -> Any:
        if self.is_async_iterable(result):
            return self.complete_async_list(item_type, complete_item, plan, info, path, result)
        if not is_iterable(result):
            raise GraphQLError(
                "Expected Iterable, but did not find one for field"
                f" '{plan.parent_type}.{plan.name}'."
            )
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        pending: list[int] = []
        try:
            for index, item in enumerate(result):
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    completed.append(
                        self.await_item(item, item_type, complete_item, plan, info, item_path)
                    )
                    pending.append(index)
                    continue
                try:
                    value = complete_item(self, plan, info, item_path, item)
                    if is_awaitable(value):
                        value = self.await_completed(value, item_type, plan, item_path)
                        pending.append(index)
                except Exception as raw:
                    self.field_error(raw, item_type, plan.nodes, item_path)
                    value = None
                completed.append(value)
        except Exception:
            self.settle(completed[index] for index in pending)
            raise
        if not pending:
            return completed
        return _gather_into(completed, pending)

    async def await_item(
        self,
        item: Awaitable[Any],
        item_type: GraphQLOutputType,
        complete_item: Completer,
        plan: FieldPlan,
        info: Info,
        path: Path,
    ) -> Any:
        try:
            completed = complete_item(self, plan, info, path, await item)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            self.field_error(raw, item_type, plan.nodes, path)
            return None
        return completed

    async def complete_async_list(
        self,
        item_type: GraphQLOutputType,
        complete_item: Completer,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
    ) -> list[Any]:
        items = [item async for item in result]
        completed = self.complete_list(item_type, complete_item, plan, info, path, items)
        if self.is_awaitable(completed):
            completed = await completed
        return cast(list[Any], completed)

    def complete_object(
        self,
        object_type: GraphQLObjectType,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
    ) -> Any:
        if object_type.is_type_of:
            is_type_of = object_type.is_type_of(result, info)  # type: ignore[arg-type]
            if self.is_awaitable(is_type_of):
                return self.complete_object_checked(
                    object_type, plan, path, result, cast(Awaitable[bool], is_type_of)
                )
            if not is_type_of:
                raise _invalid_return_type(object_type, result, plan)
        return self.fields(object_type, result, path, self.plan.subfields(plan, object_type))

    async def complete_object_checked(
        self,
        object_type: GraphQLObjectType,
        plan: FieldPlan,
        path: Path,
        result: Any,
        is_type_of: Awaitable[bool],
    ) -> Any:
        if not await is_type_of:
            raise _invalid_return_type(object_type, result, plan)
        value = self.fields(object_type, result, path, self.plan.subfields(plan, object_type))
        return await value if self.is_awaitable(value) else value

    def complete_abstract(
        self,
        return_type: GraphQLAbstractType,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
    ) -> Any:
        resolve_type = return_type.resolve_type or self.type_resolver
        runtime_type = resolve_type(result, info, return_type)  # type: ignore[arg-type]
        if self.is_awaitable(runtime_type):
            return self.complete_abstract_later(
                return_type, plan, info, path, result, cast(Awaitable[Any], runtime_type)
            )
        object_type = self.runtime_type(runtime_type, return_type, plan, result)
        return self.complete_object(object_type, plan, info, path, result)

    async def complete_abstract_later(
        self,
        return_type: GraphQLAbstractType,
        plan: FieldPlan,
        info: Info,
        path: Path,
        result: Any,
        runtime_type: Awaitable[Any],
    ) -> Any:
        object_type = self.runtime_type(await runtime_type, return_type, plan, result)
        value = self.complete_object(object_type, plan, info, path, result)
        return await value if self.is_awaitable(value) else value

    def runtime_type(
        self, name: Any, return_type: GraphQLAbstractType, plan: FieldPlan, result: Any
    ) -> GraphQLObjectType:
        """The object type `resolve_type` named, checked as graphql-core checks it."""
        nodes = plan.nodes
        where = f"for field '{plan.parent_type}.{plan.name}'"
        if name is None:
            raise GraphQLError(
                f"Abstract type '{return_type}' must resolve to an Object type at runtime"
                f" {where}. Either the '{return_type}' type should provide a 'resolve_type'"
                " function or each possible type should provide an 'is_type_of' function.",
                nodes,
            )
        if not isinstance(name, str):
            raise GraphQLError(
                f"Abstract type '{return_type}' must resolve to an Object type at runtime"
                f" {where} with value {inspect(result)}, received '{inspect(name)}',"
                " which is not a valid Object type name.",
                nodes,
            )
        schema = self.executor.schema
        runtime_type = schema.get_type(name)
        if runtime_type is None:
            raise GraphQLError(
                f"Abstract type '{return_type}' was resolved to a type '{name}'"
                " that does not exist inside the schema.",
                nodes,
            )
        if not isinstance(runtime_type, GraphQLObjectType):
            raise GraphQLError(
                f"Abstract type '{return_type}' was resolved to a non-object type '{name}'.",
                nodes,
            )
        if not schema.is_sub_type(return_type, runtime_type):
            raise GraphQLError(
                f"Runtime Object type '{runtime_type}' is not a possible type for '{return_type}'.",
                nodes,
            )
        return runtime_type


Completer = Callable[[_Run, FieldPlan, Info, Path, Any], Any]


class Completers:
    """One completion function per output type, built once: the type's checks in order.

    The same steps as graphql-core's `complete_value`: an exception as the value is
    raised, a non-null type's null is an error naming the field, null is null, a leaf
    goes through `coerce_output_value` (which must not give null), a list completes each
    item, an object its selection, an abstract type its runtime object type.
    """

    def __init__(self) -> None:
        self._built: dict[GraphQLOutputType, Completer] = {}

    def __call__(self, return_type: GraphQLOutputType) -> Completer:
        built = self._built.get(return_type)
        if built is None:
            built = self._build(return_type)
            self._built[return_type] = built
        return built

    def _build(self, return_type: GraphQLOutputType) -> Completer:
        if isinstance(return_type, GraphQLNonNull):
            return _non_null(self(return_type.of_type))
        if isinstance(return_type, _LEAF):
            return _leaf(return_type)
        if isinstance(return_type, GraphQLList):
            return _list(return_type.of_type, self(return_type.of_type))
        if isinstance(return_type, GraphQLObjectType):
            return _object(return_type)
        if is_abstract_type(return_type):
            return _abstract(return_type)
        raise TypeError(
            f"Cannot complete value of unexpected output type: '{inspect(return_type)}'."
        )


def _non_null(inner: Completer) -> Completer:
    def complete_non_null(run: _Run, plan: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        completed = inner(run, plan, info, path, result)
        if completed is None:
            raise TypeError(
                f"Cannot return null for non-nullable field {plan.parent_type}.{plan.name}."
            )
        return completed

    return complete_non_null


def _leaf(leaf_type: GraphQLScalarType | GraphQLEnumType) -> Completer:
    coerce = leaf_type.coerce_output_value

    def complete_leaf(run: _Run, plan: FieldPlan, info: Any, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        coerced = coerce(result)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(leaf_type)}.coerce_output_value("
                f"{inspect(result)})` to return non-nullable value, returned:"
                f" {inspect(coerced)}"
            )
        return coerced

    return complete_leaf


def _list(item_type: GraphQLOutputType, complete_item: Completer) -> Completer:
    def complete_items(run: _Run, plan: FieldPlan, info: Info, path: Path, result: Any) -> Any:
        return run.complete_list(item_type, complete_item, plan, info, path, result)

    return _unless_null(complete_items)


def _object(object_type: GraphQLObjectType) -> Completer:
    def complete_fields(run: _Run, plan: FieldPlan, info: Info, path: Path, result: Any) -> Any:
        return run.complete_object(object_type, plan, info, path, result)

    return _unless_null(complete_fields)


def _abstract(abstract_type: GraphQLAbstractType) -> Completer:
    def complete_runtime(run: _Run, plan: FieldPlan, info: Info, path: Path, result: Any) -> Any:
        return run.complete_abstract(abstract_type, plan, info, path, result)

    return _unless_null(complete_runtime)


def _unless_null(complete_value: Completer) -> Completer:
    """An exception as the value is raised, null stays null, anything else is completed."""

    def complete(run: _Run, plan: FieldPlan, info: Info, path: Path, result: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            return None
        return complete_value(run, plan, info, path, result)

    return complete


async def _gather_into(values: Any, pending: list[Any]) -> Any:
    """Await the values at the `pending` keys of a dict or list, siblings concurrently."""
    if len(pending) == 1:
        values[pending[0]] = await values[pending[0]]
    else:
        awaited = await gather_with_cancel(*(values[key] for key in pending))
        for key, value in zip(pending, awaited, strict=True):
            values[key] = value
    return values


def _invalid_return_type(
    object_type: GraphQLObjectType, result: Any, plan: FieldPlan
) -> GraphQLError:
    return GraphQLError(
        f"Expected value of type '{object_type}' but got: {inspect(result)}.", plan.nodes
    )


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
