"""The custom-action interface of the dialogue engine, with a small application of its own.

The application (a lending library) registers one action that records a loan in
its own table through the turn's connection, sets a slot and hands over to a
response, and adds GraphQL fields that read its table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import strawberry
import yaml
from strawberry.types import Info

import migrations
from models.db import create_engine
from subgraphs.dialogue.actions import ActionContext, ActionError, ActionRegistry, ActionResult
from subgraphs.dialogue.app import create_app
from subgraphs.dialogue.domain import DomainError, parse_domain
from subgraphs.dialogue.extension import (
    DialogueExtension,
    ExtensionError,
    all_actions,
    dialogue_engine,
    load_extension,
)
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.settings import DialogueSettings

LIBRARY = """
name: library
intents: [borrow, greet, fail]
entities: [title]
slots:
  title: {type: text, mappings: [{type: from_entity, entity: title}]}
  loan_id: {type: text}
actions: [action_lend]
rules:
  - {intent: borrow, actions: [action_lend]}
  - {intent: greet, actions: [utter_hello]}
responses:
  utter_hello: [{text: Hello}]
  utter_lent: [{text: "{title} is yours, loan {loan_id}"}]
  utter_which_book: [{text: "Which book?"}]
  utter_default: [{text: Sorry}]
"""

meta = sa.MetaData()
loans = sa.Table(
    "library_loans",
    meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(64), nullable=False),
    sa.Column("turn_id", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
)

calls: list[ActionContext] = []


def library_actions() -> ActionRegistry:
    actions = ActionRegistry()

    @actions.register("action_lend", responses=("utter_lent", "utter_which_book"))
    async def lend(ctx: ActionContext) -> ActionResult:
        calls.append(ctx)
        title = ctx.candidates.get("title")
        if not title:
            return ActionResult(followups=("utter_which_book",))
        result = await ctx.connection.execute(
            sa.insert(loans).values(
                conversation_id=ctx.conversation_id, turn_id=ctx.turn_id, title=title
            )
        )
        loan_id = str(result.inserted_primary_key[0])
        if title == "explode":  # fails after writing: the write must not survive
            raise RuntimeError("the shelf collapsed")
        return ActionResult(
            slots={"title": title, "loan_id": loan_id},
            followups=("utter_lent",),
            events=(("lent", title),),
        )

    return actions


@strawberry.type
class Loan:
    id: int
    title: str


async def _loans(info: Info, conversation_id: str | None = None) -> list[Loan]:
    query = sa.select(loans).order_by(loans.c.id)
    if conversation_id is not None:
        query = query.where(loans.c.conversation_id == conversation_id)
    async with dialogue_engine(info).connect() as conn:
        rows = (await conn.execute(query)).all()
    return [Loan(id=r.id, title=r.title) for r in rows]


@strawberry.type
class LibraryQuery:
    @strawberry.field
    async def loans(self, info: Info) -> list[Loan]:
        return await _loans(info)


@strawberry.type
class ConversationLoans:
    @strawberry.field
    async def loans(self: Any, info: Info) -> list[Loan]:
        return await _loans(info, str(self.id))


def extension() -> DialogueExtension:
    return DialogueExtension(
        actions=library_actions(), query=LibraryQuery, conversation=ConversationLoans
    )


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'library.db'}"
    migrations.upgrade(url, owners=["subgraphs.dialogue"])
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(meta.create_all)
    ext = extension()
    domain = parse_domain(yaml.safe_load(LIBRARY), actions=all_actions([ext]))
    service = DialogueService(
        DialogueSettings(database_url=url), engine=engine, domain=domain, extensions=[ext]
    )
    transport = httpx.ASGITransport(app=create_app(service=service))
    calls.clear()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://dialogue") as http:
            yield http
    finally:
        await engine.dispose()


async def _gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    return response.json()  # type: ignore[no-any-return]


async def _turn(
    http: httpx.AsyncClient, text: str, intent: str, cid: str | None = None, **entities: str
) -> dict[str, Any]:
    said = await _gql(
        http,
        "mutation($c: ID, $t: String!) { say(conversationId: $c, text: $t) "
        "{ id conversation { id } } }",
        c=cid,
        t=text,
    )
    turn = said["data"]["say"]
    understood = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [{"type": k, "value": v} for k, v in entities.items()],
    }
    body = await _gql(
        http,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Turn "
        "{ action { name slots { name value } } actions { name } } } }",
        r=[{"__typename": "Turn", "id": turn["id"], "understanding": understood}],
    )
    return {"turn": turn, **body}


async def test_an_action_writes_in_the_turns_transaction_once(
    client: httpx.AsyncClient,
) -> None:
    first = await _turn(client, "lend me Dune", "borrow", title="Dune")
    cid = first["turn"]["conversation"]["id"]
    entity = first["data"]["_entities"][0]
    assert [a["name"] for a in entity["actions"]] == ["action_lend", "utter_lent"]
    slots = {s["name"]: s["value"] for s in entity["action"]["slots"]}
    assert slots == {"title": "Dune", "loan_id": "1"}

    (ctx,) = calls
    assert (ctx.name, ctx.intent, ctx.text) == ("action_lend", "borrow", "lend me Dune")
    assert ctx.conversation_id == cid and ctx.turn_id == first["turn"]["id"]
    assert ctx.slots == {} and ctx.active_form is None

    # Resolving the same turn again returns what is stored: the action does not run again.
    again = await _gql(
        client,
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Turn { action { name } } } }",
        r=[{"__typename": "Turn", "id": first["turn"]["id"], "understanding": {"intent": {}}}],
    )
    assert again["data"]["_entities"] == [{"action": {"name": "utter_lent"}}]
    assert len(calls) == 1

    # The application's fields read its table: on Query and on Conversation.
    body = await _gql(
        client,
        "query($c: ID!) { loans { title } conversation(id: $c) { turnCount loans { id title } } }",
        c=cid,
    )
    assert body["data"] == {
        "loans": [{"title": "Dune"}],
        "conversation": {"turnCount": 1, "loans": [{"id": 1, "title": "Dune"}]},
    }

    # Without a title the action hands over to its other response and writes nothing.
    asked = await _turn(client, "lend me something", "borrow", cid)
    assert [a["name"] for a in asked["data"]["_entities"][0]["actions"]] == [
        "action_lend",
        "utter_which_book",
    ]
    body = await _gql(client, "{ loans { title } }")
    assert body["data"]["loans"] == [{"title": "Dune"}]


async def test_a_failing_action_leaves_neither_its_write_nor_the_turn(
    client: httpx.AsyncClient,
) -> None:
    failed = await _turn(client, "lend me explode", "borrow", title="explode")
    assert failed["errors"] and failed["data"]["_entities"][0]["action"] is None
    body = await _gql(client, "{ loans { title } }")
    assert body["data"]["loans"] == []
    status = await _gql(
        client, "query($id: ID!) { turn(id: $id) { status } }", id=failed["turn"]["id"]
    )
    # The whole transaction rolled back: the turn waits to be resolved again.
    assert status["data"]["turn"]["status"] == "PENDING"
    assert failed["errors"][0]["path"] == ["_entities", 0, "action"]


async def test_wrong_results_are_errors_that_name_the_action(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from subgraphs.dialogue.policy import Policy
    from subgraphs.dialogue.tracker import DialogueState, UnderstandingIn

    def registry(result: ActionResult) -> ActionRegistry:
        actions = ActionRegistry()

        @actions.register("action_lend")
        async def lend(ctx: ActionContext) -> ActionResult:
            return result

        return actions

    understood = UnderstandingIn.model_validate({"intent": {"name": "borrow"}})
    for result, message in [
        (ActionResult(slots={"colour": "red"}), "action_lend set slots the domain does not have"),
        (ActionResult(followups=("utter_nope",)), "action_lend hands over to unknown actions"),
    ]:
        actions = registry(result)
        domain = parse_domain(yaml.safe_load(LIBRARY), actions=actions)
        policy = Policy(domain, actions=actions)
        with pytest.raises(ActionError, match=message):
            await policy.run(DialogueState(), understood, "x", now=datetime.now(UTC))

    # An action that needs the database, run without one, says so.
    async def needs_db(ctx: ActionContext) -> ActionResult:
        await ctx.connection.execute(sa.text("select 1"))
        return ActionResult()

    actions = ActionRegistry()
    actions.register("action_lend")(needs_db)
    policy = Policy(parse_domain(yaml.safe_load(LIBRARY), actions=actions), actions=actions)
    with pytest.raises(ActionError, match="action_lend needs the database"):
        await policy.run(DialogueState(), understood, "x", now=datetime.now(UTC))


def test_registration_mistakes_are_caught_early() -> None:
    with pytest.raises(DomainError, match="'action_lend' is not a custom action"):
        parse_domain(yaml.safe_load(LIBRARY))  # the built-in actions only
    data = yaml.safe_load(LIBRARY)
    del data["responses"]["utter_which_book"]
    with pytest.raises(DomainError, match="action_lend needs a response 'utter_which_book'"):
        parse_domain(data, actions=library_actions())

    actions = library_actions()
    with pytest.raises(ActionError, match="registered twice"):
        actions.register("action_lend")(library_actions()["action_lend"].run)
    with pytest.raises(ActionError, match="names start with 'action_'"):
        actions.register("lend")(library_actions()["action_lend"].run)
    with pytest.raises(ExtensionError, match=r"action_deactivate_form.*registered twice"):
        twice = ActionRegistry()
        twice.register("action_deactivate_form")(library_actions()["action_lend"].run)
        all_actions([DialogueExtension(actions=twice)])


def test_extensions_load_from_settings_or_fail_clearly() -> None:
    here = __name__
    assert isinstance(load_extension(f"{here}:extension"), DialogueExtension)
    with pytest.raises(ExtensionError, match="cannot import no_such_app_xyz"):
        load_extension("no_such_app_xyz")
    with pytest.raises(ExtensionError, match="has no 'extension'"):
        load_extension("json")
    with pytest.raises(ExtensionError, match="is a Loan, not a DialogueExtension"):
        load_extension(f"{here}:not_an_extension")
    settings = DialogueSettings(extensions="a.b:c, d.e")  # type: ignore[arg-type]
    assert settings.extensions == ["a.b:c", "d.e"]


def not_an_extension() -> Loan:
    return Loan(id=0, title="")
