"""Shape merged subgraph data to the client's operation.

Walks the client selection over the merged data (no graphql-core execution):
picks response keys, answers `__typename`, applies fragments by runtime type,
checks enum values against the API schema, and propagates nulls for
non-nullable fields as the spec says, adding an error where no subgraph error
already explains the null.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    SelectionSetNode,
)

from router.errors import ErrorCode, graphql_error
from router.planner.operation import OperationContext

__all__ = ["Shaper"]

Path = list[str | int]
#: a response path built as the walk descends, (parent, key) pairs: a list is made
#: only for an error (most fields never need one)
Linked = tuple["Linked | None", str | int]


def _as_list(path: Linked | None) -> Path:
    out: Path = []
    while path is not None:
        path, key = path
        out.append(key)
    out.reverse()
    return out


def _linked(path: Path) -> Linked | None:
    out: Linked | None = None
    for key in path:
        out = (out, key)
    return out


class _Null(Exception):
    """A non-nullable position is null: the nearest nullable parent becomes null."""


class Shaper:
    def __init__(
        self, schema: GraphQLSchema, ctx: OperationContext, errors: list[dict[str, Any]]
    ) -> None:
        self.schema = schema
        self.ctx = ctx
        self.errors = errors
        self._enum_values: dict[str, frozenset[str]] = {}

    def shape_root(
        self,
        data: dict[str, Any],
        root: GraphQLObjectType,
        selection: SelectionSetNode,
        prepared: dict[str, Any],
    ) -> dict[str, Any] | None:
        fields = self.ctx.collect([selection], root.name)
        out: dict[str, Any] = {}
        try:
            for key, nodes in fields.items():
                name = nodes[0].name.value
                if name == "__typename":
                    out[key] = root.name
                elif name.startswith("__"):
                    out[key] = prepared.get(key)
                else:
                    fdef = root.fields[name]
                    out[key] = self.complete(data.get(key), fdef.type, nodes, (None, key))
        except _Null:
            return None
        return out

    def complete(
        self, value: Any, t: GraphQLOutputType, nodes: list[FieldNode], path: Linked
    ) -> Any:
        if type(t) is GraphQLScalarType:  # the common leaf, before the isinstance chain
            return value
        if isinstance(t, GraphQLNonNull):
            r = self.complete(value, t.of_type, nodes, path)
            if r is None:
                self._null_error(path)
                raise _Null
            return r
        if value is None:
            return None
        if isinstance(t, GraphQLList):
            if not isinstance(value, list):
                self._error("expected a list", path, ErrorCode.INVALID_VALUE)
                return None
            out = []
            try:
                for i, item in enumerate(value):
                    out.append(self.complete(item, t.of_type, nodes, (path, i)))
            except _Null:
                return None
            return out
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            if not isinstance(value, dict):
                self._error("expected an object", path, ErrorCode.INVALID_VALUE)
                return None
            return self._object(value, t, nodes, path)
        if isinstance(t, GraphQLEnumType):
            allowed = self._enum_values.get(t.name)
            if allowed is None:
                allowed = self._enum_values[t.name] = frozenset(t.values)
            if value not in allowed:
                self._error(
                    f"Enum '{t.name}' cannot represent value: {value!r}",
                    path,
                    ErrorCode.INVALID_VALUE,
                )
                return None
        return value

    def _object(
        self,
        value: dict[str, Any],
        t: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
        nodes: list[FieldNode],
        path: Linked,
    ) -> dict[str, Any] | None:
        runtime: GraphQLObjectType | GraphQLInterfaceType
        if isinstance(t, GraphQLObjectType):
            runtime = t
        else:
            tn = value.get("__typename")
            rt = self.schema.get_type(tn) if isinstance(tn, str) else None
            if isinstance(rt, GraphQLObjectType):
                runtime = rt
            elif isinstance(t, GraphQLInterfaceType) and tn == t.name:
                runtime = t  # an interface object whose concrete type was not needed
            else:
                return None
        subsets = [n.selection_set for n in nodes if n.selection_set is not None]
        return self._fields(value, runtime, self.ctx.collect(subsets, runtime.name), path)

    def shape_fragment(
        self,
        value: dict[str, Any],
        type_name: str,
        type_condition: str | None,
        selection: SelectionSetNode,
        path: Path,
    ) -> tuple[bool, dict[str, Any] | None]:
        """Shape a deferred fragment's fields of the object at `path`.

        Returns (applies, data): whether the fragment applies to the object's
        runtime type, and its data (None when a non-null field in it is null).
        """
        tn = value.get("__typename")
        rt = self.schema.get_type(tn) if isinstance(tn, str) else None
        if not isinstance(rt, GraphQLObjectType | GraphQLInterfaceType):
            rt = self.schema.get_type(type_name)
        if not isinstance(rt, GraphQLObjectType | GraphQLInterfaceType):
            return False, None
        if not self.ctx.applies(type_condition, rt.name):
            return False, None
        return True, self._fields(value, rt, self.ctx.collect([selection], rt.name), _linked(path))

    def _fields(
        self,
        value: dict[str, Any],
        runtime: GraphQLObjectType | GraphQLInterfaceType,
        fields: dict[str, list[FieldNode]],
        path: Linked | None,
    ) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        try:
            for key, fnodes in fields.items():
                name = fnodes[0].name.value
                if name == "__typename":
                    out[key] = runtime.name
                    continue
                fdef = runtime.fields.get(name)
                if fdef is None:
                    continue
                out[key] = self.complete(value.get(key), fdef.type, fnodes, (path, key))
        except _Null:
            return None
        return out

    def _error(self, message: str, path: Linked, code: ErrorCode) -> None:
        self.errors.append(graphql_error(message, _as_list(path), code))

    def _null_error(self, linked: Linked) -> None:
        path = _as_list(linked)
        n = len(path)
        for e in self.errors:
            p = e.get("path")
            if p is None:
                continue
            m = min(len(p), n)
            if p[:m] == path[:m]:
                return
        self._error(
            "Cannot return null for non-nullable field", linked, ErrorCode.NON_NULL_VIOLATION
        )
