"""Where a federated turn's time goes, from the spans the stack exports as JSON lines.

With `CHORUS_TRACES_EXPORTER=jsonl:DIR` every process writes its finished spans to
`DIR/<service>-<pid>.jsonl`. One `say` turn is one trace: the router's server span (the
root) with its `plan` span and one `fetch <subgraph>` span per hop; each subgraph's
server span hangs under the fetch that called it (W3C `traceparent`),
with the database statements (SQLAlchemy spans) and model calls (`model <name>`,
whose attributes split queue wait from forward pass) under it.

Per turn this gives: router planning, the router's own execution (the request span
less planning and fetches), each hop's HTTP cost (the fetch less the subgraph's server
span), and inside each subgraph its database time, model time and the rest (GraphQL
parsing, validation, execution, serialisation, the dialogue policy).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any


def _ms(span: dict[str, Any]) -> float:
    start = datetime.fromisoformat(span["start_time"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(span["end_time"].replace("Z", "+00:00"))
    return (end - start).total_seconds() * 1000


def _start(span: dict[str, Any]) -> str:
    return str(span["start_time"])


def load_spans(directory: Path, skip: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Every span in `directory`, leaving out the first `skip[file]` lines of each file."""
    spans = []
    for path in sorted(directory.glob("*.jsonl")):
        service = path.name.rsplit("-", 1)[0]
        lines = path.read_text().splitlines()[(skip or {}).get(path.name, 0) :]
        for line in lines:
            span = json.loads(line)
            span["service"] = service
            spans.append(span)
    return spans


def _is_db(span: dict[str, Any]) -> bool:
    return "db.system" in span.get("attributes", {}) or "db.system.name" in span.get(
        "attributes", {}
    )


def _is_model(span: dict[str, Any]) -> bool:
    return span["name"].startswith("model ") and "chorus.model.forward_ms" in span.get(
        "attributes", {}
    )


def breakdown(directory: Path, skip: dict[str, int] | None = None, *, turns: int) -> dict[str, Any]:
    """Mean milliseconds per turn of each part, over the traces rooted at the router."""
    spans = load_spans(directory, skip)
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in spans:
        if s.get("parent_id"):
            children[s["parent_id"]].append(s)

    def descendants(span: dict[str, Any]) -> list[dict[str, Any]]:
        out, todo = [], [span]
        while todo:
            for child in children.get(todo.pop()["context"]["span_id"], []):
                out.append(child)
                todo.append(child)
        return out

    roots = [
        s
        for s in spans
        if s["service"] == "router" and not s.get("parent_id") and "batch" not in s["name"]
    ]
    totals: dict[str, float] = defaultdict(float)
    batch_sizes: dict[str, list[int]] = defaultdict(list)
    counted = 0
    for root in roots:
        below = descendants(root)
        fetches = sorted((s for s in below if s["name"].startswith("fetch ")), key=_start)
        if [f["name"] for f in fetches] != [
            "fetch dialogue",
            "fetch nlu",
            "fetch dialogue",
            "fetch generation",
        ]:
            continue  # not a `say` turn (or a partial one)
        counted += 1
        plan = sum(_ms(s) for s in below if s["name"] == "plan")
        totals["router: request"] += _ms(root)
        totals["router: planning"] += plan
        totals["router: execution"] += _ms(root) - plan - sum(_ms(f) for f in fetches)
        for label, fetch in zip(STEPS, fetches, strict=True):
            server = next(
                (
                    c
                    for c in children.get(fetch["context"]["span_id"], [])
                    if c["service"] != "router"
                ),
                None,
            )
            if server is None:
                continue
            totals[f"{label}: fetch"] += _ms(fetch)
            totals[f"{label}: HTTP"] += _ms(fetch) - _ms(server)
            inner = descendants(server)
            db = sum(_ms(s) for s in inner if _is_db(s))
            models = [s for s in inner if _is_model(s)]
            totals[f"{label}: SQL statements"] += db
            for m in models:
                name = m["attributes"]["chorus.model.name"]
                totals[f"{label}: model {name} queue"] += m["attributes"][
                    "chorus.model.queue_wait_ms"
                ]
                totals[f"{label}: model {name} forward"] += m["attributes"][
                    "chorus.model.forward_ms"
                ]
                batch_sizes[name].append(int(m["attributes"]["chorus.model.batch_size"]))
            totals[f"{label}: rest"] += _ms(server) - db - sum(_ms(s) for s in models)
    rows = {k: v / counted for k, v in totals.items()} if counted else {}
    return {
        "traces": counted,
        "turns": turns,
        "rows": rows,
        "batch_sizes": {k: sum(v) / len(v) for k, v in batch_sizes.items()},
    }


