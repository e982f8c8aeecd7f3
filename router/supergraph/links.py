"""Resolve the names that `@link` gives the join and inaccessible machinery."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import DocumentNode, SchemaDefinitionNode, SchemaExtensionNode, value_from_ast_untyped

__all__ = ["LinkNames", "read_links"]


@dataclass(slots=True)
class LinkNames:
    """Local names of the linked specs (`join`, `inaccessible`, `link`)."""

    join_prefix: str = "join"
    link_prefix: str = "link"
    inaccessible: str = "inaccessible"
    #: every prefix whose directives and types are machinery (removed from the API)
    machinery_prefixes: set[str] = field(default_factory=lambda: {"join", "link"})
    #: directives that are machinery without a prefix (imported names)
    machinery_directives: set[str] = field(default_factory=lambda: {"link"})

    def join(self, name: str) -> str:
        return f"{self.join_prefix}__{name}"

    @property
    def join_graph_enum(self) -> str:
        return f"{self.join_prefix}__Graph"


def read_links(doc: DocumentNode) -> LinkNames:
    names = LinkNames()
    for defn in doc.definitions:
        if not isinstance(defn, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for d in defn.directives or ():
            if d.name.value != "link":
                continue
            args = {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}
            url = str(args.get("url") or "")
            parts = url.rstrip("/").split("/")
            spec = parts[-2] if len(parts) >= 2 else ""
            local = str(args.get("as") or spec)
            if spec == "join":
                names.join_prefix = local
                names.machinery_prefixes.add(local)
            elif spec == "link":
                names.link_prefix = local
                names.machinery_prefixes.add(local)
            elif spec == "inaccessible":
                names.inaccessible = local
                names.machinery_directives.add(local)
            else:
                names.machinery_prefixes.add(local)
                names.machinery_directives.add(local)
            for imp in args.get("import") or ():
                name = imp.get("as") or imp.get("name") if isinstance(imp, dict) else imp
                if isinstance(name, str):
                    names.machinery_directives.add(name.lstrip("@"))
    return names
