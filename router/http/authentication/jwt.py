"""Verify a request's JWT against the configured key sets.

A token must name an accepted algorithm (never `none`), be signed by a key
whose type fits that algorithm (so an RSA public key can never be used as an
HMAC secret), and carry an accepted issuer and audience and an `exp` in the
future (`nbf`/`iat` are honoured too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import jwt
from jwt import PyJWK
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    MissingRequiredClaimError,
    PyJWTError,
)

from router.http.authentication.jwks import JwksSource
from router.settings.auth import JwtSettings

__all__ = ["AuthError", "Authenticator"]

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP", "HS": "oct"}


class AuthError(Exception):
    """The request carries a token that does not verify (401 AUTH_ERROR)."""


class Authenticator:
    def __init__(self, settings: JwtSettings, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.sources = [
            JwksSource(
                s,
                min_refresh_interval_s=settings.min_refresh_interval_s,
                fetch_timeout_s=settings.fetch_timeout_s,
                http_client=http_client,
            )
            for s in settings.jwks
        ]

    def token(self, headers: Mapping[str, str]) -> str | None:
        """The raw token from the request, None when absent; AuthError when malformed."""
        value = headers.get(self.settings.header_name.lower())
        if value is None:
            return None
        prefix = self.settings.header_value_prefix
        if prefix:
            scheme, _, rest = value.strip().partition(" ")
            if scheme.lower() != prefix.lower():
                raise AuthError(
                    f"Value of '{self.settings.header_name}' JWT header should be prefixed "
                    f"with '{prefix}'"
                )
            value = rest
        value = value.strip()
        if not value:
            raise AuthError(f"'{self.settings.header_name}' header has no JWT token")
        return value

    async def authenticate(self, headers: Mapping[str, str]) -> dict[str, Any] | None:
        """Verified claims, None for an anonymous request; raises AuthError."""
        token = self.token(headers)
        if token is None:
            return None
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as exc:
            raise AuthError(f"invalid JWT: {exc}") from None
        alg = header.get("alg")
        kid = header.get("kid")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise AuthError("JWT algorithm 'none' is not accepted")
        if kid is not None and not isinstance(kid, str):
            raise AuthError("JWT 'kid' must be a string")
        tried = False
        for source in self.sources:
            if alg not in source.settings.algorithms:
                continue
            keys = _candidates(await source.current(), alg, kid)
            if not keys and kid is not None and await source.refresh_for_unknown_kid():
                keys = _candidates(source.keys, alg, kid)
            for key in keys:
                tried = True
                claims = self._decode(token, key, alg, source.settings)
                if claims is not None:
                    return claims
        if not tried:
            raise AuthError(f"no key for alg '{alg}' and kid '{kid}' in the JWKS")
        raise AuthError("JWT signature does not verify")

    def _decode(self, token: str, key: PyJWK, alg: str, src: Any) -> dict[str, Any] | None:
        require = [] if self.settings.allow_missing_exp else ["exp"]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=list(src.audiences) or None,
                issuer=tuple(src.issuers) or None,
                leeway=self.settings.leeway_s,
                options={"require": require, "verify_aud": True},
            )
        except ExpiredSignatureError:
            raise AuthError("JWT has expired") from None
        except ImmatureSignatureError:
            raise AuthError("JWT is not valid yet (nbf/iat in the future)") from None
        except InvalidIssuerError:
            raise AuthError("JWT issuer is not accepted") from None
        except InvalidAudienceError:
            raise AuthError("JWT audience is not accepted") from None
        except MissingRequiredClaimError as exc:
            raise AuthError(f"JWT lacks the '{exc.claim}' claim") from None
        except PyJWTError:
            return None  # wrong key or bad signature: try the next key
        return claims

    async def aclose(self) -> None:
        for s in self.sources:
            await s.aclose()


def _candidates(keys: list[PyJWK], alg: str, kid: str | None) -> list[PyJWK]:
    kty = _KEY_TYPES.get(alg[:2])
    out = []
    for k in keys:
        if kid is not None and k.key_id != kid:
            continue
        if k.key_type != kty:
            continue
        declared = getattr(k, "algorithm_name", None)
        if declared and declared != alg and "alg" in getattr(k, "_jwk_data", {}):
            continue
        out.append(k)
    return out
