"""JWT authentication and @authenticated / @requiresScopes (security.md 5.3)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from router.http.authentication.jwks import JwksSource
from router.settings.auth import JwksSettings
from tests.helpers import hardening_subgraphs as subgraphs
from tests.helpers.hardening_harness import Harness, MakeRouter, codes
from tests.helpers.hardening_server import Reply, SubgraphServer

ISSUER = "https://idp.example"
AUDIENCE = "chorus"
_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC = ec.generate_private_key(ec.SECP256R1())


def _jwk(key: Any, kid: str) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        d = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    else:
        d = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return {**d, "kid": kid, "use": "sig"}


JWKS = {"keys": [_jwk(_RSA, "k1"), _jwk(_EC, "k2")]}


def token(
    key: Any = _RSA,
    kid: str | None = "k1",
    alg: str = "RS256",
    lifetime: float = 300,
    **claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "iat": now}
    if lifetime is not None:
        payload["exp"] = now + lifetime
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def bearer(t: str) -> dict[str, str]:
    return {"authorization": f"Bearer {t}"}


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS))
    return path


def _settings(jwks_file: Path, **jwt_extra: Any) -> dict[str, Any]:
    source = {"file": str(jwks_file), "issuers": [ISSUER], "audiences": [AUDIENCE]}
    return {"auth": {"jwt": {"jwks": [source], **jwt_extra}}}


@pytest.fixture
async def authed(make_router: MakeRouter, jwks_file: Path) -> Harness:
    return await make_router(_settings(jwks_file))


# ----------------------------------------------------------- authentication
def _forged() -> list[tuple[str, dict[str, str]]]:
    rsa_public_pem = _RSA.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    unsigned = jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 60}, None, "none")
    hs_with_public_key = _hs256_with_public_key(rsa_public_pem)
    return [
        ("malformed", bearer("not-a-jwt")),
        ("three garbage parts", bearer("a.b.c")),
        ("wrong signature", bearer(token(key=_OTHER))),
        ("expired", bearer(token(lifetime=-120))),
        ("not yet valid", bearer(token(nbf=int(time.time()) + 3600))),
        ("wrong issuer", bearer(token(iss="https://evil.example"))),
        ("wrong audience", bearer(token(aud="someone-else"))),
        ("no audience", bearer(token(aud=None))),
        ("no expiry", bearer(token(lifetime=None))),
        ("alg none", bearer(unsigned)),
        ("HS256 signed with the RSA public key", bearer(hs_with_public_key)),
        ("unknown kid", bearer(token(kid="k9"))),
        ("EC key named by an RSA kid", bearer(token(key=_EC, kid="k1", alg="ES256"))),
        ("wrong prefix", {"authorization": f"Token {token()}"}),
        ("prefix only", {"authorization": "Bearer "}),
    ]


def _hs256_with_public_key(secret: bytes) -> str:
    """The classic key-confusion forgery, built by hand (PyJWT refuses PEM HMAC keys)."""
    import base64
    import hashlib
    import hmac

    def b64(b: bytes) -> bytes:
        return base64.urlsafe_b64encode(b).rstrip(b"=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}
    payload = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(secret, header + b"." + payload, hashlib.sha256).digest())
    return (header + b"." + payload + b"." + sig).decode()


@pytest.mark.parametrize(("case", "headers"), _forged(), ids=[c for c, _ in _forged()])
async def test_forged_and_invalid_tokens_are_401(
    authed: Harness, shop: SubgraphServer, case: str, headers: dict[str, str]
) -> None:
    resp = await authed.post("{ version }", headers=headers)
    assert resp.status_code == 401, (case, resp.text)
    assert codes(resp.json()) == ["AUTH_ERROR"]
    assert resp.headers["www-authenticate"] == "Bearer"
    assert shop.count("products") == 0


async def test_valid_rsa_and_ec_tokens_are_accepted(authed: Harness) -> None:
    for t in (token(), token(key=_EC, kid="k2", alg="ES256")):
        body = await authed.data("{ me { name email secret } }", headers=bearer(t))
        assert body == {"data": {"me": {"name": "Ada", "email": "ada@example.com", "secret": "s3"}}}


async def test_invalid_token_is_anonymous_with_on_error_continue(
    make_router: MakeRouter, jwks_file: Path
) -> None:
    router = await make_router(_settings(jwks_file, on_error="continue"))
    body = await router.data("{ me { name email } }", headers=bearer(token(lifetime=-100)))
    assert body["data"] == {"me": {"name": "Ada", "email": None}}
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]


async def test_require_authentication_refuses_anonymous_requests(
    make_router: MakeRouter, jwks_file: Path
) -> None:
    settings = _settings(jwks_file)
    settings["auth"]["authorization"] = {"require_authentication": True}
    router = await make_router(settings)
    resp = await router.post("{ version }")
    assert resp.status_code == 401
    assert codes(resp.json()) == ["AUTH_ERROR"]
    assert (await router.post("{ version }", headers=bearer(token()))).status_code == 200


# ------------------------------------------------------------ authorization
async def test_authenticated_field_is_null_for_anonymous_and_never_fetched(
    authed: Harness, shop: SubgraphServer
) -> None:
    body = await authed.data("{ me { name email } version }")
    assert body["data"] == {"me": {"name": "Ada", "email": None}, "version": "p1"}
    (err,) = body["errors"]
    assert err["path"] == ["me", "email"]
    assert err["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    sent = " ".join(r.json()["query"] for r in shop.requests["products"])
    assert "email" not in sent


async def test_non_null_authenticated_field_nulls_its_parent(authed: Harness) -> None:
    body = await authed.data("{ me { name secret } version }")
    assert body["data"] == {"me": None, "version": "p1"}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["me", "secret"], "UNAUTHORIZED_FIELD_OR_TYPE")
    ]


async def test_only_unauthorized_selection_keeps_its_parent(authed: Harness) -> None:
    body = await authed.data("{ me { email } }")
    assert body["data"] == {"me": {"email": None}}
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]


async def test_authenticated_mutation_is_not_run_for_anonymous(authed: Harness) -> None:
    body = await authed.data('mutation { deleteProduct(id: "1") }')
    assert body["data"] == {"deleteProduct": None}
    assert body["errors"][0]["path"] == ["deleteProduct"]
    assert subgraphs.DELETED == []
    body = await authed.data('mutation { deleteProduct(id: "1") }', headers=bearer(token()))
    assert body == {"data": {"deleteProduct": True}}
    assert subgraphs.DELETED == ["1"]


async def test_list_paths_use_at_sign(authed: Harness) -> None:
    body = await authed.data("{ products { name cost } }")
    assert body["data"] == {
        "products": [{"name": "Table", "cost": None}, {"name": "Chair", "cost": None}]
    }
    assert [e["path"] for e in body["errors"]] == [["products", "@", "cost"]]


async def test_unauthorized_fields_inside_fragments(authed: Harness) -> None:
    body = await authed.data(
        "{ me { ...U } products { ... on Product { cost name } } } "
        "fragment U on User { email name }"
    )
    assert body["data"]["me"] == {"email": None, "name": "Ada"}
    assert body["data"]["products"][0] == {"cost": None, "name": "Table"}
    assert sorted(map(tuple, (e["path"] for e in body["errors"]))) == [
        ("me", "email"),
        ("products", "@", "cost"),
    ]


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [(None, False), ("a", False), ("b", False), ("a b", True), ("c", True), ("x c y", True)],
)
async def test_requires_scopes(authed: Harness, scope: str | None, allowed: bool) -> None:
    body = await authed.data(
        '{ product(id: "1") { name cost } }', headers=bearer(token(scope=scope))
    )
    if allowed:
        assert body == {"data": {"product": {"name": "Table", "cost": 100}}}
    else:
        assert body["data"] == {"product": {"name": "Table", "cost": None}}
        assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]


async def test_directives_are_enforced_without_jwt_configured(router: Harness) -> None:
    body = await router.data("{ me { email } }", headers=bearer(token()))
    assert body["data"] == {"me": {"email": None}}
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]


# ------------------------------------------------------------------- JWKS URL
async def test_jwks_url_down_then_up_then_garbage_keeps_last_good_keys(
    shop: SubgraphServer,
) -> None:
    state = {"mode": "down"}

    def jwks() -> Reply | None:
        if state["mode"] == "down":
            return None
        if state["mode"] == "garbage":
            return Reply(200, b"<html>not json</html>", "text/html")
        return Reply(200, json.dumps(JWKS).encode())

    shop.static["/jwks"] = jwks
    now = [0.0]
    src = JwksSource(
        JwksSettings(url=f"http://127.0.0.1:{shop.port}/jwks", poll_interval_s=30),
        min_refresh_interval_s=10,
        clock=lambda: now[0],
    )
    assert await src.current() == [] and src.failures == 1
    state["mode"] = "up"
    assert await src.current() == []  # backing off: no new fetch yet
    assert src.fetches == 1
    now[0] += 1.1
    assert len(await src.current()) == 2 and src.fetches == 2
    state["mode"] = "garbage"
    now[0] += 31
    await src.current()  # stale: refreshed in the background
    assert src._background is not None
    await src._background
    assert len(src.keys) == 2 and src.failures == 1  # the last good keys stay


async def test_unknown_kid_flood_refreshes_at_most_once_per_interval(shop: SubgraphServer) -> None:
    shop.static["/jwks"] = Reply(200, json.dumps(JWKS).encode())
    src = JwksSource(
        JwksSettings(url=f"http://127.0.0.1:{shop.port}/jwks"), min_refresh_interval_s=60
    )
    await src.current()
    results = [await src.refresh_for_unknown_kid() for _ in range(50)]
    assert results.count(True) == 0  # the initial load counts as the last attempt
    assert src.fetches == 1


async def test_jwks_url_authenticates_through_the_router(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    shop.static["/jwks"] = Reply(200, json.dumps(JWKS).encode())
    source = {"url": f"http://127.0.0.1:{shop.port}/jwks", "audiences": [AUDIENCE]}
    router = await make_router({"auth": {"jwt": {"jwks": [source]}}})
    body = await router.data("{ me { email } }", headers=bearer(token()))
    assert body == {"data": {"me": {"email": "ada@example.com"}}}
