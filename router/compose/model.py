"""The subgraph model composition works on: one subgraph's types with their federation metadata.

Federation directives are resolved to canonical names when the model is built
(see `links.py`), so rules never deal with renamed or namespaced imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from graphql import DirectiveDefinitionNode, DirectiveNode

from .access import Access

Kind = Literal["object", "interface", "union", "enum", "input", "scalar"]

ROOT_KINDS = ("query", "mutation", "subscription")
ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}

_WRAPPERS = re.compile(r"[\[\]!]")


def named_type(type_ref: str) -> str:
    """`[Int!]!` -> `Int`."""
    return _WRAPPERS.sub("", type_ref)


@dataclass
class AppliedDirective:
    """A non-federation directive application kept for the supergraph (composed directives)."""

    name: str
    node: DirectiveNode


@dataclass
class InputValue:
    """An argument or an input field."""

    name: str
    type: str
    default: str | None = None
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[AppliedDirective] = field(default_factory=list)


@dataclass
class FieldDef:
    """An output field with what federation says about it in this subgraph."""

    name: str
    type: str
    args: dict[str, InputValue] = field(default_factory=dict)
    description: str | None = None
    deprecated: str | None = None
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    shareable: bool = False
    override: str | None = None
    override_label: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[AppliedDirective] = field(default_factory=list)
    access: Access = field(default_factory=Access)
    #: which definition or extension block of the type declared the field
    block: int = 0
    in_extension: bool = False


@dataclass
class EnumValue:
    name: str
    description: str | None = None
    deprecated: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[AppliedDirective] = field(default_factory=list)


@dataclass
class Key:
    fields: str
    resolvable: bool = True
    extension: bool = False
    #: `resolvable:` was written out (supergraphs repeat it as written)
    explicit_resolvable: bool = False


@dataclass
class TypeDef:
    """A named type of one subgraph, all its definition and extension blocks merged."""

    name: str
    kind: Kind
    description: str | None = None
    fields: dict[str, FieldDef] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    shareable_blocks: set[int] = field(default_factory=set)
    extends: bool = False
    interface_object: bool = False
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    specified_by: str | None = None
    directives: list[AppliedDirective] = field(default_factory=list)
    access: Access = field(default_factory=Access)
    has_definition: bool = False
    has_extension: bool = False

    @property
    def is_entity(self) -> bool:
        return bool(self.keys)

    @property
    def is_composite(self) -> bool:
        return self.kind in ("object", "interface")


@dataclass
class Subgraph:
    """One subgraph, ready for composition."""

    name: str
    url: str
    federation_version: tuple[int, int] | None
    types: dict[str, TypeDef] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    directive_definitions: dict[str, DirectiveDefinitionNode] = field(default_factory=dict)
    #: custom directives named by `@composeDirective` (local names, no `@`)
    composed_directives: list[str] = field(default_factory=list)
    #: url of the `@link` that defines each composed directive
    composed_links: dict[str, str] = field(default_factory=dict)

    @property
    def is_fed2(self) -> bool:
        return self.federation_version is not None

    def field(self, type_name: str, field_name: str) -> FieldDef | None:
        t = self.types.get(type_name)
        return t.fields.get(field_name) if t else None

    def implementations(self, abstract: str) -> list[str]:
        """Object types of this subgraph that implement `abstract` or belong to the union."""
        t = self.types.get(abstract)
        if t is None:
            return []
        if t.kind == "union":
            return list(t.members)
        return [n for n, o in self.types.items() if abstract in o.interfaces]
