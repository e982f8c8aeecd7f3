"""Serving latency while a job trains: ``python -m bench.training_interference``.

One run, one machine: a throw-away stack (SQLite, a temporary data dir) with the NLU
subgraph serving a version trained for one epoch on the concierge data and the training
subgraph with its embedded engine. The client sends `understand` one request at a time
straight to the NLU subgraph (no router) and records each latency:

1. idle: nothing else of ours runs;
2. training: a `startTraining` NLU job (several epochs on the same data) runs in the
   training subgraph's worker process; measured once its first step is done (the
   worker has loaded torch and the encoder), until the duration is up;
3. idle again, after the job is cancelled: drift in the machine's load shows up here.

The 1-minute load average is printed with each phase (other people's work shares
these machines). Every process it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.router.procs import wait_ready

REPO = Path(__file__).resolve().parents[1]
QUERY = "query($text: String!) { understand(text: $text) { intent { name } model { version } } }"
TEXTS = [
    "hi there",
    "book a table for four tomorrow at 7pm",
    "what time do you open on sunday",
    "cancel my booking please",
    "where are you located",
]


def _post(url: str, query: str, **variables: Any) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
    if "errors" in result:
        raise RuntimeError(result["errors"])
    return result["data"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(url: str, seconds: float) -> dict[str, float]:
    """Sequential `understand` requests for `seconds`: latency percentiles in ms."""
    latencies = []
    load_before = os.getloadavg()[0]
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        started = time.perf_counter()
        _post(url, QUERY, text=TEXTS[i % len(TEXTS)])
        latencies.append((time.perf_counter() - started) * 1000)
        i += 1
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50": statistics.median(latencies),
        "p90": latencies[int(0.9 * (len(latencies) - 1))],
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of the training job")
    parser.add_argument(
        "--train-threads", type=int, default=None, help="torch threads of the job (default: all)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the stack's folder and log")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="chorus-interference-"))
    nlu_port, training_port = _free_port(), _free_port()
    config = folder / "chorus.yaml"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(folder / "data"),
                "subgraphs": {
                    "nlu": {
                        "app": "subgraphs.nlu.app:create_app",
                        "port": nlu_port,
                        "models": {
                            "nlu": {
                                "trainer": "models.nlu.trainer:TRAINER",
                                "data": "apps.concierge:data/nlu.yml",
                            }
                        },
                    },
                    "training": {"app": "subgraphs.training.app:create_app", "port": training_port},
                },
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        CHORUS_TORCH_THREADS="1",  # the serving model: one thread, as deployed per core
        CHORUS_LOG_FORMAT="text",
    )
    chorus = [sys.executable, "-m", "chorus"]
    log = (folder / "stack.log").open("ab")

    def run(*argv: str) -> None:
        subprocess.run([*chorus, *argv], env=env, stdout=log, stderr=log, check=True)

    processes: list[subprocess.Popen[bytes]] = []
    try:
        run("migrate", "--config", str(config))
        run("train", "--config", str(config), "nlu", "--epochs", "1")
        for name, port in (("nlu", nlu_port), ("training", training_port)):
            process = subprocess.Popen(
                [*chorus, "subgraph", name, "--config", str(config)],
                env=env,
                stdout=log,
                stderr=log,
            )
            processes.append(process)
            wait_ready(f"http://127.0.0.1:{port}/ready", process)
        nlu = f"http://127.0.0.1:{nlu_port}/graphql"
        training = f"http://127.0.0.1:{training_port}/graphql"
        measure(nlu, 3)  # warm-up
        results = {"idle": measure(nlu, args.seconds)}

        params: dict[str, Any] = {"epochs": args.epochs}
        if args.train_threads:
            params["threads"] = args.train_threads
        job = _post(
            training,
            'mutation($p: JSON) { startTraining(input: {model: "nlu", params: $p}) { id } }',
            p=params,
        )["startTraining"]["id"]
        watch = "query($id: ID!) { trainingJob(id: $id) { status progress { step } } }"
        while True:
            state = _post(training, watch, id=job)["trainingJob"]
            if state["status"] not in ("QUEUED", "RUNNING"):
                raise RuntimeError(f"the job ended before the measurement: {state}")
            if (state["progress"]["step"] or 0) >= 1:
                break
            time.sleep(0.5)
        results["training"] = measure(nlu, args.seconds)
        state = _post(training, watch, id=job)["trainingJob"]
        still = state["status"] == "RUNNING"
        _post(training, "mutation($id: ID!) { cancelTraining(id: $id) { id } }", id=job)
        time.sleep(3)
        results["idle again"] = measure(nlu, args.seconds)
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        log.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"cores: {os.cpu_count()}, job still running at the end of its phase: {still}")
    print("| phase | requests | p50 ms | p90 ms | p99 ms | load avg (1 min) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for phase, r in results.items():
        print(
            f"| {phase} | {r['requests']} | {r['p50']:.1f} | {r['p90']:.1f} | {r['p99']:.1f} "
            f"| {r['load_before']:.1f} → {r['load_after']:.1f} |"
        )


if __name__ == "__main__":
    main()
