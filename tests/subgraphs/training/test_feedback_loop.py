"""The issue's "done when", through the router only, with real processes and the real NLU
model on a small training set: train, watch by subscription, compare with production,
promote (the next `say` and `understand` answer with the new version), roll back; then
three turns corrected with correctTurn are in the next job's data, and its candidate
gets those three sentences right."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from models.nlu.yaml_format import parse_training_yaml
from tests.helpers.feedback_stack import FeedbackStack
from tests.helpers.training_stack import token

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

START = """mutation($input: StartTrainingInput!) {
  startTraining(input: $input) { id status withCorrections } }"""
WATCH = """subscription($id: ID!) { trainingJob(id: $id) {
  status error correctionsUsed progress { epoch step total loss phase validationMetrics }
  candidate { version stage metrics
    comparison { metric candidate production productionVersion allowed } } } }"""
UNDERSTAND = """query($text: String!) {
  understand(text: $text) { intent { name } model { name version } } }"""
SAY = """mutation($c: ID, $text: String!) { say(conversationId: $c, text: $text) {
  id conversation { id } understanding { intent { name confidence } model { version } }
  action { name } } }"""
CORRECT = """mutation($turn: ID!, $intent: String!) {
  correctTurn(turnId: $turn, intent: $intent) { text intent said correctedBy } }"""
WHERE = ["where are you located", "what is your address", "how do i find the restaurant"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedbackStack]:
    running = FeedbackStack(tmp_path_factory.mktemp("feedback"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


async def _subscribe(url: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    ws_url = url.replace("http://", "ws://")
    async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        payload = {"query": WATCH, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 300))
            if message["type"] == "complete":
                return events
            assert message["type"] == "next" and "errors" not in message["payload"], message
            events.append(message["payload"]["data"]["trainingJob"])


def _train(stack: FeedbackStack, **input: Any) -> tuple[str, list[dict[str, Any]]]:
    started = stack.data(START, token(), input={"model": "nlu", **input})["startTraining"]
    events = asyncio.run(_subscribe(stack.router_url, {"id": started["id"]}))
    assert events[-1]["status"] == "SUCCEEDED", (events[-1], stack.log("training"))
    return started["id"], events


def _eventually(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.2)


def _serving(stack: FeedbackStack, text: str) -> dict[str, Any]:
    result: dict[str, Any] = stack.data(UNDERSTAND, text=text)["understand"]
    return result


def test_train_watch_compare_promote_and_roll_back_through_the_router(
    stack: FeedbackStack,
) -> None:
    first = _serving(stack, "hello there")["model"]
    assert first["name"] == "nlu"

    _, events = _train(stack, params={"epochs": 3, "batch_size": 8})
    epochs = [e["progress"]["epoch"] for e in events if e["progress"]["epoch"]]
    assert epochs == sorted(epochs) and max(epochs) == 3, epochs
    steps = [e["progress"]["step"] for e in events if e["progress"]["step"]]
    assert len(set(steps)) >= 3, steps  # it moved while we watched
    assert any(e["progress"]["validationMetrics"] for e in events)
    assert {e["status"] for e in events[:-1]} <= {"QUEUED", "RUNNING"}
    candidate = events[-1]["candidate"]
    assert candidate["stage"] == "candidate"
    comparison = candidate["comparison"]  # the candidate's metric next to production's
    assert comparison["metric"] == "intent_accuracy"
    assert comparison["productionVersion"] == first["version"]
    assert isinstance(comparison["candidate"], float) and isinstance(
        comparison["production"], float
    )
    assert 0 <= candidate["metrics"]["intent_accuracy"] <= 1  # its training metrics

    promote = 'mutation($v: String!) { promoteModel(name: "nlu", version: $v) { version stage } }'
    promoted = stack.post(promote, token(), v=candidate["version"])
    if "errors" in promoted:  # the gate refused a worse candidate: the user forces it
        assert promoted["errors"][0]["extensions"]["code"] == "PROMOTION_REFUSED"
        promote = promote.replace("version: $v)", "version: $v, force: true)")
        promoted = stack.post(promote, token(), v=candidate["version"])
    assert promoted["data"]["promoteModel"] == {
        "version": candidate["version"],
        "stage": "production",
    }
    _eventually(lambda: _serving(stack, "hello")["model"]["version"] == candidate["version"])
    turn = stack.data(SAY, text="hi")["say"]
    assert turn["understanding"]["model"]["version"] == candidate["version"]

    rolled = stack.data('mutation { rollbackModel(name: "nlu") { version stage } }', token())
    assert rolled["rollbackModel"] == {"version": first["version"], "stage": "production"}
    _eventually(lambda: _serving(stack, "hello")["model"]["version"] == first["version"])
    turn = stack.data(SAY, text="hi")["say"]
    assert turn["understanding"]["model"]["version"] == first["version"]


def test_three_corrected_turns_train_the_next_candidate(stack: FeedbackStack) -> None:
    conversation = None
    turns = []
    for text in WHERE:
        turn = stack.data(SAY, c=conversation, text=text)["say"]
        conversation = turn["conversation"]["id"]
        assert turn["understanding"]["intent"]["name"] != "ask_location"  # it cannot know it
        turns.append(turn)

    for turn, text in zip(turns, WHERE, strict=True):
        corrected = stack.data(CORRECT, token(), turn=turn["id"], intent="ask_location")
        record = corrected["correctTurn"]
        assert record["text"] == text and record["intent"] == "ask_location"
        assert record["correctedBy"] == "ops"  # the token's subject, through the router
        assert record["said"]["intent"] == turn["understanding"]["intent"]

    job_id, events = _train(
        stack, corrections=True, params={"epochs": 12, "batch_size": 8, "holdout": 0.0}
    )
    assert events[-1]["correctionsUsed"] == 3
    training_data = stack.data_dir / "training" / job_id / "training_data.yml"
    examples = parse_training_yaml(training_data.read_text()).examples
    assert [e.text for e in examples if e.intent == "ask_location"] == WHERE
    assert yaml.safe_load(training_data.read_text())["nlu"][-1]["intent"] == "ask_location"
    shipped = Path(stack.folder / "small_nlu.yml").read_text()
    assert "ask_location" not in shipped  # the shipped data is left as it was

    candidate = events[-1]["candidate"]
    assert candidate["comparison"]["allowed"] is True, candidate  # production cannot say it
    stack.data(
        'mutation($v: String!) { promoteModel(name: "nlu", version: $v) { version } }',
        token(),
        v=candidate["version"],
    )
    _eventually(lambda: _serving(stack, WHERE[0])["model"]["version"] == candidate["version"])
    assert [_serving(stack, text)["intent"]["name"] for text in WHERE] == ["ask_location"] * 3
