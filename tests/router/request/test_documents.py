"""GraphQL document abuse (security.md 5.2): limits with Apollo's codes, before planning."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from tests.helpers.hardening_harness import Harness, MakeRouter, codes
from tests.helpers.hardening_server import SubgraphServer

GQL = {"accept": "application/graphql-response+json"}


async def _errors(router: Harness, query: str, status: int = 400, **extra: object) -> list[str]:
    resp = await router.post(query, headers=GQL, **extra)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert "data" not in body
    return codes(body)


def _nested(depth: int) -> str:
    """`products { related { ... { id } } }` with `depth` fields on the longest path."""
    return "{ products { " + "related { " * (depth - 2) + "id" + " }" * (depth - 2) + " } }"


# ------------------------------------------------------------------ parser
async def test_too_many_tokens_is_a_parse_error(router: Harness) -> None:
    query = "{ " + "version " * 15_001 + "}"
    t = time.perf_counter()
    assert await _errors(router, query) == ["GRAPHQL_PARSE_FAILED"]
    assert time.perf_counter() - t < 2.0


async def test_ten_thousand_nested_braces_is_a_parse_error(router: Harness) -> None:
    assert await _errors(router, "{" * 10_000 + "}" * 10_000) == ["GRAPHQL_PARSE_FAILED"]


async def test_deep_selection_nesting_is_a_parse_error_not_a_recursion_error(
    router: Harness,
) -> None:
    query = "{ " + "a { " * 3000 + "b" + " }" * 3000 + " }"
    assert await _errors(router, query) == ["GRAPHQL_PARSE_FAILED"]


async def test_deeply_nested_list_literal_is_a_parse_error(router: Harness) -> None:
    query = "{ reviews(first: " + "[" * 3000 + "1" + "]" * 3000 + ") { id } }"
    assert await _errors(router, query) == ["GRAPHQL_PARSE_FAILED"]


# ------------------------------------------------------------------- depth
async def test_depth_at_the_limit_is_served(router: Harness) -> None:
    body = await router.data(_nested(15))
    assert "errors" not in body


async def test_depth_limit_plus_one_via_fields(router: Harness) -> None:
    assert await _errors(router, _nested(16)) == ["MAX_DEPTH_LIMIT"]


async def test_depth_limit_via_fragments(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_depth": 4}})
    query = """
      { products { ...A } }
      fragment A on Product { related { ...B } }
      fragment B on Product { related { related { id } } }
    """
    assert await _errors(router, query) == ["MAX_DEPTH_LIMIT"]


async def test_depth_limit_via_inline_fragments(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_depth": 3}})
    query = "{ products { ... on Product { related { ... { related { id } } } } } }"
    assert await _errors(router, query) == ["MAX_DEPTH_LIMIT"]


async def test_depth_limit_via_one_fragment_reused_at_many_depths(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_depth": 4}})
    query = """
      { products { ...F related { ...F related { ...F } } } }
      fragment F on Product { related { id } }
    """
    assert await _errors(router, query) == ["MAX_DEPTH_LIMIT"]


# -------------------------------------------------------- aliases and roots
async def test_alias_bomb_is_rejected(router: Harness) -> None:
    query = "{ products { " + " ".join(f"a{i}: name" for i in range(1000)) + " } }"
    assert "MAX_ALIASES_LIMIT" in await _errors(router, query)


async def test_aliases_count_once_per_fragment_use(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_aliases": 10}})
    frag = "fragment F on Product { " + " ".join(f"n{i}: name" for i in range(3)) + " }"
    ok = "{ products { ...F related { ...F } } } " + frag  # 6 aliases
    assert "errors" not in await router.data(ok)
    bad = "{ products { ...F related { ...F related { ...F related { ...F } } } } } " + frag
    assert await _errors(router, bad) == ["MAX_ALIASES_LIMIT"]  # 12 aliases


async def test_aliased_root_fields_hit_both_limits(router: Harness) -> None:
    query = "{ " + " ".join(f"v{i}: version" for i in range(1000)) + " }"
    found = await _errors(router, query)
    assert "MAX_ROOT_FIELDS_LIMIT" in found and "MAX_ALIASES_LIMIT" in found


async def test_root_fields_limit(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_root_fields": 2}})
    assert "errors" not in await router.data("{ version products { id } }")
    query = '{ version products { id } review(id: "r1") { id } }'
    assert await _errors(router, query) == ["MAX_ROOT_FIELDS_LIMIT"]


async def test_height_limit(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_height": 4}})
    assert "errors" not in await router.data("{ products { id name reviewCount } }")
    query = "{ products { id name cost reviewCount } }"  # 5 distinct fields
    assert await _errors(router, query) == ["MAX_HEIGHT_LIMIT"]


async def test_fragment_bomb_is_rejected_without_expanding_it(router: Harness) -> None:
    frags = [
        f"fragment F{i} on Product {{ related {{ ...F{i + 1} }} r2: related {{ ...F{i + 1} }} }}"
        for i in range(12)
    ]
    frags.append("fragment F12 on Product { id name }")
    query = "{ products { ...F0 } } " + " ".join(frags)
    t = time.perf_counter()
    found = await _errors(router, query)
    assert time.perf_counter() - t < 2.0
    assert "MAX_HEIGHT_LIMIT" in found


async def test_field_merging_blow_up_is_rejected_within_a_time_budget(router: Harness) -> None:
    query = "{ " + " ".join(f'review(id: "{i}") {{ id }}' for i in range(1200)) + " }"
    t = time.perf_counter()
    assert await _errors(router, query) == ["MAX_REPEATED_FIELDS_LIMIT"]
    assert time.perf_counter() - t < 2.0


async def test_limits_are_only_logged_in_warn_only_mode(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_depth": 2, "warn_only": True}})
    body = await router.data("{ products { related { id } } }")
    assert body["data"]["products"][0]["related"] == [{"id": "2"}]


async def test_cached_documents_still_enforce_limits(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_depth": 2}})
    for _ in range(3):
        assert await _errors(router, "{ products { related { id } } }") == ["MAX_DEPTH_LIMIT"]


# --------------------------------------------------------------- validation
async def test_fragment_cycle_is_a_validation_error(router: Harness) -> None:
    query = """
      { products { ...A } }
      fragment A on Product { related { ...B } }
      fragment B on Product { related { ...A } }
    """
    t = time.perf_counter()
    assert "GRAPHQL_VALIDATION_FAILED" in await _errors(router, query)
    assert time.perf_counter() - t < 1.0


@pytest.mark.parametrize(
    "query", ["{ __schema { types { name } } }", '{ __type(name: "User") { name } }']
)
async def test_introspection_is_off_in_production(router: Harness, query: str) -> None:
    assert await _errors(router, query) == ["INTROSPECTION_DISABLED"]


async def test_introspection_hidden_in_a_fragment_is_off_too(router: Harness) -> None:
    query = "{ ...Q } fragment Q on Query { __schema { queryType { name } } }"
    assert await _errors(router, query) == ["INTROSPECTION_DISABLED"]


async def test_typename_is_allowed_in_production(router: Harness) -> None:
    assert await router.data("{ __typename }") == {"data": {"__typename": "Query"}}


async def test_introspection_is_on_in_dev(make_router: MakeRouter) -> None:
    router = await make_router({"dev": True})
    body = await router.data('{ __type(name: "User") { name } }')
    assert body == {"data": {"__type": {"name": "User"}}}


async def test_deep_introspection_is_rejected_even_in_dev(make_router: MakeRouter) -> None:
    router = await make_router({"dev": True})
    query = (
        "{ __schema { types { fields { type { fields { type { fields { type { fields "
        "{ name } } } } } } } } } }"
    )
    resp = await router.post(query, headers=GQL)
    assert resp.status_code == 400
    body = resp.json()
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Maximum introspection depth exceeded" in body["errors"][0]["message"]


async def test_typo_gets_no_suggestion_in_production(make_router: MakeRouter) -> None:
    prod = await make_router()
    (err,) = (await prod.post("{ products { nam } }", headers=GQL)).json()["errors"]
    assert "nam" in err["message"] and "Did you mean" not in err["message"]
    dev = await make_router({"dev": True})
    (err,) = (await dev.post("{ products { nam } }", headers=GQL)).json()["errors"]
    assert "Did you mean" in err["message"]


# ------------------------------------------------------- operations, variables
async def test_unknown_operation_name(router: Harness) -> None:
    found = await _errors(router, "query A { version }", operationName="B")
    assert found == ["BAD_REQUEST"]


async def test_named_operations_need_an_operation_name(router: Harness) -> None:
    assert await _errors(router, "query A { version } query B { version }") == ["BAD_REQUEST"]


async def test_two_anonymous_operations_are_invalid(router: Harness) -> None:
    assert "GRAPHQL_VALIDATION_FAILED" in await _errors(router, "{ version } { version }")


@pytest.mark.parametrize(
    "variables",
    [
        {"n": "three"},  # wrong type
        {},  # missing required variable
        {"n": 2**31},  # beyond Int
        {"n": 1.5},  # not an integer
        {"n": None},  # null for a non-null variable
    ],
)
async def test_bad_variables_are_bad_user_input(router: Harness, variables: dict) -> None:
    query = "query Q($n: Int!) { reviews(first: $n) { id } }"
    assert await _errors(router, query, variables=variables) == ["BAD_USER_INPUT"]


async def test_extra_unknown_variable_is_ignored(router: Harness) -> None:
    body = await router.data("{ version }", variables={"unused": 1})
    assert body == {"data": {"version": "p1"}}


async def test_huge_string_variable_hits_the_body_limit(router: Harness) -> None:
    resp = await router.post(
        "query Q($b: String!) { addReview(body: $b) { id } }",
        variables={"b": "x" * 3_000_000},
    )
    assert resp.status_code == 413
    assert codes(resp.json()) == ["PAYLOAD_TOO_LARGE"]


# --------------------------------------------------------- persisted queries
def _pq(query: str) -> dict:
    return {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }


async def test_apq_round_trip(router: Harness) -> None:
    q = "{ version }"
    resp = await router.post(None, extensions=_pq(q))
    assert resp.status_code == 200
    assert codes(resp.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert await router.data(q, extensions=_pq(q)) == {"data": {"version": "p1"}}
    resp = await router.post(None, extensions=_pq(q))
    assert resp.json() == {"data": {"version": "p1"}}


async def test_apq_hash_mismatch(router: Harness) -> None:
    resp = await router.post("{ version }", extensions=_pq("{ other }"))
    assert resp.status_code == 400
    assert codes(resp.json()) == ["PERSISTED_QUERY_HASH_MISMATCH"]


async def test_persisted_query_extension_must_be_an_object(router: Harness) -> None:
    resp = await router.post("{ version }", headers=GQL, extensions={"persistedQuery": "x"})
    assert resp.status_code == 400
    assert codes(resp.json()) == ["BAD_REQUEST"]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    ops = [
        {"id": "version-1", "name": "V", "type": "query", "body": "query V { version }"},
        {
            "id": "review-1",
            "name": "R",
            "type": "query",
            "body": 'query R { review(id: "r1") { body } }',
        },
    ]
    path.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": ops})
    )
    return path


async def test_manifest_id_runs_and_unknown_id_is_not_in_list(
    make_router: MakeRouter, manifest: Path
) -> None:
    router = await make_router({"persisted_queries": {"manifest": str(manifest)}})
    ext = {"persistedQuery": {"version": 1, "sha256Hash": "version-1"}}
    assert (await router.post(None, extensions=ext)).json() == {"data": {"version": "p1"}}
    ext = {"persistedQuery": {"version": 1, "sha256Hash": "nope"}}
    resp = await router.post(None, extensions=ext)
    assert resp.status_code == 400
    assert codes(resp.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]


async def test_manifest_id_and_body_together_are_refused(
    make_router: MakeRouter, manifest: Path
) -> None:
    router = await make_router({"persisted_queries": {"manifest": str(manifest)}})
    ext = {"persistedQuery": {"version": 1, "sha256Hash": "version-1"}}
    resp = await router.post("query V { version }", extensions=ext)
    assert resp.status_code == 400
    assert codes(resp.json()) == ["CANNOT_SEND_PQ_ID_AND_BODY"]


async def test_safelist_rejects_operations_not_in_the_manifest(
    make_router: MakeRouter, manifest: Path
) -> None:
    router = await make_router({"persisted_queries": {"manifest": str(manifest), "safelist": True}})
    # same operation, other whitespace and a comment: allowed
    body = await router.data("query V {\n  # the version\n  version\n}")
    assert body == {"data": {"version": "p1"}}
    resp = await router.post("{ products { id } }")
    assert resp.status_code == 400
    assert codes(resp.json()) == ["QUERY_NOT_IN_SAFELIST"]
    # the APQ protocol is off while a manifest is used: no registering new operations
    resp = await router.post("{ products { id } }", extensions=_pq("{ products { id } }"))
    assert codes(resp.json()) == ["CANNOT_SEND_PQ_ID_AND_BODY"]


async def test_require_id_refuses_free_form_operations(
    make_router: MakeRouter, manifest: Path
) -> None:
    router = await make_router(
        {"persisted_queries": {"manifest": str(manifest), "require_id": True}}
    )
    resp = await router.post("query V { version }")
    assert resp.status_code == 400
    assert codes(resp.json()) == ["PERSISTED_QUERY_ID_REQUIRED"]


async def test_subgraph_sees_no_request_for_rejected_documents(
    router: Harness, shop: SubgraphServer
) -> None:
    await _errors(router, _nested(40))
    await _errors(router, "{ __schema { types { name } } }")
    assert shop.count("products") == 0 and shop.count("reviews") == 0