#: the fetches of a `say` turn, in plan order, and the monolith's step doing the same work
STEPS = ["dialogue (say)", "nlu", "dialogue (action)", "generation"]
MONOLITH_STEP = {
    "dialogue (say)": "say_db",
    "nlu": "nlu",
    "dialogue (action)": "policy_db",
    "generation": "reply",
}


def render_breakdown(result: dict[str, Any]) -> str:
    """Each step of the federated turn beside the monolith's step doing the same work."""
    rows = result["rows"]
    mono = result.get("monolith_steps")
    per_turn = {k: v * 1000 / mono["turns"] for k, v in mono["seconds"].items()} if mono else {}
    cpu_per_turn = (
        {k: v * 1000 / mono["turns"] for k, v in mono.get("cpu_seconds", {}).items()}
        if mono
        else {}
    )

    def parts(label: str) -> str:
        inside = [
            f"{name.split(': ', 1)[1]} {ms:.1f}"
            for name, ms in rows.items()
            if name.startswith(label + ":") and not name.endswith(": fetch")
        ]
        return ", ".join(inside)

    plan, execution = rows.get("router: planning", 0), rows.get("router: execution", 0)
    lines = [
        f"Where a turn's time goes (c=1, {result['traces']} traced federated turns and "
        f"{mono['turns'] if mono else 0} monolith turns, alternating; load "
        f"{result.get('load')}; mean ms per turn; tracing on in the federated stack):",
        "",
        "| step | federated | of which | monolith |",
        "| --- | ---: | --- | ---: |",
        f"| router's own work | {plan + execution:.1f} | planning {plan:.2f}, "
        f"execution and serialisation {execution:.1f} | - |",
    ]
    for label in STEPS:
        monolith = per_turn.get(MONOLITH_STEP[label])
        lines.append(
            f"| {label} | {rows.get(label + ': fetch', 0):.1f} | {parts(label)} "
            f"| {'-' if monolith is None else f'{monolith:.1f}'} |"
        )
    fed_total = rows.get("router: request", 0)
    lines.append(
        f"| whole turn (router span / monolith steps) | {fed_total:.1f} | | "
        f"{sum(per_turn.values()):.1f} |"
        if per_turn
        else f"| whole turn (router span) | {fed_total:.1f} | | - |"
    )
    if "federated_client_mean_ms" in result:
        lines.append(
            f"| as the client saw it: mean, p50 | {result['federated_client_mean_ms']:.1f}, "
            f"{result['federated_client_p50_ms']:.1f} | | "
            + (
                f"{result['monolith_client_mean_ms']:.1f}, {result['monolith_client_p50_ms']:.1f} |"
                if "monolith_client_mean_ms" in result
                else "- |"
            )
        )
    if cpu_per_turn:
        by_step = ", ".join(f"{k} {v:.1f}" for k, v in cpu_per_turn.items())
        lines += [
            "",
            f"Monolith CPU per turn by step (the whole process, every thread; c=1, so one turn "
            f"at a time): {by_step} = {sum(cpu_per_turn.values()):.1f} ms. Set it beside the "
            "federated processes' CPU per turn at c=1: dialogue = say_db + policy_db, "
            "nlu = nlu, generation = reply.",
        ]
    lines += [
        "",
        "HTTP: the fetch span less the subgraph's server span (both directions, client and "
        "server HTTP work, scheduling); SQL statements: SQLAlchemy's statement spans (not "
        "commits); rest: the subgraph's server span less statements and model calls "
        "(GraphQL, commits, connection hand-offs, the policy, awaits).",
    ]
    return "\n".join(lines)
