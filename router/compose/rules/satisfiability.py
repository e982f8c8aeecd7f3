"""SATISFIABILITY_ERROR: a query the supergraph accepts that no plan can answer.

Composition walks the supergraph from each root type, keeping for every path
the set of subgraphs that could be resolving it ("where the planner may be").
At each type, the set grows through entity jumps: from subgraph A to B when B
has a resolvable `@key` whose fields A can resolve itself. A field is
satisfiable when some subgraph in the grown set resolves it: defines it
without `@external` (or the path `@provides` it), with the fields of its
`@requires` resolvable by some subgraph of the set. Abstract types continue
into each implementation with the subgraphs that know it; an implementation
no subgraph on the path knows is simply never returned, which is not an error.
Types behind an `@interfaceObject` count as present, with the interface's
fields and keys, in the subgraph declaring the interface object.

This is a simplification of Apollo's validation (key fields and requirements
must be resolvable in one step, not through further jumps), which is what
real subgraphs do; the Apollo message format (an example query, then one line
per subgraph) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from ..context import CompositionContext
from ..fieldset import FieldSetSyntaxError, parse_field_set
from ..model import FieldDef, Subgraph, TypeDef, named_type
from ..types import CompositionError

CODE = "SATISFIABILITY_ERROR"

Provided = tuple[tuple[str, "Provided"], ...]
Position = tuple[str, Provided]  # (subgraph name, fields provided on this path)


def _provided(selection: SelectionSetNode | None) -> Provided:
    if selection is None:
        return ()
    out: dict[str, Provided] = {}
    for node in selection.selections:
        if isinstance(node, FieldNode):
            out[node.name.value] = _provided(node.selection_set)
        elif isinstance(node, InlineFragmentNode):
            out.update(dict(_provided(node.selection_set)))
    return tuple(sorted(out.items()))


@dataclass
class _View:
    """A subgraph's types, with implementations of its interface objects filled in."""

    subgraph: Subgraph
    types: dict[str, TypeDef]


def _views(ctx: CompositionContext) -> dict[str, _View]:
    views: dict[str, _View] = {}
    for s in ctx.subgraphs:
        types = dict(s.types)
        for t in s.types.values():
            if not t.interface_object:
                continue
            for impl in ctx.supergraph.types.values():
                if t.name in impl.interfaces and impl.name not in types:
                    types[impl.name] = TypeDef(
                        impl.name, "object", fields=t.fields, keys=t.keys, has_definition=True
                    )
        views[s.name] = _View(s, types)
    return views


