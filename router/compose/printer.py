"""Writing the supergraph model as Apollo-format supergraph SDL.

The layout follows Apollo's composition output: `@link`s on the schema, the
join/link machinery definitions, then every type sorted by name
(case-insensitively), each type's directives one per line and sorted by name,
and join directives exactly where Apollo's composition writes them.
"""

from __future__ import annotations

from graphql import print_ast
from graphql.language.block_string import print_block_string
from graphql.language.print_string import print_string

from .access import AUTHENTICATED_V01, REQUIRES_SCOPES_V01, SCOPE_SCALAR
from .access import DEFINITIONS as ACCESS_DEFINITIONS
from .access import printed as access_directives
from .merged import JoinField, JoinType, MergedSupergraph, SEnumValue, SField, SInput, SType
from .model import AppliedDirective

LINK_V1 = "https://specs.apollo.dev/link/v1.0"
JOIN_V03 = "https://specs.apollo.dev/join/v0.3"
JOIN_V04 = "https://specs.apollo.dev/join/v0.4"
INACCESSIBLE_V02 = "https://specs.apollo.dev/inaccessible/v0.2"
TAG_V03 = "https://specs.apollo.dev/tag/v0.3"
DEFAULT_DEPRECATION = "No longer supported"

_ALL_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM"
    " | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)

_JOIN_DEFINITIONS = {
    "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
    "join__field": (
        "directive @join__field(graph: join__Graph, requires: join__FieldSet, provides:"
        " join__FieldSet, type: String, external: Boolean, override: String, usedOverridden:"
        " Boolean{label}) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION"
    ),
    "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    "join__implements": (
        "directive @join__implements(graph: join__Graph!, interface: String!)"
        " repeatable on OBJECT | INTERFACE"
    ),
    "join__type": (
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean!"
        " = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)"
        " repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR"
    ),
    "join__unionMember": (
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION"
    ),
    "link": (
        "directive @link(url: String, as: String, for: link__Purpose, import:"
        " [link__Import]) repeatable on SCHEMA"
    ),
}

_LINK_PURPOSE = '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''


def _description(text: str | None, indent: str) -> str:
    if not text:
        return ""
    block = print_block_string(text)
    return "\n".join(indent + line if line else line for line in block.split("\n")) + "\n"


def _join_type(j: JoinType) -> str:
    args = [f"graph: {j.graph}"]
    if j.key is not None:
        args.append(f"key: {print_string(j.key)}")
    if j.extension:
        args.append("extension: true")
    if not j.resolvable or j.explicit_resolvable:
        args.append(f"resolvable: {'true' if j.resolvable else 'false'}")
    if j.interface_object:
        args.append("isInterfaceObject: true")
    return f"@join__type({', '.join(args)})"


def _join_field(j: JoinField) -> str:
    args: list[str] = []
    if j.graph is not None:
        args.append(f"graph: {j.graph}")
    if j.requires is not None:
        args.append(f"requires: {print_string(j.requires)}")
    if j.provides is not None:
        args.append(f"provides: {print_string(j.provides)}")
    if j.type is not None:
        args.append(f"type: {print_string(j.type)}")
    if j.external:
        args.append("external: true")
    if j.override is not None:
        args.append(f"override: {print_string(j.override)}")
    if j.used_overridden:
        args.append("usedOverridden: true")
    if j.override_label is not None:
        args.append(f"overrideLabel: {print_string(j.override_label)}")
    return f"@join__field({', '.join(args)})" if args else "@join__field"


def _common(
    deprecated: str | None, inaccessible: bool, tags: list[str], custom: list[AppliedDirective]
) -> list[str]:
    out: list[str] = []
    if deprecated is not None:
        out.append(
            "@deprecated"
            if deprecated == DEFAULT_DEPRECATION
            else f"@deprecated(reason: {print_string(deprecated)})"
        )
    if inaccessible:
        out.append("@inaccessible")
    out.extend(f"@tag(name: {print_string(t)})" for t in tags)
    out.extend(print_ast(d.node) for d in custom)
    return out


def _sorted(directives: list[str]) -> list[str]:
    return sorted(directives, key=lambda d: d[1:].split("(")[0])


def _inline(directives: list[str]) -> str:
    return "".join(" " + d for d in _sorted(directives))


def _input_value(v: SInput, indent: str) -> str:
    text = f"{v.name}: {v.type}"
    if v.default is not None:
        text += f" = {v.default}"
    directives = _common(v.deprecated, v.inaccessible, v.tags, v.directives)
    directives += [_join_field(j) for j in v.joins or ()]
    return _description(v.description, indent) + indent + text + _inline(directives)


def _args(args: dict[str, SInput], indent: str) -> str:
    if not args:
        return ""
    values = list(args.values())
    if not any(v.description for v in values):
        return "(" + ", ".join(_input_value(v, "") for v in values) + ")"
    inner = "\n".join(_input_value(v, indent + "  ") for v in values)
    return "(\n" + inner + "\n" + indent + ")"


