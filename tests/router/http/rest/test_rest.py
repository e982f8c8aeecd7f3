"""REST endpoints backed by GraphQL operations (router/http/rest/): variables from the path,
the query string and the body; the result field as the body; errors as statuses; the
OpenAPI 3.1 document, checked by openapi-spec-validator and used to validate the answers.

The router runs in-process (its ASGI app under httpx) over a strawberry shop subgraph
reached through an ASGI transport, or a transport that fails."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from openapi_spec_validator import validate as validate_openapi

from router.http.rest import RestConfigError
from router.server.app import create_router_app
from router.server.main import StartupError, serve
from router.settings import RouterSettings
from tests.helpers.rest_shop import shop_schema, shop_supergraph
from tests.helpers.stream_subgraphs import subgraph_app

ITEMS = """
query Items($kind: Kind, $limit: Int = 10, $tags: [String!]) {
  items(kind: $kind, limit: $limit, tags: $tags) { id name kind price tags }
}
"""
ITEM = "query Item($id: ID!) { item(id: $id) { id name price discount } }"
ADD = """
mutation AddItem($input: ItemInput!) {
  addItem(input: $input) { id name kind price ...Tags }
}
fragment Tags on Item { tags }
"""
FAILING = "query Failing($code: String!) { failing(code: $code) }"
ENDPOINTS: list[dict[str, Any]] = [
    {"method": "GET", "path": "/v1/items", "operation": ITEMS, "tags": ["items"]},
    {"method": "GET", "path": "/v1/items/{id}", "operation": ITEM},
    {"method": "POST", "path": "/v1/items", "operation": ADD, "body": "input", "status": 201},
    {"method": "GET", "path": "/v1/failing/{code}", "operation": FAILING},
]


def _settings(**extra: Any) -> RouterSettings:
    """The endpoints, with the subgraphs' error messages shown (production mode hides them)."""
    rest = {"endpoints": ENDPOINTS, "error_status": {"PAYMENT_REQUIRED": 402}}
    security = {"include_subgraph_errors": True}
    return RouterSettings.model_validate({"rest": rest, "security": security, **extra})


@pytest.fixture
def shop_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=subgraph_app(shop_schema())))


Make = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def make(shop_client: httpx.AsyncClient) -> AsyncIterator[Make]:
    clients: list[httpx.AsyncClient] = []

    def make(
        settings: RouterSettings | None = None, subgraph: httpx.AsyncClient | None = None
    ) -> httpx.AsyncClient:
        app = create_router_app(
            shop_supergraph(), settings=settings or _settings(), http_client=subgraph or shop_client
        )
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    await shop_client.aclose()


@pytest.fixture
def api(make: Make) -> httpx.AsyncClient:
    return make()


def _response_schema(doc: dict[str, Any], path: str, method: str, status: int) -> Any:
    """A validator for the documented body of (path, method, status), $refs resolved."""
    responses = doc["paths"][path][method]["responses"][str(status)]
    (media,) = responses["content"].values()
    root = {**media["schema"], "components": doc["components"]}
    return jsonschema.Draft202012Validator(root)


