"""GraphQL over WebSocket, the graphql-transport-ws protocol (graphql-ws's), on /graphql.

Any operation may run over the socket: a subscription sends one `next` per
event, a query or mutation one `next` (several with `@defer`), then
`complete`. A request error (unparsable, invalid, unplannable) is an `error`
message. Protocol violations close the socket with the protocol's codes:

    4400 invalid message           4401 subscribe before connection_ack
    4403 connection refused         4406 subprotocol not acceptable
    4408 no connection_init in time 4409 subscription id already in use
    4429 second connection_init

Every operation runs in its own task; a client `complete`, or the socket
closing, cancels it, which closes the subgraph stream behind it.

`app.state.ws_on_connect`, when set, is called with (websocket, the
connection_init payload) and returns False to refuse (4403), True to accept,
or a dict to accept with that `connection_ack` payload.
`app.state.ws_init_timeout_s` overrides the 3 s wait for `connection_init`.
`app.state.ws_origin_allowed(headers)`, when set (the CORS plugin's allow-list), decides
whether the upgrade may go on: a refused `Origin` gets 403 before the socket is accepted
(cross-site WebSocket hijacking).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from router.errors import ErrorCode, graphql_error
from router.execution.streams import stream_payloads
from router.execution.subscribe import Subscriber
from router.plugins.service import GraphQLResponse
from router.request.pipeline import Router

__all__ = ["PROTOCOL", "TransportSession", "graphql_ws_endpoint"]

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_S = 3.0

log = logging.getLogger(__name__)

OnConnect = Callable[[WebSocket, dict[str, Any]], "bool | dict[str, Any] | Awaitable[Any]"]


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class TransportSession:
    """One client connection speaking graphql-transport-ws."""

    def __init__(
        self,
        websocket: WebSocket,
        router: Router,
        *,
        init_timeout_s: float = INIT_TIMEOUT_S,
        on_connect: OnConnect | None = None,
        subscriber: Subscriber | None = None,
    ) -> None:
        self.ws = websocket
        self.router = router
        self.init_timeout_s = init_timeout_s
        self.on_connect = on_connect
        self.subscriber = subscriber
        self.initialised = False
        self.acknowledged = False
        self.closed = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()

    # ----------------------------------------------------------------- socket
    async def run(self) -> None:
        if PROTOCOL not in (self.ws.scope.get("subprotocols") or ()):
            await self.ws.accept()
            await self._close(4406, "Subprotocol not acceptable")
            return
        await self.ws.accept(subprotocol=PROTOCOL)
        timer = asyncio.create_task(self._init_timeout())
        try:
            while not self.closed:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                try:
                    if text is None:
                        raise _Close(4400, "Invalid message received")
                    await self._handle(text)
                except _Close as close:
                    await self._close(close.code, close.reason)
        except WebSocketDisconnect:
            pass
        finally:
            self.closed = True
            timer.cancel()
            tasks = list(self.operations.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(timer, *tasks, return_exceptions=True)

    async def _init_timeout(self) -> None:
        await asyncio.sleep(self.init_timeout_s)
        if not self.acknowledged:
            await self._close(4408, "Connection initialisation timeout")

    async def _close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self.ws.application_state == WebSocketState.CONNECTED:
            try:
                await self.ws.close(code, reason)
            except (RuntimeError, OSError):
                pass

    async def _send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        async with self._send_lock:
            try:
                await self.ws.send_text(orjson.dumps(message).decode())
            except (RuntimeError, OSError, WebSocketDisconnect):
                self.closed = True

    # --------------------------------------------------------------- messages
    async def _handle(self, text: str) -> None:
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise _Close(4400, "Invalid message received") from None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise _Close(4400, "Invalid message received")
        kind = msg["type"]
        if kind == "connection_init":
            await self._connection_init(msg.get("payload"))
        elif kind == "ping":
            pong: dict[str, Any] = {"type": "pong"}
            if isinstance(msg.get("payload"), dict):
                pong["payload"] = msg["payload"]
            await self._send(pong)
        elif kind == "pong":
            return
        elif kind == "subscribe":
            self._subscribe(msg)
        elif kind == "complete":
            op_id = msg.get("id")
            if not isinstance(op_id, str) or not op_id:
                raise _Close(4400, "Invalid message received: complete needs an id")
            task = self.operations.pop(op_id, None)
            if task is not None:
                task.cancel()
        else:
            raise _Close(4400, f"Invalid message received: unknown type {kind!r}")

    async def _connection_init(self, payload: Any) -> None:
        if self.initialised:
            raise _Close(4429, "Too many initialisation requests")
        self.initialised = True
        if payload is not None and not isinstance(payload, dict):
            raise _Close(4400, "Invalid message received: payload must be an object")
        ack: dict[str, Any] = {"type": "connection_ack"}
        if self.on_connect is not None:
            verdict = self.on_connect(self.ws, payload or {})
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if verdict is False:
                raise _Close(4403, "Forbidden")
            if isinstance(verdict, dict):
                ack["payload"] = verdict
        self.acknowledged = True
        await self._send(ack)

    def _subscribe(self, msg: dict[str, Any]) -> None:
        if not self.acknowledged:
            raise _Close(4401, "Unauthorized")
        op_id = msg.get("id")
        payload = msg.get("payload")
        if not isinstance(op_id, str) or not op_id or not isinstance(payload, dict):
            raise _Close(4400, "Invalid message received: subscribe needs an id and a payload")
        if not isinstance(payload.get("query"), str):
            raise _Close(4400, "Invalid message received: payload.query must be a string")
        if op_id in self.operations:
            raise _Close(4409, f"Subscriber for {op_id} already exists")
        task = asyncio.create_task(self._operation(op_id, payload))
        self.operations[op_id] = task

    # ------------------------------------------------------------- operations
    async def _operation(self, op_id: str, payload: dict[str, Any]) -> None:
        try:
            variables = payload.get("variables")
            prepared = await self.router.prepare(
                payload["query"], payload.get("operationName") or None, variables
            )
            if isinstance(prepared, GraphQLResponse):
                errors = prepared.body.get("errors") or []
                await self._send({"id": op_id, "type": "error", "payload": errors})
                return
            stream = stream_payloads(prepared, subscriber=self.subscriber)
            try:
                async for body in stream:
                    await self._send({"id": op_id, "type": "next", "payload": body})
            finally:
                await stream.aclose()
            await self._send({"id": op_id, "type": "complete"})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("operation %s failed", op_id)
            err = graphql_error("internal error", None, ErrorCode.INTERNAL_SERVER_ERROR)
            await self._send({"id": op_id, "type": "error", "payload": [err]})
        finally:
            if self.operations.get(op_id) is asyncio.current_task():
                del self.operations[op_id]


async def graphql_ws_endpoint(websocket: WebSocket) -> None:
    router: Router = websocket.app.state.router
    state = websocket.app.state
    origin_allowed = getattr(state, "ws_origin_allowed", None)
    if origin_allowed is not None and not origin_allowed(websocket.headers):
        log.info("WebSocket refused: origin %r is not allowed", websocket.headers.get("origin"))
        await websocket.close(code=1008)  # before accept: the server answers 403
        return
    await TransportSession(
        websocket,
        router,
        init_timeout_s=getattr(state, "ws_init_timeout_s", INIT_TIMEOUT_S),
        on_connect=getattr(state, "ws_on_connect", None),
    ).run()
