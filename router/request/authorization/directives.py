"""Read `@authenticated` and `@requiresScopes` from a supergraph.

Both come from Apollo's specs (`https://specs.apollo.dev/authenticated/v0.1`,
`https://specs.apollo.dev/requiresScopes/v0.1`), linked on the schema; their
local names follow the `@link` (`as:` or `import:` renames).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    value_from_ast_untyped,
)

__all__ = ["AccessRules", "read_access_rules"]

#: alternatives (OR) of scope sets (AND), as in `@requiresScopes(scopes: [["a", "b"], ["c"]])`
ScopeRule = tuple[frozenset[str], ...]


@dataclass(slots=True)
class AccessRules:
    authenticated_types: set[str] = field(default_factory=set)
    authenticated_fields: set[tuple[str, str]] = field(default_factory=set)
    scoped_types: dict[str, list[ScopeRule]] = field(default_factory=dict)
    scoped_fields: dict[tuple[str, str], list[ScopeRule]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.authenticated_types
            or self.authenticated_fields
            or self.scoped_types
            or self.scoped_fields
        )

    def scope_names(self) -> frozenset[str]:
        out: set[str] = set()
        for rules in (*self.scoped_types.values(), *self.scoped_fields.values()):
            for rule in rules:
                for alt in rule:
                    out |= alt
        return frozenset(out)


def _link_names(schema: GraphQLSchema) -> tuple[str, str]:
    authenticated, requires_scopes = "authenticated", "requiresScopes"
    nodes = [schema.ast_node, *schema.extension_ast_nodes]
    for node in nodes:
        for d in getattr(node, "directives", None) or ():
            if d.name.value != "link":
                continue
            args = {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}
            url = str(args.get("url") or "").rstrip("/")
            parts = url.split("/")
            spec = parts[-2] if len(parts) >= 2 else ""
            alias = args.get("as")
            renames: dict[str, str] = {}
            for imp in args.get("import") or ():
                if isinstance(imp, dict) and isinstance(imp.get("name"), str):
                    renames[imp["name"].lstrip("@")] = str(imp.get("as") or imp["name"]).lstrip("@")
            if spec == "authenticated":
                authenticated = renames.get("authenticated", str(alias or "authenticated"))
            elif spec == "requiresScopes":
                requires_scopes = renames.get("requiresScopes", str(alias or "requiresScopes"))
    return authenticated, requires_scopes


def _directives(node: Any, extensions: Any = ()) -> list[Any]:
    out = list(getattr(node, "directives", None) or ())
    for ext in extensions or ():
        out.extend(getattr(ext, "directives", None) or ())
    return out


def _scopes(d: Any) -> ScopeRule | None:
    for a in d.arguments or ():
        if a.name.value == "scopes":
            v = value_from_ast_untyped(a.value)
            if isinstance(v, list):
                return tuple(frozenset(str(s) for s in alt) for alt in v if isinstance(alt, list))
    return None


def read_access_rules(schema: GraphQLSchema) -> AccessRules:
    """Collect the access rules of the (full) supergraph schema."""
    authn, scopes = _link_names(schema)
    rules = AccessRules()
    for name, t in schema.type_map.items():
        if name.startswith("__"):
            continue
        for d in _directives(t.ast_node, t.extension_ast_nodes):
            if d.name.value == authn:
                rules.authenticated_types.add(name)
            elif d.name.value == scopes and (s := _scopes(d)) is not None:
                rules.scoped_types.setdefault(name, []).append(s)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for fname, f in t.fields.items():
                for d in _directives(f.ast_node):
                    if d.name.value == authn:
                        rules.authenticated_fields.add((name, fname))
                    elif d.name.value == scopes and (s := _scopes(d)) is not None:
                        rules.scoped_fields.setdefault((name, fname), []).append(s)
    return rules
