"""A local worker process: ``python -m subgraphs.training.worker JOB_ID CLAIM``.

The training service starts one per job, so training never runs in the serving event
loop. The worker exits when its parent dies (it checks every second): a job whose
service is gone is failed by the next service's recovery sweep, and an orphan that
kept training could only lose its writes anyway (they are conditional on the claim).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

from models.db import create_engine, database_url
from models.registry import ModelRegistry
from observability import configure_logging
from subgraphs.training.job_runner import run_job
from subgraphs.training.store import JobStore

ORPHAN_EXIT_CODE = 3


def _exit_with_parent(parent: int) -> None:
    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(ORPHAN_EXIT_CODE)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


async def main(job_id: str, claim: str) -> int:
    engine = create_engine(database_url())
    try:
        ran = await run_job(JobStore(engine), ModelRegistry(engine), job_id, claim)
    finally:
        await engine.dispose()
    return 0 if ran else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m subgraphs.training.worker JOB_ID CLAIM")
    _exit_with_parent(os.getppid())
    configure_logging("training-worker")
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
