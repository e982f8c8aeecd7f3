"""The merged supergraph: what `merge` builds, the rules check and the printer writes out.

Composition's working copy, with descriptions, tags and directives to print.
The router never sees it: it reads the printed SDL into its one supergraph
model, `router.supergraph.Supergraph` (join tables for planning).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .access import Access
from .model import AppliedDirective, Kind


@dataclass
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    interface_object: bool = False
    explicit_resolvable: bool = False


@dataclass
class JoinField:
    """`@join__field`; `graph=None` prints as a bare `@join__field` (interface object fields)."""

    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None


@dataclass
class SInput:
    name: str
    type: str
    default: str | None = None
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[AppliedDirective] = field(default_factory=list)
    joins: list[JoinField] | None = None


@dataclass
class SField:
    name: str
    type: str
    args: dict[str, SInput] = field(default_factory=dict)
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[AppliedDirective] = field(default_factory=list)
    joins: list[JoinField] | None = None
    access: Access = field(default_factory=Access)


@dataclass
class SEnumValue:
    name: str
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[AppliedDirective] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)


@dataclass
class SType:
    name: str
    kind: Kind
    description: str | None = None
    joins: list[JoinType] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    implements: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, SField] = field(default_factory=dict)
    input_fields: dict[str, SInput] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    member_joins: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, SEnumValue] = field(default_factory=dict)
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    specified_by: str | None = None
    directives: list[AppliedDirective] = field(default_factory=list)
    access: Access = field(default_factory=Access)


@dataclass
class Graph:
    """One member of `join__Graph`."""

    enum: str
    name: str
    url: str


@dataclass
class MergedSupergraph:
    graphs: list[Graph] = field(default_factory=list)
    types: dict[str, SType] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    #: composed custom directive definitions, already printed
    directive_definitions: dict[str, str] = field(default_factory=dict)
    #: extra `@link`s for composed directives: url -> imported names
    custom_links: dict[str, list[str]] = field(default_factory=dict)
    uses_override_label: bool = False

    def uses_access(self, what: str) -> bool:
        """Whether any type or field carries `@authenticated` or `@requiresScopes`."""
        for t in self.types.values():
            for access in (t.access, *(f.access for f in t.fields.values())):
                if what == "authenticated" and access.authenticated:
                    return True
                if what == "requiresScopes" and access.scopes is not None:
                    return True
        return False

    def uses(self, predicate: str) -> bool:
        """Whether any element carries `@inaccessible` ("inaccessible") or `@tag` ("tag")."""
        for t in self.types.values():
            elements: list[object] = [t]
            for f in t.fields.values():
                elements.append(f)
                elements.extend(f.args.values())
            elements.extend(t.input_fields.values())
            elements.extend(t.values.values())
            for e in elements:
                if predicate == "inaccessible" and getattr(e, "inaccessible", False):
                    return True
                if predicate == "tag" and getattr(e, "tags", None):
                    return True
        return False
