"""Load an Apollo join-spec supergraph SDL into a `Supergraph`."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)

from router.supergraph.api_schema import build_api_schema
from router.supergraph.fieldset import parse_field_set
from router.supergraph.links import LinkNames, read_links
from router.supergraph.model import FieldJoin, Key, Subgraph, Supergraph

__all__ = ["SupergraphError", "load_supergraph"]


class SupergraphError(ValueError):
    """The SDL is not a usable join-spec supergraph."""


def _args(d: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}


def _directives(node: Any, name: str) -> list[dict[str, Any]]:
    return [_args(d) for d in node.directives or () if d.name.value == name]


def load_supergraph(sdl: str) -> Supergraph:
    """Parse `sdl`, read its join metadata and build the API schema."""
    try:
        doc: DocumentNode = parse(sdl, no_location=True)
        schema = build_ast_schema(doc, assume_valid_sdl=True)
    except Exception as exc:  # graphql-core raises GraphQLError or TypeError
        raise SupergraphError(f"invalid supergraph SDL: {exc}") from exc
    names = read_links(doc)
    sg = Supergraph(
        schema=schema,
        api_schema=build_api_schema(doc),
        sdl=sdl,
        subgraphs=_read_graphs(doc, names),
    )
    for defn in doc.definitions:
        if isinstance(defn, TypeDefinitionNode):
            _read_type(sg, defn, names)
    return sg


def _read_graphs(doc: DocumentNode, names: LinkNames) -> dict[str, Subgraph]:
    out: dict[str, Subgraph] = {}
    for defn in doc.definitions:
        if isinstance(defn, EnumTypeDefinitionNode) and defn.name.value == names.join_graph_enum:
            for v in defn.values or ():
                for a in _directives(v, names.join("graph")):
                    out[v.name.value] = Subgraph(v.name.value, str(a["name"]), str(a["url"]))
    if not out and not any(isinstance(d, SchemaDefinitionNode) for d in doc.definitions):
        raise SupergraphError("no join__Graph enum: not a supergraph")
    return out


def _read_type(sg: Supergraph, defn: TypeDefinitionNode, names: LinkNames) -> None:
    tname = defn.name.value
    graphs: list[str] = []
    for a in _directives(defn, names.join("type")):
        g = str(a["graph"])
        if g not in graphs:
            graphs.append(g)
        if a.get("key") is not None:
            text = str(a["key"])
            sg.keys.setdefault(tname, []).append(
                Key(g, parse_field_set(text), text, bool(a.get("resolvable", True)))
            )
        if a.get("isInterfaceObject"):
            sg.interface_objects.setdefault(tname, set()).add(g)
    sg.type_graphs[tname] = graphs
    for a in _directives(defn, names.join("implements")):
        sg.implements.setdefault((str(a["graph"]), tname), set()).add(str(a["interface"]))
    if isinstance(defn, UnionTypeDefinitionNode):
        for a in _directives(defn, names.join("unionMember")):
            sg.union_members.setdefault((str(a["graph"]), tname), set()).add(str(a["member"]))
    if isinstance(defn, EnumTypeDefinitionNode):
        for v in defn.values or ():
            gs = {str(a["graph"]) for a in _directives(v, names.join("enumValue"))}
            sg.enum_values[(tname, v.name.value)] = gs or set(graphs)
    if isinstance(defn, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        for f in defn.fields or ():
            joins = _directives(f, names.join("field"))
            if not joins:
                continue
            sg.field_joins[(tname, f.name.value)] = [
                FieldJoin(
                    graph=str(a.get("graph") or ""),
                    requires=parse_field_set(str(a["requires"])) if a.get("requires") else None,
                    provides=parse_field_set(str(a["provides"])) if a.get("provides") else None,
                    type=str(a["type"]) if a.get("type") else None,
                    external=bool(a.get("external", False)),
                    override=str(a["override"]) if a.get("override") else None,
                    used_overridden=bool(a.get("usedOverridden", False)),
                )
                for a in joins
            ]
