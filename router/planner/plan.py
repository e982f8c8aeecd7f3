"""Query plan values: the frozen, JSON-serialisable contract between planner and executor.

Node vocabulary follows Apollo's: `Fetch` (one request to one subgraph),
`Flatten` (run a fetch on the objects found at a path of the response built so
far), `Sequence`, `Parallel`, `Condition` (one of two sub-plans, by the value of
a Boolean variable that `@skip`/`@include` read), `Defer` (a primary plan plus
deferred sub-plans delivered incrementally) and `Subscription` (one subscription
fetch plus the plan run for every event).

The plan is the whole contract: a `Fetch` carries its operation kind, the
aliases to rename back (`Renames`) and the fields it fills (`FetchField`, for
error paths), so the executor never reads the operation text.

Paths are tuples of response keys, with `"@"` meaning "every element of this
list" and `"|Type"` meaning "only objects whose `__typename` is (a subtype of)
Type".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Condition",
    "Defer",
    "DeferredNode",
    "Fetch",
    "FetchField",
    "Flatten",
    "OperationKind",
    "Parallel",
    "PlanNode",
    "QueryPlan",
    "RenamedField",
    "Renames",
    "RequiredField",
    "RequiredSelection",
    "Sequence",
    "Subscription",
]

OperationKind = Literal["query", "mutation", "subscription"]


@dataclass(frozen=True, slots=True)
class RequiredField:
    """Copy `data[key]` into a representation as `name` (recursing into `selections`)."""

    name: str
    key: str
    selections: tuple[RequiredSelection, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.key != self.name:
            out["key"] = self.key
        if self.selections is not None:
            out["selections"] = [s.to_dict() for s in self.selections]
        return out


@dataclass(frozen=True, slots=True)
class RequiredSelection:
    """The fields to copy from an object whose type matches `type_condition`.

    At the top of a representation `typename` is the `__typename` to send (it
    differs from the object's own when the subgraph sees an `@interfaceObject`).
    """

    type_condition: str | None
    fields: tuple[RequiredField, ...]
    typename: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fields": [f.to_dict() for f in self.fields]}
        if self.type_condition is not None:
            out["typeCondition"] = self.type_condition
        if self.typename is not None:
            out["typename"] = self.typename
        return out


@dataclass(frozen=True, slots=True)
class RenamedField:
    """A field sent as `wire` that the client reads as `key` (and renames below it, `sub`)."""

    wire: str
    key: str
    sub: Renames | None = None

    def to_list(self) -> list[Any]:
        return [self.wire, self.key, self.sub.to_dict() if self.sub is not None else None]


@dataclass(frozen=True, slots=True)
class Renames:
    """Aliases to rename back in a subgraph's answer: per field, and per type condition."""

    fields: tuple[RenamedField, ...] = ()
    fragments: tuple[tuple[str, Renames], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.fields:
            out["fields"] = [f.to_list() for f in self.fields]
        if self.fragments:
            out["fragments"] = [[t, r.to_dict()] for t, r in self.fragments]
        return out


@dataclass(frozen=True, slots=True)
class FetchField:
    """A field a fetch fills on each object it runs on (the root, or an entity).

    `type_condition` is the fragment it sits in (None at the root); `client` is
    false for fields the planner added for itself (keys, `@requires` inputs),
    which get no error of their own when the fetch cannot fill them.
    """

    type_condition: str | None
    name: str
    key: str
    client: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "key": self.key}
        if self.type_condition is not None:
            out["typeCondition"] = self.type_condition
        if not self.client:
            out["client"] = False
        return out


@dataclass(frozen=True, slots=True)
class Fetch:
    """One GraphQL request to one subgraph.

    `id` numbers fetches for people reading a plan; it takes no part in
    comparing fetches (two plans that differ only in numbering are the same).
    """

    id: int = field(compare=False)
    service_name: str
    operation: str
    operation_kind: OperationKind
    variable_usages: tuple[str, ...]
    requires: tuple[RequiredSelection, ...] | None = None
    #: keep the subgraph's top-level `__typename` out of the response (interface objects)
    drop_typename: bool = False
    #: aliases to rename back in the answer (None when nothing was aliased)
    renames: Renames | None = None
    #: the fields the fetch fills at its position, in the order it selects them
    fills: tuple[FetchField, ...] = ()
    #: (type condition, field) of each `requires` input that is a `@requires` field
    #: rather than a key field (names the failed requirement in an error)
    requires_inputs: frozenset[tuple[str | None, str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": "Fetch",
            "id": self.id,
            "serviceName": self.service_name,
            "operationKind": self.operation_kind,
            "variableUsages": list(self.variable_usages),
            "operation": self.operation,
        }
        if self.requires is not None:
            out["requires"] = [r.to_dict() for r in self.requires]
        if self.drop_typename:
            out["dropTypename"] = True
        if self.renames is not None:
            out["renames"] = self.renames.to_dict()
        if self.fills:
            out["fills"] = [f.to_dict() for f in self.fills]
        if self.requires_inputs:
            out["requiresInputs"] = [
                {"typeCondition": t, "name": n} if t is not None else {"name": n}
                for t, n in sorted(self.requires_inputs, key=lambda x: (x[0] or "", x[1]))
            ]
        return out


@dataclass(frozen=True, slots=True)
class Flatten:
    """Run `node` (an entity fetch) on every object found at `path`."""

    path: tuple[str, ...]
    node: Fetch

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "Flatten", "path": list(self.path), "node": self.node.to_dict()}


@dataclass(frozen=True, slots=True)
class Sequence:
    nodes: tuple[PlanNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "Sequence", "nodes": [n.to_dict() for n in self.nodes]}


@dataclass(frozen=True, slots=True)
class Parallel:
    nodes: tuple[PlanNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "Parallel", "nodes": [n.to_dict() for n in self.nodes]}


@dataclass(frozen=True, slots=True)
class Condition:
    """`@skip`/`@include` on a variable: run `if_clause` when it is true, else `else_clause`.

    One plan serves every value of the variable (the plan cache key does not
    carry it); a clause is None when nothing needs fetching on that side.
    """

    condition: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "Condition", "condition": self.condition}
        if self.if_clause is not None:
            out["ifClause"] = self.if_clause.to_dict()
        if self.else_clause is not None:
            out["elseClause"] = self.else_clause.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class DeferredNode:
    """One deferred fragment at one position: fetched after `depends`, delivered on its own.

    `depends` is 0 for the primary part, else the id of the enclosing deferred
    fragment. `path` locates the objects the fragment applies to (plan path
    syntax); `type_name` is their type. `node` is None when the fragment's
    fields were fetched with its parent (a position no entity fetch can reach):
    it is still delivered incrementally.
    """

    id: int
    depends: int
    label: str | None
    path: tuple[str, ...]
    type_name: str
    subselection: str
    node: PlanNode | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "depends": self.depends,
            "label": self.label,
            "queryPath": list(self.path),
            "typeCondition": self.type_name,
            "subselection": self.subselection,
            "node": self.node.to_dict() if self.node is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Defer:
    """`@defer`: run `primary`, deliver it, then run each deferred node once its parent is done."""

    primary: PlanNode | None
    deferred: tuple[DeferredNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "Defer",
            "primary": {"node": self.primary.to_dict() if self.primary is not None else None},
            "deferred": [d.to_dict() for d in self.deferred],
        }


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription: `primary` opens the subgraph stream, `rest` runs on every event."""

    primary: Fetch
    rest: PlanNode | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "Subscription",
            "primary": self.primary.to_dict(),
            "rest": self.rest.to_dict() if self.rest is not None else None,
        }


PlanNode = Fetch | Flatten | Sequence | Parallel | Condition | Defer | Subscription


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The root of a plan: `node` is None when no subgraph needs calling."""

    node: PlanNode | None
    operation_kind: OperationKind = "query"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "QueryPlan", "node": self.node.to_dict() if self.node else None}
