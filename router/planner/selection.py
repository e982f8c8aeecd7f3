"""Mutable selection trees from which subgraph operations are printed.

A `SelNode` is the selection set of one fetch at one position: fields keyed by
response key plus inline fragments keyed by type condition. Fields that the
planner adds for itself (keys, `@requires` inputs) are aliased when a client
field already uses that response key for something else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from graphql import ArgumentNode, VariableNode, Visitor, print_ast, visit

from router.planner.plan import RenamedField, Renames

__all__ = [
    "FieldSel",
    "SelNode",
    "args_text",
    "assign_wire_keys",
    "print_selection",
    "renames",
    "variables_in",
]


def args_text(args: Iterable[ArgumentNode] | None) -> str:
    parts = [f"{a.name.value}: {print_ast(a.value)}" for a in args or ()]
    return f"({', '.join(parts)})" if parts else ""


class _Vars(Visitor):
    def __init__(self, out: set[str]) -> None:
        super().__init__()
        self.out = out

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.out.add(node.name.value)


def variables_in(args: Iterable[ArgumentNode] | None, out: set[str]) -> None:
    for a in args or ():
        visit(a, _Vars(out))


@dataclass(slots=True)
class FieldSel:
    name: str
    args: str
    variables: frozenset[str]
    sub: SelNode | None = None
    #: the field's type in the subgraph (decides whether same-key fields may merge)
    type_str: str = ""
    #: the alias sent to the subgraph when the response key would clash there
    wire: str | None = None


@dataclass(slots=True)
class SelNode:
    fields: dict[str, FieldSel] = field(default_factory=dict)
    fragments: dict[str, SelNode] = field(default_factory=dict)

    def add_field(
        self,
        key: str,
        name: str,
        args: str,
        variables: frozenset[str],
        composite: bool,
        type_str: str = "",
    ) -> FieldSel:
        existing = self.fields.get(key)
        if existing is None:
            existing = FieldSel(name, args, variables, SelNode() if composite else None, type_str)
            self.fields[key] = existing
        return existing

    def conflicts(self, key: str, name: str, args: str) -> bool:
        existing = self.fields.get(key)
        return existing is not None and (existing.name != name or existing.args != args)

    def fragment(self, type_name: str) -> SelNode:
        node = self.fragments.get(type_name)
        if node is None:
            node = self.fragments[type_name] = SelNode()
        return node

    def is_empty(self) -> bool:
        return not self.fields and all(f.is_empty() for f in self.fragments.values())

    def collect_variables(self, out: set[str]) -> None:
        for f in self.fields.values():
            out.update(f.variables)
            if f.sub is not None:
                f.sub.collect_variables(out)
        for frag in self.fragments.values():
            frag.collect_variables(out)


def assign_wire_keys(node: SelNode) -> bool:
    """Alias fields whose response key clashes, in one object, with a differently typed field.

    Subgraph validation rejects `... on A { id } ... on B { id }` when the two
    `id`s have different types there; the later one is sent as an alias and
    renamed back when the response arrives. Returns whether anything was aliased.
    """
    seen: dict[str, tuple[str, str, str]] = {}
    counter = [0]
    return _assign(node, seen, counter)


def _assign(node: SelNode, seen: dict[str, tuple[str, str, str]], counter: list[int]) -> bool:
    changed = False
    for key, f in node.fields.items():
        sig = (f.name, f.args, "String!" if f.name == "__typename" else f.type_str)
        prev = seen.get(key)
        if prev is None:
            seen[key] = sig
        elif prev != sig:
            counter[0] += 1
            f.wire = f"{key}__chorus_{counter[0]}"
            changed = True
        if f.sub is not None:
            changed = assign_wire_keys(f.sub) or changed
    for frag in node.fragments.values():
        changed = _assign(frag, seen, counter) or changed
    return changed


def renames(node: SelNode) -> Renames | None:
    """The wire-key -> response-key renames under `node` (None when there are none)."""
    fields = []
    for key, f in node.fields.items():
        sub = renames(f.sub) if f.sub is not None else None
        if f.wire is not None or sub is not None:
            fields.append(RenamedField(f.wire or key, key, sub))
    frags = []
    for tname, frag in node.fragments.items():
        sub = renames(frag)
        if sub is not None:
            frags.append((tname, sub))
    if not fields and not frags:
        return None
    return Renames(tuple(fields), tuple(frags))


def print_selection(node: SelNode) -> str:
    """Print `node` as `{ ... }` (compact, one space between selections)."""
    parts: list[str] = []
    for key, f in node.fields.items():
        wire = f.wire or key
        head = f.name if wire == f.name else f"{wire}: {f.name}"
        text = head + f.args
        if f.sub is not None:
            sub = f.sub
            if sub.is_empty():
                text += " { __typename }"
            else:
                text += " " + print_selection(sub)
        parts.append(text)
    for tname, frag in node.fragments.items():
        if not frag.is_empty():
            parts.append(f"... on {tname} {print_selection(frag)}")
    if not parts:
        parts.append("__typename")
    return "{ " + " ".join(parts) + " }"
