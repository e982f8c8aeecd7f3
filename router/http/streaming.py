"""A streamed HTTP response that notices a client hanging up even while it waits.

Starlette's `StreamingResponse` only learns of a disconnect when a write fails
(ASGI 2.4); a subscription may wait minutes for its next event. This response
also listens for `http.disconnect` and then cancels the body iterator, whose
`finally` closes the subgraph streams. With `keepalive`, those bytes are sent
whenever the body has been quiet for `keepalive_s` (SSE comments keep proxies
from timing the stream out).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncGenerator, Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["StreamResponse"]


class StreamResponse(Response):
    def __init__(
        self,
        chunks: AsyncGenerator[bytes, None],
        media_type: str,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        keepalive: bytes | None = None,
        keepalive_s: float = 15.0,
    ) -> None:
        self.chunks = chunks
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.keepalive = keepalive
        self.keepalive_s = keepalive_s
        self.init_headers(headers)
        self._context = contextvars.copy_context()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pump = asyncio.create_task(self._pump(send), context=self._context)
        watch = asyncio.create_task(_disconnected(receive))
        try:
            done, _ = await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
            if pump in done:
                with contextlib.suppress(OSError):  # the client left during the last write
                    pump.result()
        finally:
            for task in (pump, watch):
                task.cancel()
            await asyncio.gather(pump, watch, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.chunks.aclose()

    async def _pump(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        it = aiter(self.chunks)
        pending: asyncio.Future[bytes] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(it))
                timeout = self.keepalive_s if self.keepalive is not None else None
                done, _ = await asyncio.wait({pending}, timeout=timeout)
                if not done:
                    assert self.keepalive is not None
                    await send(
                        {"type": "http.response.body", "body": self.keepalive, "more_body": True}
                    )
                    continue
                try:
                    chunk = pending.result()
                except StopAsyncIteration:
                    break
                pending = None
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
