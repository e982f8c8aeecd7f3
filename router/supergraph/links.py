"""Resolve the names that `@link` gives the join and inaccessible machinery."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import DocumentNode, SchemaDefinitionNode, SchemaExtensionNode, value_from_ast_untyped

__all__ = ["LinkNames", "parse_link_url", "read_links"]

_URL = re.compile(r"^(?P<base>.*/)(?P<name>[^/]+)/v(?P<major>\d+)\.(?P<minor>\d+)/?$")


@dataclass(slots=True)
class LinkNames:
    """Local names of the join and link specs (the API schema builder reads links itself)."""

    join_prefix: str = "join"
    link_prefix: str = "link"

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
            elif spec == "link":
                names.link_prefix = local
    return names


def parse_link_url(url: str) -> tuple[str, tuple[int, int]] | None:
    """Split `https://specs.apollo.dev/federation/v2.3` into ("federation", (2, 3))."""
    m = _URL.match(url)
    if m is None:
        return None
    return m.group("name"), (int(m.group("major")), int(m.group("minor")))
