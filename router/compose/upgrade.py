"""Reading Federation 1 subgraphs with Federation 2 semantics.

Apollo composes Federation 1 subgraphs by first upgrading them; the parts of
that upgrade which change the supergraph are:

* every field is shareable (Federation 1 had no `@shareable`);
* `extend type T @key(...)` is read as a plain definition, so its `@join__type`
  carries no `extension: true` (types with `@extends` keep it);
* `@external` fields used by no `@key`/`@requires`/`@provides` are dropped, as
  are `@key`s on interfaces and `@provides` whose fields are not external;
* a `@provides`/`@requires` selection keeps only the fields that are external.
"""

from __future__ import annotations

from .fieldset import FieldSetSyntaxError, parse_field_set
from .merge import collect_field_usage
from .model import Subgraph, named_type


def _external_only(subgraph: Subgraph, parent: str, text: str) -> str | None:
    """Keep the top-level selections of a field set that are external (with their subfields)."""
    try:
        selection = parse_field_set(text)
    except FieldSetSyntaxError:
        return text
    from graphql import FieldNode, print_ast

    kept: list[str] = []
    for node in selection.selections:
        if isinstance(node, FieldNode):
            f = subgraph.field(parent, node.name.value)
            if f is None or f.external:
                kept.append(print_ast(node))
        else:
            kept.append(print_ast(node))
    return " ".join(" ".join(k.split()) for k in kept) or None


def upgrade_federation1(subgraph: Subgraph) -> None:
    """Rewrite a Federation 1 subgraph in place (no-op for Federation 2 subgraphs)."""
    if subgraph.is_fed2:
        return
    for t in subgraph.types.values():
        if t.kind == "interface":
            t.keys = []
        for key in t.keys:
            key.extension = False
        for f in t.fields.values():
            if f.provides:
                f.provides = _external_only(subgraph, named_type(f.type), f.provides)
            if f.requires:
                f.requires = _external_only(subgraph, t.name, f.requires)
    _, used = collect_field_usage(subgraph)
    for t in subgraph.types.values():
        for name in [n for n, f in t.fields.items() if f.external]:
            if f"{t.name}.{name}" not in used and not _satisfies_interface(subgraph, t.name, name):
                del t.fields[name]
        for f in t.fields.values():
            if not f.external and t.kind == "object":
                f.shareable = True


def _satisfies_interface(subgraph: Subgraph, type_name: str, field_name: str) -> bool:
    t = subgraph.types[type_name]
    return any(field_name in subgraph.types[i].fields for i in t.interfaces if i in subgraph.types)
