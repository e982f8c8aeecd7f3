"""Two strawberry subgraphs for subscriptions and @defer, served by real uvicorn servers.

chat:  owns `Subscription.messages / failing / endless`, `Message @key(id)` with
       `text` and `author: User` (a stub), `Query.message(id)`.
users: owns `User @key(id)` (`name`, and `bio`, which takes `BIO_DELAY_S`), and
       adds `Message.shout @requires(text)`.

So every subscription event needs a users `_entities` fetch (author name,
shout) after the chat event: the plan's `rest` part. `STREAMS` records how
the chat subgraph's generators start and finish (cancellation tests).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.federation.schema_directives import Key
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from router.compose import SubgraphSource, compose

BIO_DELAY_S = 0.4
USERS = {"u1": "Ada", "u2": "Grace"}
#: events of the chat subgraph's generators: ("open", name) / ("closed", name)
STREAMS: list[tuple[str, str]] = []


# ---------------------------------------------------------------------- chat
@strawberry.federation.type(name="User", keys=[Key(fields="id", resolvable=False)])
class ChatUser:
    id: strawberry.ID


@strawberry.federation.type(name="Message", keys=["id"])
class ChatMessage:
    id: strawberry.ID
    text: str
    author: ChatUser

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ChatMessage:
        room, _, i = str(id).rpartition("-")
        return _message(int(i), room)


def _message(i: int, room: str) -> ChatMessage:
    author = "u1" if i % 2 == 0 else "u2"
    return ChatMessage(
        id=strawberry.ID(f"{room}-{i}"),
        text=f"message {i} in {room}",
        author=ChatUser(id=strawberry.ID(author)),
    )


@strawberry.type(name="Query")
class ChatQuery:
    @strawberry.field
    def message(self, id: strawberry.ID) -> ChatMessage | None:
        room, _, i = str(id).partition("-")
        return _message(int(i), room) if i.isdigit() else None

    @strawberry.field
    def messages(self, room: str, count: int = 3) -> list[ChatMessage]:
        return [_message(i, room) for i in range(count)]


@strawberry.type(name="Subscription")
class ChatSubscription:
    @strawberry.subscription
    async def messages(self, room: str, count: int = 3) -> AsyncGenerator[ChatMessage, None]:
        STREAMS.append(("open", "messages"))
        try:
            for i in range(count):
                yield _message(i, room)
                await asyncio.sleep(0)
        finally:
            STREAMS.append(("closed", "messages"))

    @strawberry.subscription
    async def failing(self, after: int = 1) -> AsyncGenerator[ChatMessage, None]:
        for i in range(after):
            yield _message(i, "lobby")
        raise ValueError("the chat stream broke")

    @strawberry.subscription
    async def endless(self) -> AsyncGenerator[ChatMessage, None]:
        STREAMS.append(("open", "endless"))
        try:
            i = 0
            while True:
                yield _message(i, "endless")
                i += 1
                await asyncio.sleep(0.05)
        finally:
            STREAMS.append(("closed", "endless"))


chat_schema = strawberry.federation.Schema(
    query=ChatQuery, subscription=ChatSubscription, types=[ChatMessage]
)


# --------------------------------------------------------------------- users
@strawberry.federation.type(name="User", keys=["id"])
class User:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return USERS[str(self.id)]

    @strawberry.field
    async def bio(self) -> str:
        await asyncio.sleep(BIO_DELAY_S)
        return f"{USERS[str(self.id)]} writes code"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)


@strawberry.federation.type(name="Message", keys=["id"])
class UsersMessage:
    id: strawberry.ID
    text: str | None = strawberry.federation.field(external=True, default=None, graphql_type=str)

    @strawberry.federation.field(requires=["text"])
    def shout(self) -> str:
        if self.text is None:
            raise ValueError("shout resolved without its required text")
        return self.text.upper()

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, text: str | None = None) -> UsersMessage:
        return cls(id=id, text=text)


@strawberry.type(name="Query")
class UsersQuery:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        return User(id=id) if str(id) in USERS else None


users_schema = strawberry.federation.Schema(query=UsersQuery, types=[User, UsersMessage])


# ------------------------------------------------------------------- serving
def sdl_of(schema: strawberry.federation.Schema) -> str:
    """The subgraph SDL a federation schema serves on `_service { sdl }`."""
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None and result.data is not None, result.errors
    sdl: str = result.data["_service"]["sdl"]
    return sdl


#: subscriptions whose plans branch on `$p` (`@include` / `@skip`): a `Condition` at the root
CONDITIONAL_SUBSCRIPTIONS = [
    'subscription($p: Boolean!) { messages(room: "r") { id author @include(if: $p) { name } } }',
    'subscription($p: Boolean!) { messages(room: "r") { id text @skip(if: $p) } }',
]


def supergraph(chat_url: str, users_url: str) -> str:
    result = compose(
        [
            SubgraphSource("chat", chat_url, sdl_of(chat_schema)),
            SubgraphSource("users", users_url, sdl_of(users_schema)),
        ]
    )
    assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
    return result.supergraph_sdl


def subgraph_app(schema: strawberry.federation.Schema) -> Starlette:
    gql = GraphQL(schema, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,))
    return Starlette(routes=[Route("/graphql", gql), WebSocketRoute("/graphql", gql)])


@dataclass
class Served:
    server: uvicorn.Server
    task: asyncio.Task[None]
    url: str


async def serve(app: Any, port: int, lifespan: str = "off") -> Served:
    """Run `app` under uvicorn on 127.0.0.1:`port` in this event loop."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan=lifespan,
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    assert server.started, f"uvicorn did not start on port {port}"
    return Served(server, task, f"http://127.0.0.1:{port}/graphql")


async def stop(served: Served) -> None:
    served.server.should_exit = True
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(served.task), 5)
    if not served.task.done():
        served.server.force_exit = True
        served.task.cancel()
        with contextlib.suppress(BaseException):
            await served.task


@contextlib.asynccontextmanager
async def stack(router_app_factory: Any, ports: tuple[int, int, int]) -> AsyncIterator[str]:
    """Serve chat, users and a router over them; yields the router's /graphql URL."""
    chat = await serve(subgraph_app(chat_schema), ports[0])
    users = await serve(subgraph_app(users_schema), ports[1])
    router = await serve(router_app_factory(supergraph(chat.url, users.url)), ports[2])
    try:
        yield router.url
    finally:
        for s in (router, users, chat):
            await stop(s)
