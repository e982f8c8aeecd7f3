"""Which subgraph HTTP client costs the router least CPU per call?

    python -m bench.router.clients [--requests 20000] [--concurrency 16]

Starts the bench subgraphs on one CPU, then in this process (pinned to the
other, under uvloop like the router) POSTs the pass-through subgraph query
with each client and reports the client process's CPU time per call:
httpx (the router's former transport), aiohttp (when importable) and
`router.subgraph_call.http1` (the router's transport now).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

from bench.router.gateways import REPO
from bench.router.procs import Proc, port_free

__all__ = ["main"]

Post = Callable[[bytes], Awaitable[bytes]]


async def _httpx(url: str) -> tuple[Post, Callable[[], Awaitable[None]]]:
    import httpx

    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=100))
    headers = {"content-type": "application/json"}

    async def post(body: bytes) -> bytes:
        r = await client.post(url, content=body, headers=headers)
        return r.content

    return post, client.aclose


async def _aiohttp(url: str) -> tuple[Post, Callable[[], Awaitable[None]]]:
    import aiohttp

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    headers = {"content-type": "application/json"}

    async def post(body: bytes) -> bytes:
        async with session.post(url, data=body, headers=headers) as r:
            return await r.read()

    return post, session.close


async def _http1(url: str) -> tuple[Post, Callable[[], Awaitable[None]]]:
    from router.subgraph_call.http1 import ConnectionPool

    pool = ConnectionPool(url, max_connections=100)

    async def post(body: bytes) -> bytes:
        return (await pool.post(body)).body

    return post, pool.aclose


CLIENTS = {"httpx": _httpx, "aiohttp": _aiohttp, "http1": _http1}


async def _measure(name: str, url: str, requests: int, concurrency: int) -> str:
    try:
        post, close = await CLIENTS[name](url)
    except ImportError:
        return f"{name:8} not installed"
    counter = iter(range(10**9))

    async def worker(n: int) -> None:
        for _ in range(n):
            i = next(counter)
            body = b'{"query":"{ user(id: \\"%d\\") { id name } }"}' % i
            out = await post(body)
            if b'"name":"User ' not in out:
                raise RuntimeError(f"{name}: bad answer {out[:200]!r}")

    await worker(200)  # connect and warm up
    per = requests // concurrency
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(per) for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    await close()
    n = per * concurrency
    return f"{name:8} {cpu * 1e6 / n:7.1f} µs CPU/call  {n / wall:8.0f} calls/s"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.router.clients", description=__doc__)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--port", type=int, default=5710)
    p.add_argument("--client-cpu", default="0")
    p.add_argument("--server-cpu", default="1")
    a = p.parse_args(argv)
    if not port_free(a.port):
        raise SystemExit(f"port {a.port} is in use")
    os.sched_setaffinity(0, {int(c) for c in a.client_cpu.split(",")})
    log = Path(f"/tmp/bench-router-clients-{os.getpid()}.log")
    server = Proc(
        "subgraphs",
        [sys.executable, "-m", "bench.router.subgraphs", "--port", str(a.port)],
        cpus=a.server_cpu,
        log=log,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{a.port}/users"
    try:
        server.wait_ready(url, b'{"query":"{ user(id: \\"1\\") { id } }"}')
        for name in CLIENTS:
            print(uvloop.run(_measure(name, url, a.requests, a.concurrency)), flush=True)
    finally:
        server.stop()
        log.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
