"""The pipeline bench's time breakdown folds exported spans into per-step figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.trace_breakdown import breakdown, render_breakdown

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _span(
    name: str, span_id: str, parent: str | None, start_ms: float, end_ms: float, **attributes: Any
) -> dict[str, Any]:
    def at(ms: float) -> str:
        return (T0 + timedelta(milliseconds=ms)).isoformat().replace("+00:00", "Z")

    return {
        "name": name,
        "context": {"trace_id": "0x1", "span_id": span_id},
        "kind": "SpanKind.INTERNAL",
        "parent_id": parent,
        "start_time": at(start_ms),
        "end_time": at(end_ms),
        "attributes": attributes,
    }


def _write(directory: Path, service: str, spans: list[dict[str, Any]]) -> None:
    with (directory / f"{service}-1.jsonl").open("a") as out:
        out.writelines(json.dumps(s) + "\n" for s in spans)


def test_one_turn_splits_into_router_hops_sql_models_and_rest(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "router",
        [
            _span("POST /graphql", "r", None, 0, 100),
            _span("plan", "p", "r", 0, 1),
            _span("fetch dialogue", "f1", "r", 2, 12),
            _span("fetch nlu", "f2", "r", 12, 32),
            _span("fetch dialogue", "f3", "r", 32, 52),
            _span("fetch generation", "f4", "r", 52, 97),
        ],
    )
    _write(
        tmp_path,
        "dialogue",
        [
            _span("POST /graphql", "d1", "f1", 3, 11),
            _span("INSERT", "s1", "d1", 4, 7, **{"db.system": "sqlite"}),
            _span("POST /graphql", "d2", "f3", 33, 51),
            _span("UPDATE", "s2", "d2", 34, 44, **{"db.system": "sqlite"}),
        ],
    )
    model = {"chorus.model.name": "nlu", "chorus.model.version": "1", "chorus.model.batch_size": 3}
    _write(
        tmp_path,
        "nlu",
        [
            _span("POST /graphql", "n", "f2", 13, 31),
            _span(
                "model nlu",
                "m",
                "n",
                14,
                30,
                **model,
                **{"chorus.model.queue_wait_ms": 1.0, "chorus.model.forward_ms": 15.0},
            ),
            _span("model nlu batch", "b", None, 15, 30, **model),  # a root, not a turn
        ],
    )
    _write(tmp_path, "generation", [_span("POST /graphql", "g", "f4", 53, 95)])

    result = breakdown(tmp_path, turns=1)

    rows = result["rows"]
    assert result["traces"] == 1
    assert rows["router: request"] == 100
    assert rows["router: planning"] == 1
    assert rows["router: execution"] == 100 - 1 - (10 + 20 + 20 + 45)
    assert rows["dialogue (say): HTTP"] == 2
    assert rows["dialogue (say): SQL statements"] == 3
    assert rows["dialogue (say): rest"] == 8 - 3
    assert rows["nlu: model nlu queue"] == 1 and rows["nlu: model nlu forward"] == 15
    assert rows["nlu: rest"] == 18 - 16
    assert rows["dialogue (action): SQL statements"] == 10
    assert rows["generation: HTTP"] == 3
    assert result["batch_sizes"] == {"nlu": 3}
    table = render_breakdown(
        {**result, "monolith_steps": {"turns": 2, "seconds": {"say_db": 0.004, "nlu": 0.03}}}
    )
    assert "| dialogue (say) | 10.0 | HTTP 2.0, SQL statements 3.0, rest 5.0 | 2.0 |" in table
    assert "| nlu | 20.0 |" in table and "| 15.0 |" in table


def test_traces_that_are_not_say_turns_are_left_out(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "router",
        [_span("POST /graphql", "r", None, 0, 10), _span("fetch dialogue", "f", "r", 1, 9)],
    )
    assert breakdown(tmp_path, turns=0)["traces"] == 0
