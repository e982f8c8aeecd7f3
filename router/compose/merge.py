"""Merging subgraph models into the supergraph model, recording what each rule needs.

Merging never fails: where subgraphs disagree it picks something and records
the disagreement in `MergeFacts`, and the rules in `rules/` turn facts into
errors. How each kind merges:

* object and interface fields: union of fields; the field type is the most
  general one among the subgraphs that resolve it (`@external` definitions do
  not take part, they are only checked against it); arguments are intersected.
* input objects: intersection of fields; types merge to the most restrictive.
* enums: union when only used as output, intersection when only used as
  input, and all subgraphs must agree when used as both.
* unions: union of members. Scalars: one per subgraph.

`@join__field` is only written on a field when something differs between the
subgraphs having its parent type: a subgraph lacks the field, a definition is
`@external`, carries `@requires`/`@provides`/`@override`, or the types differ
(then each `@join__field` records its subgraph's `type`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .access import merged
from .fieldset import FieldSetSyntaxError, parse_field_set, walk
from .merged import (
    Graph,
    JoinField,
    JoinType,
    MergedSupergraph,
    SEnumValue,
    SField,
    SInput,
    SType,
)
from .model import (
    ROOT_NAMES,
    AppliedDirective,
    FieldDef,
    InputValue,
    Kind,
    Subgraph,
    TypeDef,
    named_type,
)
from .typeref import merge_types


def graph_enum_names(names: list[str]) -> list[str]:
    """`join__Graph` values: upper-cased, GraphQL-safe and unique, in subgraph order."""
    out: list[str] = []
    for name in names:
        base = re.sub(r"[^_0-9A-Za-z]", "_", name).upper()
        if base[:1].isdigit():
            base = "_" + base
        candidate, n = base, 1
        while candidate in out:
            candidate = f"{base}_{n}"
            n += 1
        out.append(candidate)
    return out


@dataclass
class FieldSource:
    subgraph: Subgraph
    parent: TypeDef
    field: FieldDef
    external: bool
    shareable: bool


@dataclass
class FieldFacts:
    """Everything merge learnt about one output field."""

    parent: str
    parent_kind: Kind
    name: str
    sources: list[FieldSource]
    resolving: list[FieldSource]
    merged: SField
    all_types_equal: bool
    types_compatible: bool
    used_overridden: set[str] = field(default_factory=set)
    unused_overridden: set[str] = field(default_factory=set)
    #: arg name -> subgraphs lacking it / subgraphs where it is required
    args_missing: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    arg_type_conflicts: list[str] = field(default_factory=list)
    arg_default_conflicts: list[str] = field(default_factory=list)

    @property
    def coordinate(self) -> str:
        return f"{self.parent}.{self.name}"


@dataclass
class InputFieldFacts:
    parent: str
    name: str
    sources: list[tuple[Subgraph, InputValue]]
    missing_in: list[str]
    types_compatible: bool
    default_conflict: bool
    kept: bool


@dataclass
class EnumFacts:
    name: str
    usage: str  # "input", "output", "both", "unused"
    #: value -> (subgraphs defining it, subgraphs defining the enum without it)
    partial_values: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    example_input: str | None = None
    example_output: str | None = None


@dataclass
class MergeFacts:
    kinds: dict[str, dict[str, Kind]] = field(default_factory=dict)
    fields: list[FieldFacts] = field(default_factory=list)
    input_fields: list[InputFieldFacts] = field(default_factory=list)
    enums: list[EnumFacts] = field(default_factory=list)
    #: key-field coordinates per subgraph (fields used by any @key of their type)
    key_fields: dict[str, set[str]] = field(default_factory=dict)
    #: coordinates used by @key/@requires/@provides per subgraph
    used_fields: dict[str, set[str]] = field(default_factory=dict)
    #: coordinates selected by some @provides, per subgraph
    provided_fields: dict[str, set[str]] = field(default_factory=dict)


def _most_common(values: list[str | None]) -> str | None:
    present = [v for v in values if v]
    if not present:
        return None
    counts = Counter(present)
    best = max(counts.values())
    return next(v for v in present if counts[v] == best)


def _union(lists: list[list[str]]) -> list[str]:
    out: list[str] = []
    for items in lists:
        for item in items:
            if item not in out:
                out.append(item)
    return out


def collect_provided(subgraph: Subgraph) -> set[str]:
    """Coordinates of the fields some `@provides` of the subgraph selects."""
    out: set[str] = set()
    for t in subgraph.types.values():
        for f in t.fields.values():
            if not f.provides:
                continue
            try:
                selection = parse_field_set(f.provides)
            except FieldSetSyntaxError:
                continue
            for selected in walk(subgraph, named_type(f.type), selection):
                out.add(f"{selected.parent}.{selected.name}")
                for impl in subgraph.implementations(selected.parent):
                    out.add(f"{impl}.{selected.name}")
    return out


def collect_field_usage(subgraph: Subgraph) -> tuple[set[str], set[str]]:
    """(key fields, fields used by any @key/@requires/@provides) of one subgraph."""
    keys: set[str] = set()
    used: set[str] = set()

    def mark(parent: str, text: str, into: list[set[str]]) -> None:
        try:
            selection = parse_field_set(text)
        except FieldSetSyntaxError:
            return
        for selected in walk(subgraph, parent, selection):
            for s in into:
                s.add(f"{selected.parent}.{selected.name}")
            if selected.definition is None:
                # abstract parents: mark the field on every implementation too
                for impl in subgraph.implementations(selected.parent):
                    for s in into:
                        s.add(f"{impl}.{selected.name}")

    for t in subgraph.types.values():
        for key in t.keys:
            mark(t.name, key.fields, [keys, used])
        for f in t.fields.values():
            if f.requires:
                mark(t.name, f.requires, [used])
            if f.provides:
                mark(named_type(f.type), f.provides, [used])
            # a field that implements an interface field is used, too
            for iface in t.interfaces:
                if f.name in getattr(subgraph.types.get(iface), "fields", {}):
                    used.add(f"{t.name}.{f.name}")
    return keys, used


class _Merger:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subgraphs = subgraphs
        self.enum_of = dict(
            zip(
                [s.name for s in subgraphs],
                graph_enum_names([s.name for s in subgraphs]),
                strict=True,
            )
        )
        self.facts = MergeFacts()
        self.supergraph = MergedSupergraph(
            graphs=[Graph(self.enum_of[s.name], s.name, s.url) for s in subgraphs]
        )
        self.relations: set[tuple[str, str]] = set()
        for s in subgraphs:
            keys, used = collect_field_usage(s)
            self.facts.key_fields[s.name] = keys
            self.facts.used_fields[s.name] = used
            self.facts.provided_fields[s.name] = collect_provided(s)
            for t in s.types.values():
                for iface in t.interfaces:
                    self.relations.add((iface, t.name))
                for member in t.members:
                    self.relations.add((t.name, member))

    def related(self, abstract: str, sub: str) -> bool:
        return (abstract, sub) in self.relations

    # ------------------------------------------------------------------ driver
    def run(self) -> tuple[MergedSupergraph, MergeFacts]:
        order: list[str] = []
        for s in self.subgraphs:
            for name in s.types:
                if name not in order:
                    order.append(name)
        for name in order:
            sources = [(s, s.types[name]) for s in self.subgraphs if name in s.types]
            kinds: dict[str, Kind] = {
                s.name: ("interface" if t.interface_object else t.kind) for s, t in sources
            }
            self.facts.kinds[name] = kinds
            kind = next(iter(kinds.values()))
            sources = [(s, t) for s, t in sources if kinds[s.name] == kind]
            merged = self.merge_type(name, kind, sources)
            if merged is not None:
                self.supergraph.types[name] = merged
        self.add_interface_object_fields()
        for op, root in ROOT_NAMES.items():
            if root in self.supergraph.types and (
                op == "query" or any(op in s.roots for s in self.subgraphs)
            ):
                self.supergraph.roots[op] = root
        self.merge_composed_directives()
        return self.supergraph, self.facts

    def merge_type(self, name: str, kind: Kind, sources: list[tuple[Subgraph, TypeDef]]) -> SType:
        st = SType(name, kind)
        st.description = _most_common([t.description for _, t in sources])
        st.inaccessible = any(t.inaccessible for _, t in sources)
        st.tags = _union([t.tags for _, t in sources])
        st.specified_by = next((t.specified_by for _, t in sources if t.specified_by), None)
        st.directives = self.composed([d for _, t in sources for d in t.directives])
        st.access = merged([t.access for _, t in sources])
        for s, t in sources:
            graph = self.enum_of[s.name]
            if t.keys and kind in ("object", "interface"):
                for key in t.keys:
                    st.joins.append(
                        JoinType(
                            graph,
                            key.fields,
                            key.extension or t.extends,
                            key.resolvable,
                            t.interface_object,
                            key.explicit_resolvable,
                        )
                    )
            else:
                st.joins.append(JoinType(graph, interface_object=t.interface_object))
        if kind in ("object", "interface"):
            real = [(s, t) for s, t in sources if not t.interface_object]
            st.interfaces = _union([t.interfaces for _, t in real])
            for s, t in real:
                for iface in t.interfaces:
                    st.implements.append((self.enum_of[s.name], iface))
            self.merge_fields(st, sources)
        elif kind == "union":
            st.members = _union([t.members for _, t in sources])
            for member in st.members:
                for s, t in sources:
                    if member in t.members:
                        st.member_joins.append((self.enum_of[s.name], member))
        elif kind == "enum":
            self.merge_enum(st, sources)
        elif kind == "input":
            self.merge_input(st, sources)
        return st

    # ------------------------------------------------------------------ fields
    def is_shareable(self, s: Subgraph, t: TypeDef, f: FieldDef) -> bool:
        return (
            f.shareable
            or f.block in t.shareable_blocks
            or f"{t.name}.{f.name}" in self.facts.key_fields[s.name]
        )

    def merge_fields(self, st: SType, sources: list[tuple[Subgraph, TypeDef]]) -> None:
        names = _union([list(t.fields) for _, t in sources])
        by_name = {s.name: (s, t) for s, t in sources}
        for fname in names:
            fsources = [
                FieldSource(
                    s,
                    t,
                    t.fields[fname],
                    t.fields[fname].external,
                    self.is_shareable(s, t, t.fields[fname]),
                )
                for s, t in sources
                if fname in t.fields
            ]
            used_over: set[str] = set()
            unused_over: set[str] = set()
            for src in fsources:
                origin = src.field.override
                if not origin or origin == src.subgraph.name or origin not in by_name:
                    continue
                other = next((o for o in fsources if o.subgraph.name == origin), None)
                if other is None or other.external:
                    continue
                if src.field.override_label:
                    continue
                if f"{st.name}.{fname}" in self.facts.used_fields[origin]:
                    used_over.add(origin)
                else:
                    unused_over.add(origin)
            resolving = [
                src for src in fsources if not src.external and src.subgraph.name not in unused_over
            ]
            typed = resolving or fsources
            merged_type, all_equal = merge_types(
                [src.field.type for src in typed], self.related, output=True
            )
            compatible = merged_type is not None
            if merged_type is None:
                merged_type = typed[0].field.type
            sf = SField(fname, merged_type)
            fields = [src.field for src in typed]
            sf.description = _most_common([f.description for f in fields])
            sf.deprecated = next((f.deprecated for f in fields if f.deprecated), None)
            sf.inaccessible = any(f.inaccessible for f in fields)
            sf.tags = _union([f.tags for f in fields])
            sf.directives = self.composed([d for f in fields for d in f.directives])
            sf.access = merged([src.field.access for src in fsources])
            facts = FieldFacts(
                st.name,
                st.kind,
                fname,
                fsources,
                resolving,
                sf,
                all_equal,
                compatible,
                used_over,
                unused_over,
            )
            self.merge_args(facts, typed)
            self.add_join_fields(facts, sources)
            st.fields[fname] = sf
            self.facts.fields.append(facts)

    def merge_args(self, facts: FieldFacts, typed: list[FieldSource]) -> None:
        names = _union([list(src.field.args) for src in typed])
        for arg_name in names:
            having = [src for src in typed if arg_name in src.field.args]
            if len(having) < len(typed):
                missing = [src.subgraph.name for src in typed if arg_name not in src.field.args]
                required = [
                    src.subgraph.name
                    for src in having
                    if src.field.args[arg_name].type.endswith("!")
                    and src.field.args[arg_name].default is None
                ]
                facts.args_missing[arg_name] = (missing, required)
                continue
            values = [src.field.args[arg_name] for src in having]
            facts.merged.args[arg_name] = self.merge_input_value(
                arg_name, values, facts.arg_type_conflicts, facts.arg_default_conflicts
            )

    def merge_input_value(
        self,
        name: str,
        values: list[InputValue],
        type_conflicts: list[str],
        default_conflicts: list[str],
    ) -> SInput:
        merged_type, _ = merge_types([v.type for v in values], self.related, output=False)
        if merged_type is None:
            type_conflicts.append(name)
            merged_type = values[0].type
        defaults = {v.default for v in values if v.default is not None}
        if len(defaults) > 1:
            default_conflicts.append(name)
        return SInput(
            name,
            merged_type,
            next((v.default for v in values if v.default is not None), None),
            _most_common([v.description for v in values]),
            next((v.deprecated for v in values if v.deprecated), None),
            any(v.inaccessible for v in values),
            _union([v.tags for v in values]),
            self.composed([d for v in values for d in v.directives]),
        )

    def add_join_fields(self, facts: FieldFacts, sources: list[tuple[Subgraph, TypeDef]]) -> None:
        overridden = facts.used_overridden | facts.unused_overridden
        by_subgraph = {src.subgraph.name: src for src in facts.sources}
        needs = (
            not facts.all_types_equal
            or bool(overridden)
            or any(src.field.override_label for src in facts.sources)
        )
        if not needs:
            for s, _ in sources:
                src = by_subgraph.get(s.name)
                if src is None or s.name in overridden:
                    needs = True
                    break
                if src.external or src.field.requires or src.field.provides:
                    needs = True
                    break
        if not needs:
            return
        joins: list[JoinField] = []
        for src in facts.sources:
            name = src.subgraph.name
            label = src.field.override_label
            if name in facts.unused_overridden and not label:
                continue
            joins.append(
                JoinField(
                    self.enum_of[name],
                    requires=src.field.requires,
                    provides=src.field.provides,
                    type=None if facts.all_types_equal else src.field.type,
                    external=src.external,
                    override=src.field.override,
                    used_overridden=name in facts.used_overridden,
                    override_label=label,
                )
            )
            if label:
                self.supergraph.uses_override_label = True
        facts.merged.joins = joins

    def add_interface_object_fields(self) -> None:
        """Fields an `@interfaceObject` adds to an interface appear on every implementation.

        On implementations that no subgraph resolves them for, they carry a bare
        `@join__field` (no graph): the router must go through the interface object.
        """
        for iface_name in self.facts.kinds:
            iface = self.supergraph.types.get(iface_name)
            if iface is None or iface.kind != "interface":
                continue
            if not any(j.interface_object for j in iface.joins):
                continue
            for obj in self.supergraph.types.values():
                if iface_name not in obj.interfaces:
                    continue
                for fname, f in iface.fields.items():
                    if fname in obj.fields:
                        continue
                    obj.fields[fname] = SField(
                        fname,
                        f.type,
                        dict(f.args),
                        f.description,
                        f.deprecated,
                        f.inaccessible,
                        list(f.tags),
                        list(f.directives),
                        [JoinField(None)],
                    )

    # ------------------------------------------------------------------ enums & inputs
    def enum_usage(self, name: str) -> EnumFacts:
        facts = EnumFacts(name, "unused")
        is_input = is_output = False
        for s in self.subgraphs:
            for t in s.types.values():
                for f in t.fields.values():
                    if named_type(f.type) == name:
                        is_output = True
                        facts.example_output = facts.example_output or f"{t.name}.{f.name}"
                    for a in f.args.values():
                        if named_type(a.type) == name:
                            is_input = True
                            facts.example_input = facts.example_input or (
                                f"{t.name}.{f.name}({a.name}:)"
                            )
                for fi in t.input_fields.values():
                    if named_type(fi.type) == name:
                        is_input = True
                        facts.example_input = facts.example_input or f"{t.name}.{fi.name}"
        facts.usage = (
            "both"
            if is_input and is_output
            else "input"
            if is_input
            else "output"
            if is_output
            else "unused"
        )
        return facts

    def merge_enum(self, st: SType, sources: list[tuple[Subgraph, TypeDef]]) -> None:
        facts = self.enum_usage(st.name)
        names = _union([list(t.values) for _, t in sources])
        for vname in names:
            having = [(s, t.values[vname]) for s, t in sources if vname in t.values]
            values = [v for _, v in having]
            inaccessible = any(v.inaccessible for v in values)
            if len(having) < len(sources):
                facts.partial_values[vname] = (
                    [s.name for s, _ in having],
                    [s.name for s, t in sources if vname not in t.values],
                )
                if facts.usage == "input" and not inaccessible:
                    continue
            st.values[vname] = SEnumValue(
                vname,
                _most_common([v.description for v in values]),
                next((v.deprecated for v in values if v.deprecated), None),
                inaccessible,
                _union([v.tags for v in values]),
                self.composed([d for v in values for d in v.directives]),
                [self.enum_of[s.name] for s, _ in having],
            )
        self.facts.enums.append(facts)

    def merge_input(self, st: SType, sources: list[tuple[Subgraph, TypeDef]]) -> None:
        names = _union([list(t.input_fields) for _, t in sources])
        for fname in names:
            having = [(s, t.input_fields[fname]) for s, t in sources if fname in t.input_fields]
            missing = [s.name for s, t in sources if fname not in t.input_fields]
            facts = InputFieldFacts(st.name, fname, having, missing, True, False, not missing)
            self.facts.input_fields.append(facts)
            if missing:
                continue
            type_conflicts: list[str] = []
            default_conflicts: list[str] = []
            merged = self.merge_input_value(
                fname, [v for _, v in having], type_conflicts, default_conflicts
            )
            facts.types_compatible = not type_conflicts
            facts.default_conflict = bool(default_conflicts)
            if len({v.type for _, v in having}) > 1:
                merged.joins = [JoinField(self.enum_of[s.name], type=v.type) for s, v in having]
            st.input_fields[fname] = merged

    # ------------------------------------------------------------------ composed directives
    def composed_names(self) -> set[str]:
        return {n for s in self.subgraphs for n in s.composed_directives}

    def composed(self, directives: list[AppliedDirective]) -> list[AppliedDirective]:
        names = self.composed_names()
        out = []
        seen: set[str] = set()
        from graphql import print_ast

        for d in directives:
            if d.name not in names:
                continue
            printed = print_ast(d.node)
            if printed in seen:
                continue
            seen.add(printed)
            out.append(d)
        return out

    def merge_composed_directives(self) -> None:
        from graphql import print_ast

        for s in self.subgraphs:
            for name in s.composed_directives:
                definition = s.directive_definitions.get(name)
                if definition is None or name in self.supergraph.directive_definitions:
                    continue
                self.supergraph.directive_definitions[name] = print_ast(definition)
                url = s.composed_links.get(name)
                if url:
                    imports = self.supergraph.custom_links.setdefault(url, [])
                    if name not in imports:
                        imports.append(name)


def merge(subgraphs: list[Subgraph]) -> tuple[MergedSupergraph, MergeFacts]:
    """Merge subgraphs (already validated one by one) into a supergraph model."""
    return _Merger(subgraphs).run()
