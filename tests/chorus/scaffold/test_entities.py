"""Entities read from subgraph SDL: key, owner, field types, and clear refusals."""

from __future__ import annotations

import pytest

from chorus.scaffold import ScaffoldError
from chorus.scaffold.entities import find_entity

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])\n'
SDLS = {
    "reader": LINK
    + """
type Order @key(fields: "id region") {
  id: ID!
  region: String! @external
  total: Float! @external
  score: Int @requires(fields: "total")
}
""",
    "orders": LINK
    + """
type Order @key(fields: "id region") {
  id: ID!
  region: String!
  total: Float!
  tags: [String!]!
  customer: Customer!
}
type Customer @key(fields: "owner { id }") { owner: Owner! }
type Owner { id: ID! }
type Money { amount: Float! }
""",
}


def test_key_types_and_owner_come_from_the_defining_subgraph() -> None:
    entity = find_entity(SDLS, "Order", ["total", "tags"], "discount")
    assert entity.owner == "orders"  # it defines the fields; reader only references them
    assert entity.key == "id region"
    assert [(f.name, f.graphql_type, f.python_type) for f in entity.key_fields] == [
        ("id", "ID!", "strawberry.ID"),
        ("region", "String!", "str"),
    ]
    assert [(f.name, f.python_type, f.sample) for f in entity.required] == [
        ("total", "float", 0.5),
        ("tags", "list[str]", ["sample text"]),
    ]


@pytest.mark.parametrize(
    ("type_name", "requires", "field", "message"),
    [
        ("Ordr", [], "x", "no subgraph in chorus.yaml has a type 'Ordr'; entities you can extend"),
        ("Money", [], "x", "Money is not an entity"),
        ("Order", ["totl"], "x", "Order has no field 'totl'; its fields: customer, id, region"),
        ("Order", ["customer"], "x", "Order.customer is Customer!: the scaffold declares only"),
        ("Order", [], "score", "Order already has a field 'score' (in subgraph reader)"),
        ("Order", ["region"], "x", "it is part of Order's key (id region)"),
        ("Customer", [], "x", "selects nested fields"),
    ],
)
def test_refusals_name_the_problem(
    type_name: str, requires: list[str], field: str, message: str
) -> None:
    with pytest.raises(ScaffoldError) as info:
        find_entity(SDLS, type_name, requires, field)
    assert message in str(info.value)