async def test_the_document_is_valid_openapi_3_1_and_describes_the_operations(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    validate_openapi(doc)  # raises on an invalid document
    assert doc["openapi"] == "3.1.0"
    get = doc["paths"]["/v1/items"]["get"]
    assert get["operationId"] == "Items"
    assert get["summary"] == "Items, optionally of one kind or with any of these tags."
    params = {p["name"]: p for p in get["parameters"]}
    assert params["limit"] == {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": ["integer", "null"], "format": "int32", "default": 10},
    }
    kind = {"anyOf": [{"$ref": "#/components/schemas/Kind"}, {"type": "null"}]}
    assert params["kind"]["schema"] == kind
    assert params["tags"]["schema"]["type"] == ["array", "null"]
    assert doc["components"]["schemas"]["Kind"] == {
        "type": "string",
        "enum": ["BOOK", "GAME"],
        "description": "What an item is.",
    }
    item_path = doc["paths"]["/v1/items/{id}"]["get"]
    assert item_path["parameters"][0]["in"] == "path"
    assert "404" in item_path["responses"]  # a nullable result: null is a 404
    post = doc["paths"]["/v1/items"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ItemInput"
    }
    item_input = doc["components"]["schemas"]["ItemInput"]
    assert item_input["required"] == ["name", "kind", "price"]
    assert item_input["additionalProperties"] is False
    created = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["required"] == ["id", "name", "kind", "price", "tags"]  # the fragment's too
    assert created["properties"]["name"]["description"] == "shown to customers"


async def test_query_parameters_become_typed_variables_and_the_field_is_the_body(
    api: httpx.AsyncClient,
) -> None:
    doc = (await api.get("/openapi.json")).json()
    response = await api.get("/v1/items", params={"kind": "BOOK", "limit": "1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {"id": "1", "name": "Dune", "kind": "BOOK", "price": 9.5, "tags": ["sf"]}
    ]
    tagged = await api.get("/v1/items?tags=old&tags=sf")  # a list: the parameter repeated
    assert [i["id"] for i in tagged.json()] == ["1", "2"]
    everything = await api.get("/v1/items")
    assert len(everything.json()) == 3
    _response_schema(doc, "/v1/items", "get", 200).validate(everything.json())


async def test_path_parameters_and_null_results(api: httpx.AsyncClient) -> None:
    doc = (await api.get("/openapi.json")).json()
    found = await api.get("/v1/items/2")
    assert found.status_code == 200
    assert found.json() == {"id": "2", "name": "Go", "price": 30.0, "discount": None}
    _response_schema(doc, "/v1/items/{id}", "get", 200).validate(found.json())
    missing = await api.get("/v1/items/99")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "NOT_FOUND"
    _response_schema(doc, "/v1/items/{id}", "get", 404).validate(missing.json())


async def test_the_body_is_the_input_variable(api: httpx.AsyncClient) -> None:
    doc = (await api.get("/openapi.json")).json()
    response = await api.post("/v1/items", json={"name": "Ulysses", "kind": "BOOK", "price": 12})
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": "4", "name": "Ulysses", "kind": "BOOK", "price": 12.0, "tags": []}
    _response_schema(doc, "/v1/items", "post", 201).validate(body)


@pytest.mark.parametrize(
    ("request_", "status", "code", "detail"),
    [
        # the request cannot be read: 400 (415 for a body that is not JSON by its type)
        (("GET", "/v1/items?limit=ten", None), 400, "BAD_REQUEST", "must be an integer"),
        (("GET", "/v1/items?colour=red", None), 400, "BAD_REQUEST", "unknown query parameter"),
        (("GET", "/v1/items?limit=1&limit=2", None), 400, "BAD_REQUEST", "given 2 times"),
        (("POST", "/v1/items", b"{nope"), 400, "BAD_REQUEST", "not valid JSON"),
        (("POST", "/v1/items", b""), 400, "BAD_REQUEST", "body is empty"),
        # read, but the values do not fit the operation's types: 422
        (("GET", "/v1/items?kind=FILM", None), 422, "BAD_USER_INPUT", "'FILM' does not exist"),
        (("POST", "/v1/items", {"name": "X", "kind": "BOOK"}), 422, "BAD_USER_INPUT", "price"),
        (("POST", "/v1/items", {"name": "X", "kind": "BOOK", "price": "a"}), 422, None, "Float"),
        (("POST", "/v1/items", [1, 2]), 422, "BAD_USER_INPUT", "$input"),
        # the service refuses the values: 422
        (("POST", "/v1/items", {"name": "X", "kind": "BOOK", "price": -1}), 422, None, "positive"),
        # codes the subgraph sends: the default map and `rest.error_status`
        (("GET", "/v1/failing/NOT_FOUND", None), 404, "NOT_FOUND", "failing with NOT_FOUND"),
        (("GET", "/v1/failing/FORBIDDEN", None), 403, "FORBIDDEN", "failing"),
        (("GET", "/v1/failing/UNAUTHENTICATED", None), 401, "UNAUTHENTICATED", "failing"),
        (("GET", "/v1/failing/OVERLOADED", None), 503, "OVERLOADED", "failing"),
        (("GET", "/v1/failing/PAYMENT_REQUIRED", None), 402, "PAYMENT_REQUIRED", "failing"),
        (("GET", "/v1/failing/SOMETHING_ELSE", None), 502, "SOMETHING_ELSE", "failing"),
    ],
)
async def test_errors_map_to_statuses(
    api: httpx.AsyncClient,
    request_: tuple[str, str, Any],
    status: int,
    code: str | None,
    detail: str,
) -> None:
    method, url, body = request_
    if isinstance(body, bytes):
        kwargs: dict[str, Any] = {
            "content": body,
            "headers": {"content-type": "application/json"},
        }
    else:
        kwargs = {} if body is None else {"json": body}
    response = await api.request(method, url, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if code is not None:
        assert problem["code"] == code
    assert detail in problem["detail"], problem
    assert problem["errors"] and all("message" in e for e in problem["errors"])


async def test_redacted_subgraph_errors_keep_their_status_and_code(make: Make) -> None:
    api = make(RouterSettings.model_validate({"rest": {"endpoints": ENDPOINTS}}))
    response = await api.get("/v1/failing/NOT_FOUND")
    assert response.status_code == 404
    problem = response.json()
    assert problem["code"] == "NOT_FOUND"
    assert problem["detail"] == "Subgraph errors redacted"
    assert problem["errors"][0]["extensions"]["serviceName"] == "shop"


async def test_a_body_that_is_not_json_is_415(api: httpx.AsyncClient) -> None:
    plain = {"content-type": "text/plain"}
    response = await api.post("/v1/items", content=b"name=x", headers=plain)
    assert response.status_code == 415
    assert response.json()["code"] == "INVALID_CONTENT_TYPE_HEADER"


async def test_an_unreachable_subgraph_is_503_and_a_broken_one_502(make: Make) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = make(subgraph=httpx.AsyncClient(transport=httpx.MockTransport(refuse)))
    response = await down.get("/v1/items")
    assert response.status_code == 503
    assert response.json()["code"] == "SUBGRAPH_FETCH_FAILED"

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="<html>oops</html>")

    broken = make(subgraph=httpx.AsyncClient(transport=httpx.MockTransport(html)))
    response = await broken.get("/v1/items")
    assert response.status_code == 502
    assert response.json()["code"] == "SUBGRAPH_BAD_RESPONSE"


async def test_authentication_is_the_graphql_endpoints(make: Make, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())), "kid": "k"}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    source = {"file": str(tmp_path / "jwks.json"), "issuers": ["iss"], "audiences": ["aud"]}
    auth = {"jwt": {"jwks": [source]}, "authorization": {"require_authentication": True}}
    api = make(_settings(auth=auth))
    anonymous = await api.get("/v1/items")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["code"] == "AUTH_ERROR"
    forged = await api.get("/v1/items", headers={"authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    now = int(time.time())
    claims = {"iss": "iss", "aud": "aud", "sub": "u", "iat": now, "exp": now + 60}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"kid": "k"})
    signed = await api.get("/v1/items", headers={"authorization": f"Bearer {token}"})
    assert signed.status_code == 200