def _field(f: SField) -> str:
    directives = _common(f.deprecated, f.inaccessible, f.tags, f.directives) + access_directives(
        f.access
    )
    directives += [_join_field(j) for j in f.joins or ()]
    return (
        _description(f.description, "  ")
        + f"  {f.name}{_args(f.args, '  ')}: {f.type}"
        + _inline(directives)
    )


def _enum_value(v: SEnumValue) -> str:
    directives = _common(v.deprecated, v.inaccessible, v.tags, v.directives)
    directives += [f"@join__enumValue(graph: {g})" for g in v.graphs]
    return _description(v.description, "  ") + f"  {v.name}" + _inline(directives)


def _block(lines: list[str]) -> str:
    out: list[str] = []
    for i, line in enumerate(lines):
        if i and line.lstrip().startswith('"'):
            out.append("")
        out.append(line)
    return "{\n" + "\n".join(out) + "\n}"


def _type(t: SType) -> str:
    head = {
        "object": "type",
        "interface": "interface",
        "union": "union",
        "enum": "enum",
        "input": "input",
        "scalar": "scalar",
    }[t.kind] + f" {t.name}"
    if t.interfaces:
        head += " implements " + " & ".join(t.interfaces)
    directives = [f'@join__implements(graph: {g}, interface: "{i}")' for g, i in t.implements]
    directives += [_join_type(j) for j in t.joins]
    directives += [f'@join__unionMember(graph: {g}, member: "{m}")' for g, m in t.member_joins]
    directives += _common(None, t.inaccessible, t.tags, t.directives) + access_directives(t.access)
    if t.specified_by is not None:
        directives.append(f"@specifiedBy(url: {print_string(t.specified_by)})")
    text = _description(t.description, "") + head
    text += "".join("\n  " + d for d in _sorted(directives))
    if t.kind == "union":
        return text + ("\n =" if directives else " =") + " " + " | ".join(t.members)
    if t.kind == "scalar":
        return text
    body: list[str]
    if t.kind == "enum":
        body = [_enum_value(v) for v in t.values.values()]
    elif t.kind == "input":
        body = [_input_value(v, "  ") for v in t.input_fields.values()]
    else:
        body = [_field(f) for f in t.fields.values()]
    return text + ("\n" if directives else " ") + _block(body)


def print_supergraph(supergraph: MergedSupergraph) -> str:
    """The supergraph SDL, in Apollo's layout."""
    uses_inaccessible = supergraph.uses("inaccessible")
    uses_tag = supergraph.uses("tag")
    join_url = JOIN_V04 if supergraph.uses_override_label else JOIN_V03
    links = [f'@link(url: "{LINK_V1}")', f'@link(url: "{join_url}", for: EXECUTION)']
    if uses_inaccessible:
        links.append(f'@link(url: "{INACCESSIBLE_V02}", for: SECURITY)')
    if uses_tag:
        links.append(f'@link(url: "{TAG_V03}")')
    uses_authenticated = supergraph.uses_access("authenticated")
    uses_scopes = supergraph.uses_access("requiresScopes")
    if uses_authenticated:
        links.append(f'@link(url: "{AUTHENTICATED_V01}", for: SECURITY)')
    if uses_scopes:
        links.append(f'@link(url: "{REQUIRES_SCOPES_V01}", for: SECURITY)')
    for url, names in supergraph.custom_links.items():
        imports = ", ".join(print_string("@" + n) for n in names)
        links.append(f"@link(url: {print_string(url)}, import: [{imports}])")
    roots = "\n".join(f"  {op}: {name}" for op, name in supergraph.roots.items())
    parts = ["schema\n" + "".join(f"  {link}\n" for link in links) + "{\n" + roots + "\n}"]

    directives = dict(_JOIN_DEFINITIONS)
    label = ", overrideLabel: String" if supergraph.uses_override_label else ""
    directives["join__field"] = directives["join__field"].replace("{label}", label)
    if uses_inaccessible:
        directives["inaccessible"] = f"directive @inaccessible on {_ALL_LOCATIONS}"
    if uses_tag:
        directives["tag"] = f"directive @tag(name: String!) repeatable on {_ALL_LOCATIONS} | SCHEMA"
    if uses_authenticated:
        directives["authenticated"] = ACCESS_DEFINITIONS["authenticated"]
    if uses_scopes:
        directives["requiresScopes"] = ACCESS_DEFINITIONS["requiresScopes"]
    directives.update(supergraph.directive_definitions)
    parts.extend(directives[name] for name in sorted(directives))

    graphs = "\n".join(
        f"  {g.enum} @join__graph(name: {print_string(g.name)}, url: {print_string(g.url)})"
        for g in supergraph.graphs
    )
    printed: dict[str, str] = {
        "join__FieldSet": "scalar join__FieldSet",
        "join__Graph": "enum join__Graph {\n" + graphs + "\n}",
        "link__Import": "scalar link__Import",
        "link__Purpose": _LINK_PURPOSE,
    }
    if uses_scopes:
        printed["requiresScopes__Scope"] = SCOPE_SCALAR
    for name, t in supergraph.types.items():
        printed[name] = _type(t)
    parts.extend(printed[name] for name in sorted(printed, key=lambda n: (n.lower(), n)))
    return "\n\n".join(parts) + "\n"
