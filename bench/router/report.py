"""Turn the bench's measurements into a markdown report and a targets check."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.router.load import LoadResult

__all__ = ["Cell", "Report", "combine", "render"]


@dataclass(frozen=True)
class Cell:
    gateway: str
    query: str
    connections: int
    load: LoadResult
    #: CPU seconds the gateway's processes spent during the measured interval
    gateway_cpu_s: float
    subgraphs_cpu_s: float
    #: None when the gateway is not in the cell (the direct-to-subgraph baseline)
    correct: bool | None = None

    def per_request_ms(self, cpu_s: float) -> float:
        return cpu_s * 1000 / self.load.requests if self.load.requests else float("nan")

    @property
    def gateway_ms(self) -> float:
        return self.per_request_ms(self.gateway_cpu_s)

    @property
    def subgraphs_ms(self) -> float:
        return self.per_request_ms(self.subgraphs_cpu_s)


@dataclass
class Report:
    started: str
    command: str
    machine: str
    load_before: str
    load_after: str
    seconds_per_cell: float
    rounds: int
    connections: int
    versions: dict[str, str]
    titles: dict[str, str]
    cells: list[Cell]
    latency: list[Cell]


def combine(cells: list[Cell]) -> Cell:
    """One cell from several rounds: counts and CPU add up, latency percentiles are medians."""
    if len(cells) == 1:
        return cells[0]
    loads = [c.load for c in cells]
    requests = sum(x.requests for x in loads)
    load = LoadResult(
        requests=requests,
        seconds=sum(x.seconds for x in loads),
        errors=sum(x.errors for x in loads),
        p50_ms=statistics.median(x.p50_ms for x in loads),
        p99_ms=statistics.median(x.p99_ms for x in loads),
        mean_ms=sum(x.mean_ms * x.requests for x in loads) / requests if requests else 0.0,
        sample=next((x.sample for x in loads if x.sample), ""),
    )
    first = cells[0]
    return Cell(
        first.gateway,
        first.query,
        first.connections,
        load,
        sum(c.gateway_cpu_s for c in cells),
        sum(c.subgraphs_cpu_s for c in cells),
        first.correct,
    )


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def _find(cells: list[Cell], gateway: str, query: str) -> Cell | None:
    return next((c for c in cells if c.gateway == gateway and c.query == query), None)


def render(r: Report) -> str:
    t = r.titles
    out = [
        f"Run {r.started} on {r.machine}; load average before {r.load_before}, "
        f"after {r.load_after}.",
        f"`{r.command}`: {r.rounds} round(s) × {r.seconds_per_cell:g} s per cell "
        f"(gateways interleaved), {r.connections} connections, wrk on one CPU, gateway and "
        "subgraphs on the other. p50/p99: median over the rounds.",
        "",
        "| query | gateway | RPS | p50 ms | p99 ms | errors | gateway CPU ms/req "
        "| subgraphs CPU ms/req |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in r.cells:
        wrong = "" if c.correct in (True, None) else " (WRONG ANSWER)"
        out.append(
            f"| {t[c.query]} | {t[c.gateway]}{wrong} | {c.load.rps:.0f} | "
            f"{_fmt(c.load.p50_ms)} | {_fmt(c.load.p99_ms)} | {c.load.errors} | "
            f"{_fmt(c.gateway_ms)} | {_fmt(c.subgraphs_ms)} |"
        )
    if r.latency:
        direct = _find(r.latency, "direct", "pass")
        out += [
            "",
            "Pass-through at concurrency 1 (added latency = gateway p50 − direct p50):",
            "",
            "| target | RPS | p50 ms | p99 ms | errors | added p50 ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for c in r.latency:
            added = (
                "" if direct is None or c is direct else _fmt(c.load.p50_ms - direct.load.p50_ms)
            )
            out.append(
                f"| {t[c.gateway]} | {c.load.rps:.0f} | {_fmt(c.load.p50_ms)} | "
                f"{_fmt(c.load.p99_ms)} | {c.load.errors} | {added} |"
            )
    out += ["", *targets(r)]
    out += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in r.versions.items())]
    return "\n".join(out)


def targets(r: Report) -> list[str]:
    """Issue 11's targets, each marked met / NOT met (or skipped when not measured)."""
    lines = ["Targets (issue 11):"]

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"

    join = _find(r.cells, "chorus", "join2")
    if join is not None:
        lines.append(
            f"- join2 router CPU {_fmt(join.gateway_ms)} ms/req ≤ 1.0: "
            f"{mark(join.gateway_ms <= 1.0)}"
        )
        for peer in ("apollo", "hive"):
            p = _find(r.cells, peer, "join2")
            if p is not None and p.load.rps:
                ratio = join.load.rps / p.load.rps
                lines.append(
                    f"- join2 throughput {ratio:.2f}× {r.titles[peer]}'s ≥ 4×: {mark(ratio >= 4)}"
                )
    pt = _find(r.cells, "chorus", "pass")
    if pt is not None:
        lines.append(
            f"- pass-through router CPU {_fmt(pt.gateway_ms)} ms/req ≤ 0.5: "
            f"{mark(pt.gateway_ms <= 0.5)}"
        )
    d, c1 = _find(r.latency, "direct", "pass"), _find(r.latency, "chorus", "pass")
    if d is not None and c1 is not None:
        added = c1.load.p50_ms - d.load.p50_ms
        lines.append(f"- pass-through added p50 {_fmt(added)} ms ≤ 1 ms: {mark(added <= 1.0)}")
    for q in dict.fromkeys(c.query for c in r.cells):
        ours, base = _find(r.cells, "chorus", q), _find(r.cells, "baseline", q)
        if ours is None or base is None or not base.load.rps or not base.gateway_ms:
            continue
        cpu = ours.gateway_ms / base.gateway_ms - 1
        rps = ours.load.rps / base.load.rps - 1
        lines.append(
            f"- {q} vs {r.titles['baseline']}: router CPU {cpu:+.1%}, RPS {rps:+.1%} "
            f"(neither more than 5 % worse: {mark(cpu <= 0.05 and rps >= -0.05)})"
        )
    errors = sum(c.load.errors for c in r.cells + r.latency)
    wrong = [c for c in r.cells if c.correct is False]
    lines.append(
        f"- zero errors: {mark(errors == 0 and not wrong)} ({errors} errors, "
        f"{len(wrong)} wrong answers)"
    )
    return lines
