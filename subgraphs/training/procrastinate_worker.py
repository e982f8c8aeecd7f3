"""A procrastinate worker for training jobs: ``python -m subgraphs.training.procrastinate_worker``.

`chorus training-worker` runs it with the stack's environment (database, data dir, the
configured models); on another machine, give it the same `CHORUS_DATABASE_URL`,
`CHORUS_DATA_DIR` (shared storage: the artefacts it writes are what the subgraphs load)
and `CHORUS_MODEL_SPECS`. It stops on SIGINT/SIGTERM, failing a job it was running.
"""

from __future__ import annotations

import argparse
import asyncio

from observability import configure_logging
from subgraphs.training.procrastinate_engine import run_worker
from subgraphs.training.settings import TrainingSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=1, help="jobs run at once")
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    configure_logging("training-worker")
    asyncio.run(run_worker(TrainingSettings(), concurrency=args.concurrency))


if __name__ == "__main__":
    main()
