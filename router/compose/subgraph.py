"""Building the composition model of one subgraph from its SDL.

Subgraph SDL as served by `_service { sdl }` may or may not contain the
federation machinery (`_Service`, `_Entity`, `_Any`, the directive and scalar
definitions, `Query._entities`); it is dropped here so that both shapes compose
the same way. Root types are renamed to `Query`/`Mutation`/`Subscription`, as
the supergraph always uses the default names.
"""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    parse,
    print_ast,
)

from .access import Access, both, read_scopes
from .links import LinkInfo, read_links, schema_directives
from .model import (
    ROOT_KINDS,
    ROOT_NAMES,
    AppliedDirective,
    EnumValue,
    FieldDef,
    InputValue,
    Key,
    Kind,
    Subgraph,
    TypeDef,
)
from .types import CompositionError, SubgraphSource

#: Types that federation adds to every subgraph; never part of the supergraph.
FEDERATION_TYPES = frozenset({"_Service", "_Any", "_Entity", "_FieldSet", "FieldSet"})
BUILTIN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "skip", "include", "oneOf"})
DEFAULT_DEPRECATION = "No longer supported"

_KINDS: dict[type, Kind] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


def _arg(node: DirectiveNode, name: str) -> ValueNode | None:
    for arg in node.arguments or ():
        if arg.name.value == name:
            return arg.value
    return None


def _str_arg(node: DirectiveNode, name: str) -> str | None:
    value = _arg(node, name)
    return value.value if isinstance(value, StringValueNode) else None


def _bool_arg(node: DirectiveNode, name: str, default: bool) -> bool:
    value = _arg(node, name)
    return value.value if isinstance(value, BooleanValueNode) else default


def _description(node: object) -> str | None:
    desc = getattr(node, "description", None)
    return desc.value if desc is not None else None


