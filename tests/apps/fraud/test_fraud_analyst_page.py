"""The analyst page (/fraud/ on the router) in Debian's headless Chromium, against the four fraud
subgraphs and a router on real servers: open alerts listed, a new alert arriving live by the
`alertRaised` subscription, the transaction's features, score and reasons, and a verdict
stored by `resolveAlert`. The screenshot is saved under artifacts/browser/ (or
$CHORUS_ARTIFACTS)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from router.settings import load_router_settings
from tests.helpers.fraud import tx_input
from tests.helpers.fraud_stack import ROOT, FraudStack, fraud_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("CHORUS_ARTIFACTS", ROOT / "artifacts")) / "browser"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[FraudStack]:
    settings = load_router_settings(ROOT / "router.yaml")  # as `chorus dev` runs it
    static = {"/fraud": ROOT / "chorus" / "web" / "fraud"}
    async with fraud_stack(tmp_path, settings, static=static) as stack:
        yield stack


async def _burst(stack: FraudStack, card: str, start: datetime) -> str:
    """Three electronics payments within a minute by REST; the third raises an alert."""
    alert = None
    async with httpx.AsyncClient(base_url=stack.base, timeout=30) as client:
        for i in range(3):
            body = tx_input(
                f"{card}-{i}",
                cardId=card,
                amount=2.0 + i,
                merchant=f"shop-{card}-{i}",
                merchantCategory="electronics",
                timestamp=(start + timedelta(seconds=10 * i)).isoformat(),
            )
            response = await client.post("/v1/transactions", json=body)
            assert response.status_code == 201, response.text
            alert = response.json()["alert"]
    assert alert is not None
    return str(alert["id"])


async def test_the_analyst_sees_alerts_live_and_labels_one(stack: FraudStack) -> None:
    from playwright.async_api import async_playwright

    earlier = await _burst(stack, "card-a", T0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{stack.base}/fraud/")
            await page.wait_for_selector(f'tr[data-id="{earlier}"]')  # from alerts(status: OPEN)
            await page.wait_for_selector('#live[data-state="live"]')
            await asyncio.sleep(0.5)  # the router's subscription to alerting is open

            raised = await _burst(stack, "card-b", T0 + timedelta(hours=2))
            row = page.locator(f'tr[data-id="{raised}"]')
            await row.wait_for(timeout=10_000)  # pushed by alertRaised, no reload
            assert await page.locator("#alerts tbody tr").count() == 2
            assert await row.locator('[data-testid="status"]').inner_text() == "OPEN"

            await row.click()
            await page.wait_for_selector('[data-testid="score"]')
            score = float(await page.inner_text('[data-testid="score"]'))
            # the velocity model at two earlier payments in a minute, over electronics' 0.3
            assert 0.3 < score < 0.5
            assert "countLastMinute" in await page.inner_text('[data-testid="reasons"]')
            features = await page.inner_text('[data-testid="features"]')
            assert "countLastMinute\t2" in features and "firstAtMerchant\ttrue" in features
            assert await page.inner_text('[data-testid="amount"]') == "4.00 EUR"

            await page.click("#fraud")
            status = row.locator('[data-testid="status"]')
            await page.wait_for_function(
                "el => el.textContent === 'FRAUD'", arg=await status.element_handle()
            )
            assert await page.is_disabled("#legitimate")
            await page.screenshot(path=str(ARTIFACTS / "fraud-analyst.png"), full_page=True)
            assert errors == []
        finally:
            await browser.close()
    async with httpx.AsyncClient(base_url=stack.base) as client:
        labelled = (await client.get("/v1/alerts", params={"status": "FRAUD"})).json()
        still_open = (await client.get("/v1/alerts", params={"status": "OPEN"})).json()
    assert [a["id"] for a in labelled] == [raised]
    assert [a["id"] for a in still_open] == [earlier]
