"""Drive one gateway with wrk: a fresh `$id` per request, every body checked.

wrk (Debian's `wrk` package) runs one thread pinned to its own CPU. The Lua
script builds each request body from a counter (seeded per cell, so no two
requests of a run share a variable value and no cache or in-flight
de-duplication can help), counts every response that is not a 200 carrying
the query's marker (a value only the last subgraph hop supplies) and no
`"errors"` as an error, and prints one JSON line with the counts and latency
percentiles.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

__all__ = ["LoadResult", "require_wrk", "run_wrk"]

_SCRIPT = r"""
local counter = 0
local prefix = %(prefix)s
local suffix = %(suffix)s
local path = %(path)s
local marker = %(marker)s
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
local threads = {}
bad = 0
sample = ""

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counter = tonumber(args[1]) or 0
end

function request()
  counter = counter + 1
  return wrk.format("POST", path, headers, prefix .. counter .. suffix)
end

function response(status, hdrs, body)
  if status ~= 200 or not string.find(body, marker, 1, true)
      or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local b, s = 0, ""
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    if s == "" then s = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"bad":%%d,"p50_us":%%d,"p99_us":%%d,"mean_us":%%.1f,' ..
    '"sample":"%%s"}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, b,
    latency:percentile(50.0), latency:percentile(99.0), latency.mean,
    string.gsub(s, '[%%c"\\]', "?")))
end
"""


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    #: the first bad response (status and the start of its body), "" when none
    sample: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return wrk


def run_wrk(
    url: str,
    query: str,
    *,
    marker: str,
    seed: int,
    connections: int,
    seconds: float,
    cpu: str,
) -> LoadResult:
    """POST `query` with `{"id": "<seed+n>"}` to `url` for `seconds` over `connections`.

    A response counts as an error unless it is a 200 containing `marker` and no `"errors"`.
    """
    base, _, path = url.partition("//")[2].partition("/")
    body_prefix = json.dumps({"query": query, "variables": {"id": ""}})
    prefix, suffix = body_prefix[: body_prefix.rindex('""') + 1], '"}}'
    script = _SCRIPT % {
        "prefix": _lua_string(prefix),
        "suffix": _lua_string(suffix),
        "path": _lua_string("/" + path),
        "marker": _lua_string(marker),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-router-") as f:
        f.write(script)
        f.flush()
        argv = [
            "taskset",
            "-c",
            cpu,
            require_wrk(),
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            f.name,
            f"http://{base}",
            "--",
            str(seed),
        ]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith('{"requests"')), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    r = json.loads(line)
    sockets = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return LoadResult(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        errors=sockets + r["bad"],
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        mean_ms=r["mean_us"] / 1000,
        sample=r["sample"],
    )
