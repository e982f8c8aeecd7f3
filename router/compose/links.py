"""Reading `@link` on a subgraph's schema: which federation version, under which names.

Federation 2 subgraphs `@link` the federation spec and `import` the directives
they use. Imports can be renamed (`{name: "@key", as: "@primaryKey"}`), and every
directive that is not imported is still available under the link's namespace,
`federation__requires` by default or `<as>__requires` when the link has `as:`.
A subgraph without a federation link is a Federation 1 subgraph: its directives
go by their plain names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
)

from router.supergraph.links import parse_link_url

FEDERATION_SPEC = "https://specs.apollo.dev/federation/"
LINK_SPEC = "https://specs.apollo.dev/link/"

#: Every directive the federation spec defines (up to v2.9), by canonical name.
FEDERATION_DIRECTIVES = frozenset(
    {
        "key",
        "requires",
        "provides",
        "external",
        "shareable",
        "extends",
        "override",
        "inaccessible",
        "tag",
        "interfaceObject",
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "context",
        "fromContext",
        "cost",
        "listSize",
    }
)

#: Directives a Federation 1 subgraph knows without any link.
FEDERATION1_DIRECTIVES = frozenset(
    {"key", "requires", "provides", "external", "extends", "tag", "inaccessible"}
)


@dataclass(frozen=True)
class Link:
    """One `@link` application: spec URL parts, namespace and imports (local -> original)."""

    url: str
    name: str
    version: tuple[int, int]
    namespace: str
    imports: dict[str, str]


@dataclass
class LinkInfo:
    """Result of reading a subgraph's links."""

    federation_version: tuple[int, int] | None
    #: local directive name (no `@`) -> canonical federation directive name
    directive_names: dict[str, str] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    #: local names of directives defined by any linked spec (never printed as custom)
    linked_directive_names: set[str] = field(default_factory=set)
    #: local names of types defined by linked specs (`federation__FieldSet`, `link__Import`, ...)
    linked_type_prefixes: set[str] = field(default_factory=set)

    @property
    def is_fed2(self) -> bool:
        return self.federation_version is not None

    def canonical(self, local: str) -> str | None:
        return self.directive_names.get(local)


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _arg(node: DirectiveNode, name: str) -> ValueNode | None:
    for arg in node.arguments or ():
        if arg.name.value == name:
            return arg.value
    return None


def _imports(value: ValueNode | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if value is None:
        return out
    items = value.values if isinstance(value, ListValueNode) else (value,)
    for item in items:
        if isinstance(item, StringValueNode):
            out[item.value.lstrip("@")] = item.value.lstrip("@")
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: _string(f.value) for f in item.fields}
            original = fields.get("name")
            if original:
                local = fields.get("as") or original
                out[local.lstrip("@")] = original.lstrip("@")
    return out


def schema_directives(document: DocumentNode) -> list[DirectiveNode]:
    """Directives applied on `schema` and `extend schema`, in document order."""
    out: list[DirectiveNode] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            out.extend(definition.directives or ())
    return out


def read_links(document: DocumentNode) -> LinkInfo:
    """Find the federation link (if any) and the names every linked directive goes by."""
    links: list[Link] = []
    for directive in schema_directives(document):
        if directive.name.value != "link":
            continue
        url = _string(_arg(directive, "url"))
        parsed = parse_link_url(url) if url else None
        if url is None or parsed is None:
            continue
        name, version = parsed
        namespace = _string(_arg(directive, "as")) or name
        links.append(
            Link(url, name, version, namespace.lstrip("@"), _imports(_arg(directive, "import")))
        )

    federation = next((link for link in links if link.url.startswith(FEDERATION_SPEC)), None)
    info = LinkInfo(federation_version=federation.version if federation else None, links=links)
    info.linked_directive_names.add("link")
    info.linked_type_prefixes.update({"link", "federation"})
    if federation is None:
        info.directive_names = {name: name for name in FEDERATION1_DIRECTIVES}
        info.linked_directive_names.update(FEDERATION1_DIRECTIVES)
    else:
        for name in FEDERATION_DIRECTIVES:
            info.directive_names[f"{federation.namespace}__{name}"] = name
        for local, original in federation.imports.items():
            if original in FEDERATION_DIRECTIVES:
                info.directive_names[local] = original
        info.linked_directive_names.update(info.directive_names)
        info.linked_type_prefixes.add(federation.namespace)
    for link in links:
        if link is federation:
            continue
        if link.url.startswith(LINK_SPEC):
            if link.namespace != "link":
                info.linked_directive_names.add(link.namespace)
            continue
        info.linked_type_prefixes.add(link.namespace)
    return info