async def test_the_rate_limit_is_the_graphql_endpoints(make: Make) -> None:
    traffic = {"rate_limit": {"capacity": 2, "interval_s": 60}}
    api = make(_settings(traffic=traffic))
    statuses = [(await api.get("/v1/items/1")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_persisted_operations_by_manifest_id(make: Make, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"operations": [{"id": "items-v1", "body": ITEMS}]}))
    settings = RouterSettings.model_validate(
        {
            "persisted_queries": {"manifest": str(manifest), "require_id": True},
            "rest": {
                "endpoints": [{"method": "GET", "path": "/v2/items", "persisted_id": "items-v1"}]
            },
        }
    )
    api = make(settings)
    response = await api.get("/v2/items", params={"kind": "GAME"})
    assert response.status_code == 200, response.text
    assert [i["name"] for i in response.json()] == ["Go"]
    # free-form GraphQL is refused by the same manifest, so the REST call did go by id
    refused = await api.post("/graphql", json={"query": ITEMS})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ({"method": "GET", "path": "/x", "operation": "{ items {"}, "does not parse"),
        ({"method": "GET", "path": "/x", "operation": ADD}, "GET endpoints run queries only"),
        ({"method": "GET", "path": "/x/{nope}", "operation": ITEM}, "{nope} is not a variable"),
        ({"method": "POST", "path": "/x", "operation": ADD, "body": "in"}, "'in' is not a var"),
        ({"method": "GET", "path": "/x", "operation": ITEMS, "result": "it"}, "not a root field"),
        ({"method": "GET", "path": "/x", "persisted_id": "p"}, "needs persisted_queries.manifest"),
    ],
)
def test_a_malformed_endpoint_stops_the_router(endpoint: dict[str, Any], message: str) -> None:
    settings = RouterSettings.model_validate({"rest": {"endpoints": [endpoint]}})
    with pytest.raises(RestConfigError, match="rest endpoint") as info:
        create_router_app(shop_supergraph(), settings=settings)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rest:\n  endpoints:\n    - {method: GET, path: /x, operation: '{ items {'}\n", "parse"),
        ("rest: [\n", "while parsing"),  # not YAML
        ("rest: {endpoints: [{method: GET, path: /x}]}\n", "exactly one of"),
    ],
)
def test_serve_refuses_a_malformed_router_yaml_before_serving(
    tmp_path: Path, text: str, message: str
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(shop_supergraph())
    config = tmp_path / "router.yaml"
    config.write_text(text)
    with pytest.raises(StartupError, match="router settings") as info:
        serve(supergraph, router_config=config, port=1)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("rest", "message"),
    [
        ({"endpoints": [{"method": "GET", "path": "/x"}]}, "exactly one of"),
        ({"endpoints": [{"method": "GET", "path": "x", "operation": ITEMS}]}, "expected /segment"),
        (
            {"endpoints": [{"method": "GET", "path": "/x", "operation": ITEMS, "body": "a"}]},
            "no body",
        ),
        ({"endpoints": [{"method": "GET", "path": "/x", "operation": ITEMS}] * 2}, "twice"),
        ({"error_status": {"X": 200}}, "not a 4xx/5xx"),
        ({"endpoints": [{"method": "GET", "path": "/x", "operation": ITEMS, "verb": 1}]}, "verb"),
    ],
)
def test_settings_refuse_malformed_endpoints(rest: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="rest") as info:
        RouterSettings.model_validate({"rest": rest})
    assert message in str(info.value)


