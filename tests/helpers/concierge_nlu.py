"""The concierge's trained NLU model for tests that need a real one, trained once per inputs.

The whole-stack tests cache the stack's trained models under CACHE_ROOT/<key>/
(tests/helpers/pipeline_stack.py), keyed by the training data and the model code; a
model there is reused. Otherwise the NLU alone is trained (minutes) into
CACHE_ROOT/nlu-<key>/, the same way `chorus train nlu` does it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.pipeline_stack import CACHE_ROOT, REPO, models_key


def _stack_model(key: str) -> Path | None:
    folder = CACHE_ROOT / key / "models" / "nlu"
    versions = sorted(p for p in folder.glob("*") if (p / "config.json").is_file())
    return versions[-1] if versions else None


def trained_concierge_nlu() -> Path:
    key = models_key()
    found = _stack_model(key)
    if found is not None:
        return found
    own = CACHE_ROOT / f"nlu-{key}"
    if (own / "config.json").is_file():
        return own
    tmp = own.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    command = [sys.executable, "-m", "chorus", "train", "nlu", "--no-register", "--out", str(tmp)]
    subprocess.run(command, cwd=REPO, env={**os.environ}, check=True, timeout=3000)
    tmp.rename(own)
    return own
