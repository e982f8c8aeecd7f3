"""The kit's access log: lines batched every `flush_s`, each with its request's time and
trace id, and none lost at a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
import strawberry
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from starlette.testclient import TestClient

from subgraphs.kit import create_app
from subgraphs.kit.access_log import FLUSH_ENV, AccessLog, flush_seconds_from_env


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access() -> Iterator[tuple[logging.Logger, _Records]]:
    logger = logging.getLogger("tests.access")
    handler = _Records()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)


def test_without_a_delay_each_line_is_written_as_its_request_ends(
    access: tuple[logging.Logger, _Records],
) -> None:
    logger, handler = access
    AccessLog(logger, flush_s=0).write("POST", "/graphql", 200, 0.01234)
    [record] = handler.records
    assert record.getMessage() == "POST /graphql 200"
    assert (record.method, record.path, record.status, record.duration_ms) == (
        "POST",
        "/graphql",
        200,
        12.34,
    )


def test_batched_lines_keep_their_order_their_time_and_their_trace_ids(
    access: tuple[logging.Logger, _Records],
) -> None:
    logger, handler = access
    log = AccessLog(logger, flush_s=60)
    context = SpanContext(
        trace_id=0x1234, span_id=0x56, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED)
    )

    async def requests() -> tuple[float, float]:
        before = time.time()
        with trace.use_span(NonRecordingSpan(context)):
            log.write("POST", "/graphql", 200, 0.001)
        log.write("GET", "/graphql", 400, 0.002)
        after = time.time()
        assert handler.records == [] and len(log) == 2  # waiting for the batch
        await asyncio.sleep(0.05)
        log.flush()
        return before, after

    before, after = asyncio.run(requests())
    first, second = handler.records
    assert [r.getMessage() for r in handler.records] == ["POST /graphql 200", "GET /graphql 400"]
    assert before <= first.created <= second.created <= after  # the request's time, not the flush's
    assert first.trace_id == f"{0x1234:032x}" and first.span_id == f"{0x56:016x}"
    assert not hasattr(second, "trace_id")
    assert len(log) == 0


def test_without_a_running_loop_a_line_is_written_at_once(
    access: tuple[logging.Logger, _Records],
) -> None:
    logger, handler = access
    AccessLog(logger, flush_s=60).write("POST", "/graphql", 200, 0.001)
    assert len(handler.records) == 1


def test_a_running_loop_flushes_after_the_delay(access: tuple[logging.Logger, _Records]) -> None:
    logger, handler = access
    log = AccessLog(logger, flush_s=0.02)

    async def requests() -> list[int]:
        seen = []
        log.write("POST", "/graphql", 200, 0.001)
        log.write("POST", "/graphql", 200, 0.001)
        seen.append(len(handler.records))
        await asyncio.sleep(0.1)
        seen.append(len(handler.records))
        return seen

    assert asyncio.run(requests()) == [0, 2]


def test_an_app_served_again_on_a_new_loop_still_flushes(
    access: tuple[logging.Logger, _Records],
) -> None:
    """The first loop ends with its timer pending; the second loop's lines do not wait on it."""
    logger, handler = access
    log = AccessLog(logger, flush_s=0.02)

    async def request() -> None:
        log.write("POST", "/graphql", 200, 0.001)

    async def request_and_wait() -> int:
        log.write("POST", "/graphql", 200, 0.001)
        await asyncio.sleep(0.1)
        return len(handler.records)

    asyncio.run(request())
    assert handler.records == [] and len(log) == 1
    assert asyncio.run(request_and_wait()) == 2


def test_a_full_batch_is_written_at_once(access: tuple[logging.Logger, _Records]) -> None:
    logger, handler = access
    log = AccessLog(logger, flush_s=60, max_pending=3)

    async def requests() -> list[int]:
        seen = []
        for _ in range(3):
            log.write("POST", "/graphql", 200, 0.001)
            seen.append(len(handler.records))
        return seen

    assert asyncio.run(requests()) == [0, 0, 3]
    assert len(log) == 0


def test_nothing_waits_while_the_level_is_off(access: tuple[logging.Logger, _Records]) -> None:
    logger, handler = access
    logger.setLevel(logging.WARNING)
    log = AccessLog(logger, flush_s=60)

    async def request() -> int:
        log.write("POST", "/graphql", 200, 0.001)
        return len(log)

    assert asyncio.run(request()) == 0
    log.flush()
    assert handler.records == []


def test_the_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FLUSH_ENV, raising=False)
    assert flush_seconds_from_env() == 0.5
    monkeypatch.setenv(FLUSH_ENV, "0")
    assert flush_seconds_from_env() == 0
    monkeypatch.setenv(FLUSH_ENV, "soon")
    with pytest.raises(ValueError, match=FLUSH_ENV):
        flush_seconds_from_env()
    monkeypatch.setenv(FLUSH_ENV, "-1")
    with pytest.raises(ValueError, match="must not be negative"):
        flush_seconds_from_env()


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


def test_the_apps_shutdown_writes_the_waiting_lines() -> None:
    """A line may wait up to a minute for its batch; stopping the app writes it."""
    app = create_app(
        strawberry.federation.Schema(query=Query), name="things", access_log_flush_s=60
    )
    handler = _Records()
    logger = logging.getLogger("chorus.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TestClient(app) as client:
            answer = client.post("/graphql", json={"query": "{ hello }"})
            assert answer.json() == {"data": {"hello": "hi"}}
            assert app.state.access_log.flush_s == 60 and handler.records == []
        assert [r.getMessage() for r in handler.records] == ["POST /graphql 200"]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