class _Builder:
    def __init__(self, source: SubgraphSource, document: DocumentNode, links: LinkInfo) -> None:
        self.source = source
        self.document = document
        self.links = links
        self.subgraph = Subgraph(source.name, source.url, links.federation_version)
        self.renames: dict[str, str] = {}
        self.errors: list[CompositionError] = []
        self.blocks: dict[str, int] = {}

    # -------------------------------------------------------------- helpers
    def canonical(self, directive: DirectiveNode) -> str | None:
        return self.links.canonical(directive.name.value)

    def type_ref(self, node: TypeNode) -> str:
        if isinstance(node, NonNullTypeNode):
            return self.type_ref(node.type) + "!"
        if isinstance(node, ListTypeNode):
            return "[" + self.type_ref(node.type) + "]"
        assert isinstance(node, NamedTypeNode)
        name = node.name.value
        return self.renames.get(name, name)

    def custom(self, directive: DirectiveNode) -> AppliedDirective | None:
        name = directive.name.value
        if name in BUILTIN_DIRECTIVES or name in self.links.linked_directive_names:
            return None
        return AppliedDirective(name, directive)

    def is_machinery(self, name: str) -> bool:
        if name in FEDERATION_TYPES:
            return True
        prefix, sep, _ = name.partition("__")
        return bool(sep) and prefix in self.links.linked_type_prefixes

    # -------------------------------------------------------------- roots
    def read_roots(self) -> None:
        explicit: dict[str, str] = {}
        for definition in self.document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                for op in definition.operation_types or ():
                    explicit[op.operation.value] = op.type.name.value
        for kind in ROOT_KINDS:
            name = explicit.get(kind)
            if name is not None and name != ROOT_NAMES[kind]:
                self.renames[name] = ROOT_NAMES[kind]
                if self._defines(ROOT_NAMES[kind]):
                    self.errors.append(
                        CompositionError(
                            f"ROOT_{kind.upper()}_USED",
                            f'The schema has a type named "{ROOT_NAMES[kind]}" but it is not set '
                            "as "
                            f'the {kind} root type ("{name}" is instead): this is not supported '
                            "by federation.",
                            (self.source.name,),
                            (ROOT_NAMES[kind],),
                        )
                    )
        for kind in ROOT_KINDS:
            root = ROOT_NAMES[kind]
            if kind in explicit or self._defines(root):
                self.subgraph.roots[kind] = root
        self.subgraph.roots.setdefault("query", "Query")

    def _defines(self, name: str) -> bool:
        return any(
            isinstance(d, TypeDefinitionNode | TypeExtensionNode) and d.name.value == name
            for d in self.document.definitions
        )

    # -------------------------------------------------------------- schema-level
    def read_schema_directives(self) -> None:
        for directive in schema_directives(self.document):
            if self.canonical(directive) != "composeDirective":
                continue
            name = (_str_arg(directive, "name") or "").lstrip("@")
            if name:
                self.subgraph.composed_directives.append(name)
        for name in self.subgraph.composed_directives:
            for link in self.links.links:
                if name in link.imports or name.startswith(link.namespace + "__"):
                    self.subgraph.composed_links[name] = link.url

    # -------------------------------------------------------------- types
    def build(self) -> Subgraph:
        self.read_roots()
        self.read_schema_directives()
        for definition in self.document.definitions:
            if isinstance(definition, DirectiveDefinitionNode):
                name = definition.name.value
                if name not in self.links.linked_directive_names and name not in BUILTIN_DIRECTIVES:
                    self.subgraph.directive_definitions[name] = definition
            elif isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
                self.read_type(definition)
        query = self.subgraph.types.get("Query")
        if query is None:
            # Federation adds `_service` and `_entities` to every subgraph's Query.
            self.subgraph.types["Query"] = TypeDef("Query", "object", has_definition=True)
        self.mark_fake_externals()
        return self.subgraph

    def read_type(self, node: TypeDefinitionNode | TypeExtensionNode) -> None:
        raw_name = node.name.value
        if self.is_machinery(raw_name):
            return
        name = self.renames.get(raw_name, raw_name)
        kind = _KINDS[type(node)]
        is_extension = isinstance(node, TypeExtensionNode)
        t = self.subgraph.types.get(name)
        if t is None:
            t = TypeDef(name, kind)
            self.subgraph.types[name] = t
        elif t.kind != kind and not (t.kind == "object" and t.interface_object):
            self.errors.append(
                CompositionError(
                    "INVALID_GRAPHQL",
                    f'Type "{name}" is declared as both {t.kind} and {kind}.',
                    (self.source.name,),
                    (name,),
                )
            )
            return
        block = self.blocks.get(name, 0)
        self.blocks[name] = block + 1
        if is_extension:
            t.has_extension = True
        else:
            t.has_definition = True
            t.description = _description(node) or t.description

        block_external = False
        block_keys: list[Key] = []
        for directive in node.directives or ():
            canonical = self.canonical(directive)
            if canonical == "key":
                fields = _str_arg(directive, "fields")
                if fields is not None:
                    explicit = _arg(directive, "resolvable")
                    block_keys.append(
                        Key(
                            fields,
                            _bool_arg(directive, "resolvable", True),
                            is_extension,
                            isinstance(explicit, BooleanValueNode),
                        )
                    )
            elif canonical == "shareable":
                t.shareable_blocks.add(block)
            elif canonical == "extends":
                t.extends = True
            elif canonical == "interfaceObject":
                t.interface_object = True
            elif canonical == "inaccessible":
                t.inaccessible = True
            elif canonical == "tag":
                self._tag(t.tags, directive)
            elif canonical == "external":
                block_external = True
            elif canonical in ("authenticated", "requiresScopes"):
                self._access(t.access, canonical, directive)
            elif directive.name.value == "specifiedBy":
                t.specified_by = _str_arg(directive, "url")
            elif canonical is None:
                custom = self.custom(directive)
                if custom:
                    t.directives.append(custom)
        t.keys.extend(block_keys)

        for iface in getattr(node, "interfaces", None) or ():
            if iface.name.value not in t.interfaces:
                t.interfaces.append(iface.name.value)
        if kind == "union":
            for member in getattr(node, "types", None) or ():
                if member.name.value not in t.members:
                    t.members.append(member.name.value)
        if kind == "enum":
            for value in getattr(node, "values", None) or ():
                t.values[value.name.value] = self.read_enum_value(value)
        if kind == "input":
            for input_field in getattr(node, "fields", None) or ():
                t.input_fields[input_field.name.value] = self.read_input(input_field)
        if kind in ("object", "interface"):
            for field_node in getattr(node, "fields", None) or ():
                if name == "Query" and field_node.name.value in ("_service", "_entities"):
                    continue
                f = self.read_field(field_node)
                f.block = block
                f.in_extension = is_extension
                f.external = f.external or block_external
                t.fields[f.name] = f

    def _access(self, access: Access, canonical: str, directive: DirectiveNode) -> None:
        if canonical == "authenticated":
            access.authenticated = True
        else:
            access.scopes = both(access.scopes, read_scopes(directive))

    def _tag(self, tags: list[str], directive: DirectiveNode) -> None:
        name = _str_arg(directive, "name")
        if name is not None and name not in tags:
            tags.append(name)

    def _deprecated(self, directives: tuple[DirectiveNode, ...] | None) -> str | None:
        for directive in directives or ():
            if directive.name.value == "deprecated":
                return _str_arg(directive, "reason") or DEFAULT_DEPRECATION
        return None

    def read_enum_value(self, node: object) -> EnumValue:
        value = EnumValue(node.name.value, _description(node))  # type: ignore[attr-defined]
        directives = getattr(node, "directives", None)
        value.deprecated = self._deprecated(directives)
        for directive in directives or ():
            canonical = self.canonical(directive)
            if canonical == "inaccessible":
                value.inaccessible = True
            elif canonical == "tag":
                self._tag(value.tags, directive)
            elif canonical is None and (custom := self.custom(directive)):
                value.directives.append(custom)
        return value

    def read_input(self, node: InputValueDefinitionNode) -> InputValue:
        value = InputValue(
            node.name.value,
            self.type_ref(node.type),
            print_ast(node.default_value) if node.default_value is not None else None,
            _description(node),
            self._deprecated(node.directives),
        )
        for directive in node.directives or ():
            canonical = self.canonical(directive)
            if canonical == "inaccessible":
                value.inaccessible = True
            elif canonical == "tag":
                self._tag(value.tags, directive)
            elif canonical is None and (custom := self.custom(directive)):
                value.directives.append(custom)
        return value

    def read_field(self, node: FieldDefinitionNode) -> FieldDef:
        f = FieldDef(node.name.value, self.type_ref(node.type), description=_description(node))
        f.deprecated = self._deprecated(node.directives)
        for arg in node.arguments or ():
            f.args[arg.name.value] = self.read_input(arg)
        for directive in node.directives or ():
            canonical = self.canonical(directive)
            if canonical == "external":
                f.external = True
            elif canonical == "requires":
                f.requires = _str_arg(directive, "fields") or ""
            elif canonical == "provides":
                f.provides = _str_arg(directive, "fields") or ""
            elif canonical == "shareable":
                f.shareable = True
            elif canonical == "override":
                f.override = _str_arg(directive, "from")
                f.override_label = _str_arg(directive, "label")
            elif canonical == "inaccessible":
                f.inaccessible = True
            elif canonical == "tag":
                self._tag(f.tags, directive)
            elif canonical in ("authenticated", "requiresScopes"):
                self._access(f.access, canonical, directive)
            elif canonical is None and (custom := self.custom(directive)):
                f.directives.append(custom)
        return f

    # -------------------------------------------------------------- fake externals
    def mark_fake_externals(self) -> None:
        """`@external` key fields of a type extension are not really external.

        Both federation versions allow `extend type T @key(fields: "id") { id: ID! @external }`
        (the Federation 1 idiom); such key fields are resolvable by the subgraph.
        """
        from .fieldset import FieldSetSyntaxError, parse_field_set

        for t in self.subgraph.types.values():
            for key in t.keys:
                if not (key.extension or t.extends):
                    continue
                try:
                    selection = parse_field_set(key.fields)
                except FieldSetSyntaxError:
                    continue
                for node in selection.selections:
                    f = t.fields.get(getattr(getattr(node, "name", None), "value", ""))
                    if f is not None and f.external:
                        f.external = False


def build_subgraph(source: SubgraphSource) -> tuple[Subgraph | None, list[CompositionError]]:
    """Parse one subgraph's SDL into the composition model."""
    try:
        document = parse(source.sdl)
    except GraphQLSyntaxError as exc:
        return None, [
            CompositionError(
                "INVALID_GRAPHQL",
                f"[{source.name}] {exc.message}",
                (source.name,),
            )
        ]
    builder = _Builder(source, document, read_links(document))
    subgraph = builder.build()
    return subgraph, builder.errors
