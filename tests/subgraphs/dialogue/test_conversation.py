"""Whole conversations through the subgraph's GraphQL, on SQLite and PostgreSQL:
a booking that lands in the database, changes, cancellation, idempotency."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from apps.concierge.tables import bookings
from subgraphs.dialogue.tables import conversations, turns
from tests.helpers.dialogue import dialogue_client, slots_of, understanding


async def test_four_messages_book_a_table(dialogue_db_url: str) -> None:
    async with dialogue_client(dialogue_db_url) as client:
        text = "hi there"
        first = await client.turn(text, understanding(text, "greet"))
        assert first["action"]["name"] == "utter_greet"
        assert first["index"] == 0 and await client.status(first["id"]) == "DONE"
        cid = await client.conversation_of(first["id"])
        said = await client.say("hello again")
        assert said["conversation"]["id"] != cid  # null conversation id: a new conversation

        text = "we'd like a table for four tomorrow at 7pm"
        second = await client.turn(
            text,
            understanding(
                text, "book_table", party_size=("four", "4"), date="tomorrow", time="7pm"
            ),
            cid,
        )
        assert second["index"] == 1
        action = second["action"]
        assert action["name"] == "utter_ask_cuisine"
        assert action["activeForm"] == "booking_form"
        assert action["requestedSlot"] == "cuisine"
        assert slots_of(action) | {"booking_id": None} == {
            "party_size": "4",
            "date": "2030-06-06",
            "time": "19:00",
            "cuisine": None,
            "name": None,
            "booking_id": None,
        }
        assert [a["name"] for a in second["actions"]] == ["booking_form", "utter_ask_cuisine"]

        text = "Italian please"
        third = await client.turn(
            text, understanding(text, "inform", cuisine=("Italian", "italian")), cid
        )
        assert third["action"]["name"] == "utter_ask_name"
        assert third["action"]["requestedSlot"] == "name"

        text = "Ada Lovelace"  # no entity, and the NLU is unsure: the form takes the text
        fourth = await client.turn(text, understanding(text, "inform", 0.41, fallback=True), cid)
        action = fourth["action"]
        assert [a["name"] for a in fourth["actions"]] == [
            "booking_form",
            "action_submit_booking",
            "utter_booking_confirmed",
        ]
        assert action["name"] == "utter_booking_confirmed"
        assert action["activeForm"] is None and action["requestedSlot"] is None
        slots = slots_of(action)
        assert slots["name"] == "Ada Lovelace" and slots["booking_id"]

        # The booking is a real row.
        engine = client.service.engine
        async with engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(bookings).where(bookings.c.conversation_id == cid))
            ).all()
            stored = (
                await conn.execute(
                    sa.select(turns.c.status, turns.c.slots_after, turns.c.understanding)
                    .where(turns.c.conversation_id == cid)
                    .order_by(turns.c.index)
                )
            ).all()
            state = (
                await conn.execute(sa.select(conversations).where(conversations.c.id == cid))
            ).one()
        assert len(rows) == 1
        booking = rows[0]
        assert booking.id == slots["booking_id"]
        assert (booking.name, booking.party_size, booking.cuisine, booking.status) == (
            "Ada Lovelace",
            4,
            "italian",
            "confirmed",
        )
        assert booking.date == dt.date(2030, 6, 6) and booking.time == dt.time(19, 0)
        assert [row.status for row in stored] == ["done"] * 4
        assert stored[3].slots_after["cuisine"] == "italian"
        assert stored[3].understanding["intent"]["name"] == "inform"
        assert stored[3].understanding["fallback"] is True
        assert state.applied_index == 3 and state.turn_count == 4

        # ... and the schema shows it.
        body = await client.graphql(
            "query($id: ID!) { conversation(id: $id) { turnCount activeForm "
            "slots { name value } turns { index text } "
            "bookings { id partySize date time cuisine name status } } }",
            id=cid,
        )
        conv = body["data"]["conversation"]
        assert conv["turnCount"] == 4 and conv["activeForm"] is None
        assert [t["index"] for t in conv["turns"]] == [0, 1, 2, 3]
        assert conv["bookings"] == [
            {
                "id": booking.id,
                "partySize": 4,
                "date": "2030-06-06",
                "time": "19:00",
                "cuisine": "italian",
                "name": "Ada Lovelace",
                "status": "confirmed",
            }
        ]


async def test_change_then_cancel_updates_the_booking_row(dialogue_db_url: str) -> None:
    async with dialogue_client(dialogue_db_url) as client:
        text = "book a table for 2 on friday at 8pm, italian, name is Grace"
        first = await client.turn(
            text,
            understanding(
                text,
                "book_table",
                party_size="2",
                date="friday",
                time="8pm",
                cuisine="italian",
                name="Grace",
            ),
        )
        assert first["action"]["name"] == "utter_booking_confirmed"
        booking_id = slots_of(first["action"])["booking_id"]
        cid = await client.conversation_of(first["id"])

        text = "can we change it to 6 people"
        changed = await client.turn(
            text, understanding(text, "change_booking", party_size="6"), cid
        )
        assert changed["action"]["name"] == "utter_booking_changed"
        assert slots_of(changed["action"])["party_size"] == "6"

        text = "change my booking"
        asked = await client.turn(text, understanding(text, "change_booking"), cid)
        assert asked["action"]["name"] == "utter_ask_change_details"
        text = "make it 30 people"
        rejected = await client.turn(text, understanding(text, "inform", party_size="30"), cid)
        assert rejected["action"]["name"] == "utter_change_rejected"
        text = "ok 9pm then"
        later = await client.turn(text, understanding(text, "inform", time="9pm"), cid)
        assert later["action"]["name"] == "utter_booking_changed"

        body = await client.graphql(
            "query($cid: ID!) { bookings(conversationId: $cid) { id partySize time status } }",
            cid=cid,
        )
        assert body["data"]["bookings"] == [
            {"id": booking_id, "partySize": 6, "time": "21:00", "status": "confirmed"}
        ]

        text = "please cancel my reservation"
        cancelled = await client.turn(text, understanding(text, "cancel_booking"), cid)
        assert cancelled["action"]["name"] == "utter_booking_cancelled"
        text = "cancel it"
        again = await client.turn(text, understanding(text, "cancel_booking"), cid)
        assert again["action"]["name"] == "utter_no_booking_found"
        body = await client.graphql(
            'query($cid: ID!) { bookings(conversationId: $cid, status: "cancelled") { id } }',
            cid=cid,
        )
        assert body["data"]["bookings"] == [{"id": booking_id}]


async def test_action_is_computed_once_and_then_returned_as_stored(dialogue_db_url: str) -> None:
    async with dialogue_client(dialogue_db_url) as client:
        text = "a table for 3 tomorrow at 8pm, japanese, for Linus"
        book = understanding(
            text,
            "book_table",
            party_size="3",
            date="tomorrow",
            time="8pm",
            cuisine="japanese",
            name="Linus",
        )
        said = await client.say(text)
        first = await client.action(said["id"], book)
        assert first["action"]["name"] == "utter_booking_confirmed"
        # The router asks again (a client re-reads the turn next week), even with a
        # different understanding (a newer NLU model): the stored action comes back.
        again = await client.action(said["id"], book)
        other = await client.action(said["id"], understanding(text, "greet"))
        assert again == first and other == first
        body = await client.graphql(
            "query($id: ID!) { turn(id: $id) { status action { name } actions { name } } }",
            id=said["id"],
        )
        assert body["data"]["turn"]["action"]["name"] == "utter_booking_confirmed"
        cid = said["conversation"]["id"]
        async with client.service.engine.connect() as conn:
            count = (
                await conn.execute(
                    sa.select(sa.func.count()).where(bookings.c.conversation_id == cid)
                )
            ).scalar_one()
        assert count == 1  # the booking was written once


async def test_a_turn_whose_understanding_never_comes_is_skipped(dialogue_db_url: str) -> None:
    async with dialogue_client(dialogue_db_url, wait_timeout_s=0.3, poll_interval_s=0.02) as client:
        text = "hello"
        first = await client.turn(text, understanding(text, "greet"))
        cid = await client.conversation_of(first["id"])
        lost = await client.say("a table for 2 please", cid)  # its request dies before NLU
        text = "what are your opening hours?"
        later = await client.turn(text, understanding(text, "ask_hours"), cid)
        assert later["index"] == 2
        assert later["action"]["name"] == "utter_hours"

        # The lost turn was skipped: no policy run, slots untouched.
        text = "a table for 2 please"
        late = await client.action(lost["id"], understanding(text, "book_table", party_size="2"))
        assert await client.status(lost["id"]) == "SKIPPED"
        assert late["action"]["name"] == "action_listen"
        assert slots_of(late["action"])["party_size"] is None
        body = await client.graphql(
            "query($id: ID!) { conversation(id: $id) { activeForm turns { index status } } }",
            id=cid,
        )
        conv = body["data"]["conversation"]
        assert conv["activeForm"] is None
        assert [(t["index"], t["status"]) for t in conv["turns"]] == [
            (0, "DONE"),
            (1, "SKIPPED"),
            (2, "DONE"),
        ]
