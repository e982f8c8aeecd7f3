"""The documented example plugin (router/plugins/examples/claim_header.py) from a router.yaml."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.helpers.hardening_server import SubgraphServer
from tests.helpers.plugin_harness import MakeConfiguredRouter

ISSUER = "https://idp.example"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
BOTH = "{ products { id name reviewCount } }"


def _token(**claims: object) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "sub": "u1", "iat": now, "exp": now + 300, **claims}
    return jwt.encode(payload, _KEY, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def config(tmp_path: Path) -> dict[str, object]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}))
    return {
        "auth": {"jwt": {"jwks": [{"file": str(jwks), "issuers": [ISSUER]}]}},
        "plugins": [
            {
                "module": "router.plugins.examples.claim_header",
                "config": {"claim": "org.id", "header": "X-Org", "subgraphs": ["reviews"]},
            }
        ],
    }


async def test_the_claim_goes_to_the_listed_subgraph_only(
    configured_router: MakeConfiguredRouter, shop: SubgraphServer, config: dict[str, object]
) -> None:
    router = await configured_router(config)
    resp = await router.post(
        BOTH, headers={"authorization": f"Bearer {_token(org={'id': 'acme'})}"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["products"][0]["reviewCount"] is not None
    assert [r.headers.get("x-org") for r in shop.requests["reviews"]] == ["acme"]
    assert [r.headers.get("x-org") for r in shop.requests["products"]] == [None]


async def test_anonymous_requests_and_tokens_without_the_claim_send_no_header(
    configured_router: MakeConfiguredRouter, shop: SubgraphServer, config: dict[str, object]
) -> None:
    router = await configured_router(config)
    assert (await router.post(BOTH)).status_code == 200
    resp = await router.post(BOTH, headers={"authorization": f"Bearer {_token()}"})
    assert resp.status_code == 200
    assert [r.headers.get("x-org") for r in shop.requests["reviews"]] == [None, None]


async def test_a_bad_config_names_the_example_and_its_key(
    configured_router: MakeConfiguredRouter, config: dict[str, object]
) -> None:
    from router.plugins import PluginError

    config["plugins"] = [
        {"module": "router.plugins.examples.claim_header", "config": {"claim": "sub"}}
    ]
    with pytest.raises(PluginError, match=r"claim_header\): config\.header: Field required"):
        await configured_router(config)
