"""A test plugin (loaded as `tests.helpers.plugin_layer`): ASGI middleware around the app
that marks every HTTP answer with `x-layer: seen`."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from router.plugins import Plugin


class _Mark:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"x-layer", b"seen")]}
            await send(message)

        await self.app(scope, receive, marked if scope["type"] == "http" else send)


class Layer(Plugin):
    def middleware(self) -> Sequence[Middleware]:
        return (Middleware(_Mark),)
