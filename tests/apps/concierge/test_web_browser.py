"""The chat page and GraphiQL in a real browser (Debian's headless Chromium, no download).

Screenshots are saved under artifacts/browser/ (or $CHORUS_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.pipeline_stack import REPO, Stack, start_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("CHORUS_ARTIFACTS", REPO / "artifacts")) / "browser"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    # the first run of a fresh checkout trains the default models inside the fixture
    pytest.mark.timeout(1800),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (.ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = start_stack(tmp_path_factory.mktemp("web"))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_chat_page_books_a_table_with_streamed_replies(web_stack: Stack, browser) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = web_stack.url.removesuffix("/graphql")
    page.goto(f"{base}/chat/")
    messages = [
        "I want to book a table for 4 people tomorrow",
        "at 7pm please",
        "italian",
        "my name is Ana",
    ]
    for i, text in enumerate(messages, start=1):
        page.fill("#text", text)
        page.click("button[type=submit]")
        page.wait_for_selector(
            f"#messages li.bot:nth-of-type({2 * i})[data-done=true]", timeout=60_000
        )
    bot_replies = page.locator("#messages li.bot").all_inner_texts()
    assert len(bot_replies) == 4
    assert "Ana" in bot_replies[-1], bot_replies
    assert page.inner_text("[data-testid=intent]") == "inform"
    assert page.inner_text("[data-testid=action]") == "utter_booking_confirmed"
    # the mutation's plan (the reply itself streams over the subscription afterwards)
    plan = page.inner_text("#plan").split()
    assert [p for p in plan if p.startswith("Fetch")] == [
        "Fetch(dialogue)",
        "Fetch(nlu)",
        "Fetch(dialogue)",
    ]
    assert page.inner_text("#status") == ""
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert errors == []


def test_graphiql_loads_offline_and_runs_the_default_query(web_stack: Stack, browser) -> None:
    page = browser.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda req: outside.append(req.url) if "127.0.0.1" not in req.url else None,
    )
    page.goto(web_stack.url)
    page.wait_for_selector(".graphiql-container", timeout=30_000)
    assert "mutation Say" in page.inner_text(".graphiql-query-editor")
    with page.expect_response(
        lambda r: r.url == web_stack.url and r.request.method == "POST", timeout=60_000
    ) as answered:
        page.click(".graphiql-execute-button")
    body = answered.value.json()
    turn = body["data"]["say"]
    assert turn["understanding"]["intent"]["name"] == "book_table"
    assert turn["reply"]["text"]
    page.wait_for_function(
        "() => document.querySelector('.result-window')?.innerText.includes('understanding')",
        timeout=30_000,
    )
    page.screenshot(path=str(ARTIFACTS / "graphiql.png"), full_page=True)
    assert outside == [], f"GraphiQL reached outside the machine: {outside}"
