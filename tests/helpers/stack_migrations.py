"""The migration histories of the repository's stack, as `chorus migrate` finds them."""

from __future__ import annotations

from pathlib import Path

import migrations
from chorus.config import load_config
from chorus.migrating import owners

REPO = Path(__file__).resolve().parents[2]

# What a test of one subgraph migrates: its own history (and what its tables point into).
DIALOGUE = ("subgraphs.dialogue", "apps.concierge")
GENERATION = ("subgraphs.generation",)


def stack_histories() -> list[migrations.Owner]:
    """Every history chorus.yaml's stack runs: the framework's first, then the owners'."""
    return owners(load_config(REPO / "chorus.yaml"))
