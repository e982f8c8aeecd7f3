"""Single-utterance latency of a trained NLU model: ``python -m models.nlu.bench``.

Runs every utterance alone (batch of one, as an idle server sees it) after a
warm-up and prints percentiles. Pin it to one core with ``taskset -c 0`` and
leave ``CHORUS_TORCH_THREADS`` at 1 to measure the one-core figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from models.encoder import configure_torch
from models.nlu.datasets import load_eval_examples
from models.nlu.model import NLUModel


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def measure(model: NLUModel, texts: list[str], warmup: int = 20) -> dict[str, float]:
    for text in texts[:warmup]:
        model.predict([text])
    times = []
    for text in texts:
        began = time.perf_counter()
        model.predict([text])
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 0.5), 2),
        "p90_ms": round(percentile(times, 0.9), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="trained model directory")
    parser.add_argument("--data", required=True, help="utterances: YAML file or SNIPS split")
    parser.add_argument("--limit", type=int, default=700)
    args = parser.parse_args()
    threads = configure_torch()
    model = NLUModel.load(args.model)
    examples, source = load_eval_examples(args.data)
    result = measure(model, [e.text for e in examples[: args.limit]])
    print(json.dumps({"model": args.model, "data": source, "threads": threads, **result}))


if __name__ == "__main__":
    main()