class _Walker:
    def __init__(self, ctx: CompositionContext) -> None:
        self.ctx = ctx
        self.views = _views(ctx)
        self.errors: dict[str, CompositionError] = {}
        self.seen: set[tuple[str, frozenset[Position]]] = set()
        self.operation = "query"

    # ---------------------------------------------------------------- local facts
    def local(self, subgraph: str, type_name: str, name: str) -> FieldDef | None:
        t = self.views[subgraph].types.get(type_name)
        return t.fields.get(name) if t else None

    def collectable(
        self,
        type_name: str,
        selection: SelectionSetNode,
        positions: frozenset[Position],
        depth: int,
    ) -> bool:
        """Can the fields of a key be gathered from these positions (with further jumps)?"""
        if depth > 4:
            return False
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                target = node.type_condition.name.value if node.type_condition else type_name
                if not self.collectable(target, node.selection_set, positions, depth):
                    return False
                continue
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            name = node.name.value
            found: list[Position] = []
            field_type = None
            for subgraph, provided in positions:
                f = self.local(subgraph, type_name, name)
                given = dict(provided)
                if f is None or (f.external and name not in given):
                    continue
                found.append((subgraph, given.get(name, ())))
                field_type = named_type(f.type)
            if not found:
                return False
            if node.selection_set is not None and field_type is not None:
                grown = self.jumps(field_type, frozenset(found), depth + 1)
                if not self.collectable(field_type, node.selection_set, grown, depth + 1):
                    return False
        return True

    def jumps(
        self, type_name: str, positions: frozenset[Position], depth: int = 0
    ) -> frozenset[Position]:
        """Grow the set of subgraphs through resolvable entity keys."""
        reached = set(positions)
        names = {name for name, _ in positions}
        changed = True
        while changed and depth <= 4:
            changed = False
            for target, view in self.views.items():
                if target in names:
                    continue
                t = view.types.get(type_name)
                if t is None:
                    continue
                for key in t.keys:
                    if not key.resolvable:
                        continue
                    try:
                        selection = parse_field_set(key.fields)
                    except FieldSetSyntaxError:
                        continue
                    if self.collectable(type_name, selection, frozenset(reached), depth):
                        reached.add((target, ()))
                        names.add(target)
                        changed = True
                        break
        return frozenset(reached)

    def requirements_met(self, f: FieldDef, type_name: str, names: set[str]) -> bool:
        if not f.requires:
            return True
        try:
            selection = parse_field_set(f.requires)
        except FieldSetSyntaxError:
            return False
        for node in selection.selections:
            if not isinstance(node, FieldNode):
                continue
            if not any(
                (g := self.local(n, type_name, node.name.value)) is not None and not g.external
                for n in names
            ):
                return False
        return True

    # ---------------------------------------------------------------- traversal
    def visit(self, type_name: str, positions: frozenset[Position], path: list[str]) -> None:
        if not positions:
            return
        key = (type_name, positions)
        if key in self.seen:
            return
        self.seen.add(key)
        st = self.ctx.supergraph.types.get(type_name)
        if st is None or st.inaccessible:
            return
        if st.kind == "union":
            self.visit_abstract(type_name, list(st.members), positions, path)
            return
        if st.kind not in ("object", "interface"):
            return
        grown = self.jumps(type_name, positions)
        names = {n for n, _ in grown}
        provided_by = dict(grown)
        for fname, sf in st.fields.items():
            if sf.inaccessible:
                continue
            options: list[Position] = []
            reasons: list[str] = []
            for name in sorted(names):
                f = self.local(name, type_name, fname)
                provided = dict(provided_by.get(name, ()))
                if f is None:
                    reasons.append(
                        f'- from subgraph "{name}": cannot find field "{type_name}.{fname}".'
                    )
                    continue
                if f.external and fname not in provided:
                    reasons.append(
                        f'- from subgraph "{name}": field "{type_name}.{fname}" is not resolvable '
                        "because marked @external."
                    )
                    continue
                if not self.requirements_met(f, type_name, names):
                    reasons.append(
                        f'- from subgraph "{name}": cannot satisfy @require conditions on field '
                        f'"{type_name}.{fname}".'
                    )
                    continue
                sub: Provided = provided.get(fname, ())
                if f.provides:
                    try:
                        sub = _provided(parse_field_set(f.provides))
                    except FieldSetSyntaxError:
                        pass
                options.append((name, sub))
            if not options and st.kind == "interface" and self.exploded(type_name, fname, names):
                continue
            if not options:
                self.report([*path, fname], type_name, fname, reasons)
                continue
            target = named_type(sf.type)
            target_type = self.ctx.supergraph.types.get(target)
            if target_type is None:
                continue
            if target_type.kind in ("interface", "union"):
                members = (
                    target_type.members
                    if target_type.kind == "union"
                    else [
                        t.name for t in self.ctx.supergraph.types.values() if target in t.interfaces
                    ]
                )
                if target_type.kind == "interface":
                    self.visit(target, frozenset(options), [*path, fname])
                self.visit_abstract(target, members, frozenset(options), [*path, fname])
            elif target_type.kind == "object":
                self.visit(target, frozenset(options), [*path, fname])

    def exploded(self, iface: str, fname: str, names: set[str]) -> bool:
        """An interface field a subgraph lacks is asked of each implementation it knows.

        Each implementation must then resolve the field, possibly after an entity
        jump; a subgraph knowing no implementation can never return an object there.
        """
        for name in names:
            impls = [t.name for t in self.views[name].types.values() if iface in t.interfaces]
            if all(self.resolvable_from(impl, fname, name) for impl in impls):
                return True
        return False

    def resolvable_from(self, type_name: str, fname: str, subgraph: str) -> bool:
        grown = {n for n, _ in self.jumps(type_name, frozenset({(subgraph, ())}))}
        return any(
            (f := self.local(n, type_name, fname)) is not None
            and not f.external
            and self.requirements_met(f, type_name, grown)
            for n in grown
        )

    def visit_abstract(
        self, abstract: str, members: list[str], positions: frozenset[Position], path: list[str]
    ) -> None:
        for member in members:
            knowing = frozenset(
                (name, provided)
                for name, provided in positions
                if member in self.views[name].subgraph.implementations(abstract)
                or (
                    member in self.views[name].types
                    and abstract in self.views[name].types[member].interfaces
                )
            )
            self.visit(member, knowing, [*path, f"... on {member}"])

    def report(self, path: list[str], type_name: str, fname: str, reasons: list[str]) -> None:
        coordinate = f"{type_name}.{fname}"
        if coordinate in self.errors:
            return
        lines = ["{" if self.operation == "query" else self.operation + " {"]
        for depth, step in enumerate(path):
            last = depth == len(path) - 1
            lines.append("  " * (depth + 1) + step + ("" if last else " {"))
        for depth in range(len(path) - 1, 0, -1):
            lines.append("  " * depth + "}")
        lines.append("}")
        self.errors[coordinate] = CompositionError(
            CODE,
            "The following supergraph API query:\n"
            + "\n".join(lines)
            + "\ncannot be satisfied by the subgraphs because:\n"
            + "\n".join(reasons),
            tuple(sorted({r.split('"')[1] for r in reasons})),
            (coordinate,),
        )


def check(ctx: CompositionContext) -> list[CompositionError]:
    walker = _Walker(ctx)
    for op, root in ctx.supergraph.roots.items():
        walker.operation = op
        start = frozenset((s.name, ()) for s in ctx.subgraphs if root in s.types)
        walker.visit(root, start, [])
    return list(walker.errors.values())
