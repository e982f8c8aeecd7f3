"""The client operation as the planner and the response shaper read it.

An `OperationContext` holds decided values of the `@skip`/`@include`/`@defer(if:)`
conditions. The planner makes one per combination of the variables it
branches on (`branch_variables`, which become `Condition` plan nodes) and the
shaper reads the one that matches the request's values.

Fragments marked `@defer` are left out of `collect` (unless asked for) and
listed by `deferred_fragments`: the planner plans them apart and the shaper
delivers them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    value_from_ast_untyped,
)

__all__ = [
    "Collected",
    "DeferredFragment",
    "OperationContext",
    "branch_variables",
    "condition_values",
    "condition_variables",
    "select_operation",
    "sub_selections",
]

Collected = dict[str, list[FieldNode]]

_CONDITIONAL = ("skip", "include", "defer")


@dataclass(frozen=True, slots=True)
class DeferredFragment:
    """A `@defer` fragment found at one position (its selection, label, type condition)."""

    selection: SelectionSetNode
    label: str | None
    type_condition: str | None = None


def select_operation(doc: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return ops[0] if len(ops) == 1 else None
    for op in ops:
        if op.name is not None and op.name.value == name:
            return op
    return None


def condition_variables(doc: DocumentNode) -> tuple[str, ...]:
    """Names of variables used by `@skip(if:)`, `@include(if:)`, `@defer(if:)` in `doc`."""
    names: list[str] = []

    def walk(node: Any) -> None:
        for d in getattr(node, "directives", None) or ():
            if d.name.value in _CONDITIONAL:
                for a in d.arguments or ():
                    if isinstance(a.value, VariableNode) and a.value.name.value not in names:
                        names.append(a.value.name.value)
        ss = getattr(node, "selection_set", None)
        if ss is not None:
            for s in ss.selections:
                walk(s)

    for d in doc.definitions:
        walk(d)
    return tuple(names)


def branch_variables(doc: DocumentNode, op: OperationDefinitionNode, limit: int) -> tuple[str, ...]:
    """The `@skip`/`@include` variables of `op` that its plan branches on (`Condition`).

    At most `limit` of them (a plan holds every combination of their values).
    The other condition variables (`@defer(if:)`'s among them) are decided
    when the plan is made: their values are part of the cache key.
    """
    defined = {vd.variable.name.value for vd in op.variable_definitions or ()}
    names: list[str] = []

    def walk(node: Any) -> None:
        for d in getattr(node, "directives", None) or ():
            if d.name.value in ("skip", "include"):
                for a in d.arguments or ():
                    v = a.value
                    if isinstance(v, VariableNode) and v.name.value in defined:
                        if v.name.value not in names:
                            names.append(v.name.value)
        ss = getattr(node, "selection_set", None)
        if ss is not None:
            for s in ss.selections:
                walk(s)

    for d in doc.definitions:
        if d is op or isinstance(d, FragmentDefinitionNode):
            walk(d)
    return tuple(names[:limit])


def condition_values(
    op: OperationDefinitionNode, names: Iterable[str], variables: Mapping[str, Any] | None
) -> tuple[bool, ...]:
    """The boolean value of each condition variable (request value, else default).

    An absent variable reads as false: for `@defer(if: $v)` that means "not
    deferred", which only changes how the answer is delivered.
    """
    defaults: dict[str, Any] = {}
    for vd in op.variable_definitions or ():
        if vd.default_value is not None:
            defaults[vd.variable.name.value] = value_from_ast_untyped(vd.default_value)
    out = []
    for n in names:
        if variables is not None and n in variables:
            out.append(bool(variables[n]))
        else:
            out.append(bool(defaults.get(n, False)))
    return tuple(out)


@dataclass(slots=True)
class OperationContext:
    """An operation plus the decided `@skip`/`@include` conditions.

    `applies(type_condition, runtime_type)` says whether a fragment applies to
    an object of `runtime_type`; it is supplied by the caller (the supergraph's
    possible types). With `defer_enabled` false (subscriptions), `@defer` is
    ignored and its fragments are plain fragments.
    """

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    conditions: dict[str, bool]
    applies: Callable[[str | None, str], bool]
    defer_enabled: bool = True
    #: (id of each selection set..., runtime type, include_deferred) -> collected fields
    _collected: dict[tuple[object, ...], Collected] = field(default_factory=dict)
    #: selection sets the planner synthesised (kept alive: the cache keys on ids)
    keep: list[SelectionSetNode] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        conditions: dict[str, bool],
        applies: Callable[[str | None, str], bool],
    ) -> OperationContext:
        frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        defer = op.operation.value != "subscription"
        return cls(op, frags, conditions, applies, defer)

    def included(self, directives: Iterable[DirectiveNode] | None) -> bool:
        for d in directives or ():
            name = d.name.value
            if name not in ("skip", "include"):
                continue
            value = False
            for a in d.arguments or ():
                if a.name.value == "if":
                    v = a.value
                    if isinstance(v, BooleanValueNode):
                        value = v.value
                    elif isinstance(v, VariableNode):
                        value = self.conditions.get(v.name.value, False)
            if (name == "skip" and value) or (name == "include" and not value):
                return False
        return True

    def deferred(self, directives: Iterable[DirectiveNode] | None) -> DirectiveNode | None:
        """The fragment's `@defer` directive when it defers (enabled, `if` not false)."""
        if not self.defer_enabled:
            return None
        for d in directives or ():
            if d.name.value != "defer":
                continue
            for a in d.arguments or ():
                if a.name.value == "if":
                    v = a.value
                    if isinstance(v, BooleanValueNode) and not v.value:
                        return None
                    if isinstance(v, VariableNode) and not self.conditions.get(v.name.value):
                        return None
            return d
        return None

    def collect(
        self,
        selection_sets: Iterable[SelectionSetNode],
        runtime: str,
        include_deferred: bool = False,
    ) -> Collected:
        """CollectFields of the spec: response key -> field nodes, in document order.

        Deferred fragments are left out unless `include_deferred`.
        """
        sets = tuple(selection_sets)
        key = (*map(id, sets), runtime, include_deferred)
        hit = self._collected.get(key)
        if hit is not None:
            return hit
        out: Collected = {}
        visited: set[str] = set()
        for ss in sets:
            self._collect(ss, runtime, out, visited, include_deferred)
        self._collected[key] = out
        return out

    def _collect(
        self,
        ss: SelectionSetNode,
        runtime: str,
        out: Collected,
        visited: set[str],
        include_deferred: bool,
    ) -> None:
        for sel in ss.selections:
            if not self.included(sel.directives):
                continue
            if isinstance(sel, FieldNode):
                k = sel.alias.value if sel.alias else sel.name.value
                out.setdefault(k, []).append(sel)
                continue
            if not include_deferred and self.deferred(sel.directives) is not None:
                continue
            if isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if self.applies(cond, runtime):
                    self._collect(sel.selection_set, runtime, out, visited, include_deferred)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                if name in visited:
                    continue
                frag = self.fragments.get(name)
                if frag is None:
                    continue
                visited.add(name)
                if self.applies(frag.type_condition.name.value, runtime):
                    self._collect(frag.selection_set, runtime, out, visited, include_deferred)

    def deferred_fragments(
        self, selection_sets: Iterable[SelectionSetNode], runtime: str, any_type: bool = False
    ) -> list[DeferredFragment]:
        """The `@defer` fragments that apply at this position (not those nested in them).

        With `any_type`, fragments are listed whatever their type condition (an
        `@interfaceObject` position, whose concrete type is not known yet).
        """
        out: list[DeferredFragment] = []
        if not self.defer_enabled:
            return out
        visited: set[str] = set()
        for ss in selection_sets:
            self._find_deferred(ss, runtime, out, visited, any_type)
        return out

    def _find_deferred(
        self,
        ss: SelectionSetNode,
        runtime: str,
        out: list[DeferredFragment],
        visited: set[str],
        any_type: bool,
    ) -> None:
        for sel in ss.selections:
            if isinstance(sel, FieldNode) or not self.included(sel.directives):
                continue
            if isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                inner = sel.selection_set
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is None or sel.name.value in visited:
                    continue
                visited.add(sel.name.value)
                cond = frag.type_condition.name.value
                inner = frag.selection_set
            else:
                continue
            if not any_type and not self.applies(cond, runtime):
                continue
            d = self.deferred(sel.directives)
            if d is None:
                self._find_deferred(inner, runtime, out, visited, any_type)
                continue
            label = None
            for a in d.arguments or ():
                if a.name.value == "label" and isinstance(a.value, StringValueNode):
                    label = a.value.value
            out.append(DeferredFragment(inner, label, cond))

    def has_type_specific(self, selection_sets: Iterable[SelectionSetNode], abstract: str) -> bool:
        """Whether the selection holds fragments on types other than `abstract` itself."""
        for ss in selection_sets:
            if self._has_specific(ss, abstract, set()):
                return True
        return False

    def _has_specific(self, ss: SelectionSetNode, abstract: str, visited: set[str]) -> bool:
        for sel in ss.selections:
            if not self.included(sel.directives):
                continue
            if isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition.name.value if sel.type_condition else None
                if cond not in (None, abstract):
                    return True
                if self._has_specific(sel.selection_set, abstract, visited):
                    return True
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is None or sel.name.value in visited:
                    continue
                visited.add(sel.name.value)
                if frag.type_condition.name.value != abstract:
                    return True
                if self._has_specific(frag.selection_set, abstract, visited):
                    return True
        return False


def sub_selections(nodes: Iterable[FieldNode]) -> list[SelectionSetNode]:
    return [n.selection_set for n in nodes if n.selection_set is not None]
