"""JWT authentication as a plugin: verify the bearer token, put the claims on the request.

A bad token is 401 (or, with `on_error: continue`, the request goes on
anonymous); `authorization.require_authentication` refuses anonymous requests.
It runs on `http_operations`, after the body is read, as the router always did.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from router.errors import ErrorCode
from router.http.authentication.jwt import Authenticator, AuthError
from router.plugins import HttpRequestContext, Plugin, Reject
from router.settings.auth import AuthSettings

__all__ = ["AuthenticationPlugin"]

_BEARER = {"www-authenticate": "Bearer"}


class AuthenticationPlugin(Plugin):
    Config: ClassVar[type[BaseModel]] = AuthSettings

    def __init__(self, config: AuthSettings) -> None:
        super().__init__(config)
        jwt = config.jwt
        self.authenticator = Authenticator(jwt) if jwt is not None else None
        self.continue_on_error = jwt is not None and jwt.on_error == "continue"
        self.required = config.authorization.require_authentication

    async def http_operations(self, ctx: HttpRequestContext) -> None:
        claims: dict[str, Any] | None = None
        if self.authenticator is not None:
            try:
                claims = await self.authenticator.authenticate(ctx.headers)
            except AuthError as exc:
                if not self.continue_on_error:
                    raise Reject(401, str(exc), ErrorCode.AUTH_ERROR, headers=_BEARER) from None
        if claims is None and self.required:
            raise Reject(
                401, "this endpoint requires authentication", ErrorCode.AUTH_ERROR, headers=_BEARER
            )
        ctx.request.claims = claims

    async def aclose(self) -> None:
        if self.authenticator is not None:
            await self.authenticator.aclose()
