"""The chat page's "correct this" control in Debian's headless Chromium: a turn's
understanding corrected on the page is recorded by correctTurn through the router."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.feedback_stack import FeedbackStack
from tests.helpers.training_stack import token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (.ci/run installs it)",
    ),
]

CORRECTIONS = """query($turn: ID!) { corrections(turnId: $turn) {
  text intent entities { type value start end } said correctedBy } }"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedbackStack]:
    running = FeedbackStack(tmp_path_factory.mktemp("chat"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _send(page, text: str, nth: int) -> str:  # type: ignore[no-untyped-def]
    """Send a message; returns the turn id the page's say mutation got back."""
    with page.expect_response(
        lambda r: r.url.endswith("/graphql") and "mutation Say" in (r.request.post_data or "")
    ) as answered:
        page.fill("#text", text)
        page.click("#composer button[type=submit]")
    turn_id = str(answered.value.json()["data"]["say"]["id"])
    page.wait_for_selector(f"#messages li.bot:nth-of-type({2 * nth})[data-done=true]")
    return turn_id


def test_correct_this_records_the_turns_intent_and_entities(stack: FeedbackStack, browser) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(stack.router_url.removesuffix("/graphql") + "/chat/")

    turn = _send(page, "where are you located", 1)
    said = page.inner_text("[data-testid=intent]")
    assert page.is_hidden("#correction")
    page.click("[data-testid=correct-open]")
    assert page.input_value("#correct-intent") == said  # it starts from what the model said
    page.fill("#correct-intent", "ask_location")
    page.fill("#correct-entities", "")
    page.click("#correction button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=correction-status]').dataset.saved"
    )
    assert page.inner_text("[data-testid=correction-status]") == (
        "Saved: ask_location (by anonymous)"
    )
    assert page.is_hidden("#correction")
    (recorded,) = stack.data(CORRECTIONS, token(), turn=turn)["corrections"]
    assert recorded["text"] == "where are you located" and recorded["intent"] == "ask_location"
    assert recorded["said"]["intent"]["name"] == said and recorded["entities"] == []
    assert recorded["correctedBy"] == "anonymous"  # the page sends no token

    # entities as type=covered text become spans of the message
    turn = _send(page, "a table for five please", 2)
    page.click("[data-testid=correct-open]")
    page.fill("#correct-intent", "book_table")
    page.fill("#correct-entities", "party_size=five")
    page.click("#correction button[type=submit]")
    page.wait_for_selector("[data-testid=correction-status]:has-text('Saved: book_table')")
    (recorded,) = stack.data(CORRECTIONS, token(), turn=turn)["corrections"]
    assert recorded["entities"] == [{"type": "party_size", "value": "five", "start": 12, "end": 16}]

    # a span that is not in the message is refused on the page, nothing recorded
    page.click("[data-testid=correct-open]")
    page.fill("#correct-entities", "time=7pm")
    page.click("#correction button[type=submit]")
    assert "Not saved" in page.inner_text("[data-testid=correction-status]")
    assert len(stack.data(CORRECTIONS, token(), turn=turn)["corrections"]) == 1
    # users' words: reading corrections needs the models:write scope
    (refused,) = stack.post(CORRECTIONS, turn=turn)["errors"]
    assert refused["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert errors == []