async def test_an_endpoint_that_does_not_fit_the_supergraph_is_disabled_with_a_warning(
    shop_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only shop lacks `addItem`: POST /v1/items is off (404, not documented), the rest
    serves; a reload to the whole shop turns it on, and one back turns it off again."""
    nope = {"method": "GET", "path": "/v1/nope", "operation": "{ nope }"}
    settings = RouterSettings.model_validate({"rest": {"endpoints": [*ENDPOINTS, nope]}})
    with caplog.at_level(logging.WARNING, logger="chorus.router.rest"):
        app = create_router_app(
            shop_supergraph(mutations=False), settings=settings, http_client=shop_client
        )
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2, warned
    assert "rest endpoint POST /v1/items is disabled" in warned[0]
    assert "The mutation operation is not supported by the schema" in warned[0]
    assert "rest endpoint GET /v1/nope is disabled" in warned[1]
    assert "Cannot query field 'nope'" in warned[1]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://r"
    ) as api:
        assert (await api.get("/v1/items/1")).json()["name"] == "Dune"
        graphql = await api.post("/graphql", json={"query": "{ item(id: 2) { name } }"})
        assert graphql.json() == {"data": {"item": {"name": "Go"}}}
        off = await api.post("/v1/items", json={"name": "Ulysses", "kind": "BOOK", "price": 12})
        assert off.status_code == 404
        assert off.headers["content-type"] == "application/problem+json"
        assert off.json()["code"] == "NOT_FOUND"
        assert "POST /v1/items is disabled" in off.json()["detail"]
        doc = (await api.get("/openapi.json")).json()
        validate_openapi(doc)
        assert set(doc["paths"]["/v1/items"]) == {"get"}
        assert "/v1/nope" not in doc["paths"] and "/v1/items/{id}" in doc["paths"]

        caplog.clear()
        app.state.router.reload(shop_supergraph())
        on = await api.post("/v1/items", json={"name": "Ulysses", "kind": "BOOK", "price": 12})
        assert on.status_code == 201, on.text
        assert set((await api.get("/openapi.json")).json()["paths"]["/v1/items"]) == {"get", "post"}
        assert any("POST /v1/items is enabled again" in r.getMessage() for r in caplog.records)
        assert (await api.get("/v1/nope")).status_code == 404  # still nothing to query

        app.state.router.reload(shop_supergraph(mutations=False))
        assert (await api.post("/v1/items", json={})).status_code == 404
        assert "post" not in (await api.get("/openapi.json")).json()["paths"]["/v1/items"]


async def test_without_endpoints_nothing_is_served(make: Make) -> None:
    api = make(RouterSettings())
    assert (await api.get("/openapi.json")).status_code == 404
