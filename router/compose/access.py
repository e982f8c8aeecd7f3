"""`@authenticated` and `@requiresScopes`: carried from subgraphs into the supergraph.

Apollo composition keeps both (Federation 2.5+) so that the router can enforce
them: a subgraph marks an admin field, the supergraph links Apollo's SECURITY
specs and repeats the directive on the field or type. Where several subgraphs
define the same element, every subgraph's requirement holds: `@authenticated`
if any has it, and the scope requirements are combined with AND (each
alternative of one joined with each alternative of the other).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DirectiveNode, ListValueNode, StringValueNode
from graphql.language.print_string import print_string

AUTHENTICATED_V01 = "https://specs.apollo.dev/authenticated/v0.1"
REQUIRES_SCOPES_V01 = "https://specs.apollo.dev/requiresScopes/v0.1"
LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
DEFINITIONS = {
    "authenticated": f"directive @authenticated on {LOCATIONS}",
    "requiresScopes": (
        f"directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {LOCATIONS}"
    ),
}
SCOPE_SCALAR = "scalar requiresScopes__Scope"

#: alternatives (OR) of scope sets (AND)
Scopes = tuple[frozenset[str], ...]


@dataclass
class Access:
    """What an element of one subgraph, or of the supergraph, asks of the caller."""

    authenticated: bool = False
    scopes: Scopes | None = None

    @property
    def empty(self) -> bool:
        return not self.authenticated and self.scopes is None


def read_scopes(directive: DirectiveNode) -> Scopes:
    """The `scopes` argument of one `@requiresScopes`."""
    for argument in directive.arguments or ():
        if argument.name.value == "scopes" and isinstance(argument.value, ListValueNode):
            return tuple(
                frozenset(s.value for s in alt.values if isinstance(s, StringValueNode))
                for alt in argument.value.values
                if isinstance(alt, ListValueNode)
            )
    return ()


def both(first: Scopes | None, second: Scopes | None) -> Scopes | None:
    """Both requirements at once: each alternative of one joined with each of the other."""
    if first is None:
        return second
    if second is None:
        return first
    joined: list[frozenset[str]] = []
    for a in first:
        for b in second:
            if (a | b) not in joined:
                joined.append(a | b)
    return tuple(joined)


def merged(accesses: list[Access]) -> Access:
    scopes: Scopes | None = None
    for access in accesses:
        scopes = both(scopes, access.scopes)
    return Access(any(a.authenticated for a in accesses), scopes)


def printed(access: Access) -> list[str]:
    out = ["@authenticated"] if access.authenticated else []
    if access.scopes is not None:
        alternatives = ", ".join(
            "[" + ", ".join(print_string(s) for s in sorted(alt)) + "]" for alt in access.scopes
        )
        out.append(f"@requiresScopes(scopes: [{alternatives}])")
    return out
