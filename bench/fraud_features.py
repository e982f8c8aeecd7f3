"""The features store alone, as a card's history grows: CPU per transaction, every 10 batches.

    .venv/bin/python -m bench.fraud_features [--batches 60] [--database-url URL]

Calls `FeatureStore.features_for` directly (no HTTP, no GraphQL) with batches of
1,000 transactions over 2,000 cards, time moving forward a second per 10 (the
traffic of `bench.fraud`), and prints the process CPU milliseconds per transaction
of each group of 10 batches. A store whose cost does not depend on the history
prints a flat column; the database's own index growth is what is left.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apps.fraud.features.compute import CardEvent
from apps.fraud.features.store import FeatureStore


def _batch(rng: random.Random, first: int, size: int) -> list[CardEvent]:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    return [
        CardEvent(
            str(uuid.uuid4()),
            f"card-{rng.randrange(2000)}",
            start + timedelta(seconds=n / 10),
            round(rng.lognormvariate(3.3, 0.8), 2),
            f"merchant-{rng.randrange(300)}",
            "DE" if rng.random() < 0.95 else "FR",
        )
        for n in range(first, first + size)
    ]


async def _run(url: str, batches: int, size: int) -> None:
    store = FeatureStore(url)
    await store.start()
    rng, cpu = random.Random(1), 0.0
    try:
        for b in range(batches):
            events = _batch(rng, b * size, size)
            t0 = time.process_time()
            await store.features_for(events)
            cpu += time.process_time() - t0
            if (b + 1) % 10 == 0:
                print(f"batches {b - 8:4d}-{b + 1:4d}: {cpu * 1000 / (10 * size):.3f} ms/tx")
                cpu = 0.0
    finally:
        await store.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fraud_features", description=__doc__)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="chorus-bench-features-"))
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'chorus.db'}"
    import migrations

    migrations.upgrade(url, owners=["apps.fraud.features"])
    asyncio.run(_run(url, args.batches, args.batch_size))


if __name__ == "__main__":
    main()
