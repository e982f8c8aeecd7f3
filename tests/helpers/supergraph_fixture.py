"""Load a fixture supergraph: a `# graphs: a, b` line plus types, wrapped in the join header."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "router" / "fixtures"

_HEADER = """schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{ query: Query%(mutation)s }
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean)
  repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!)
  repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION
  | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
"""


def load_fixture(name: str) -> str:
    text = (FIXTURES / name).read_text()
    first = text.splitlines()[0]
    if not first.startswith("# graphs:"):
        return text
    graphs = [g.strip() for g in first.split(":", 1)[1].split(",")]
    enum = (
        "enum join__Graph {\n"
        + "".join(
            f'  {g.upper()} @join__graph(name: "{g}", url: "http://{g}.test/graphql")\n'
            for g in graphs
        )
        + "}\n"
    )
    mutation = " mutation: Mutation" if "type Mutation" in text else ""
    return _HEADER % {"mutation": mutation} + enum + text
