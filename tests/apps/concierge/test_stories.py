"""The concierge's test stories: written apart from the training data, and passed by the app.

The slow test runs `chorus test dialogue` on them with the trained NLU model (cached,
tests/helpers/concierge_nlu.py) and fails the suite when conversation success falls
below 0.95 or turn accuracy below 0.98.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from models.nlu.datasets import load_training_set
from models.resources import resolve
from subgraphs.dialogue.stories.format import load_stories
from tests.helpers.apps import concierge_domain
from tests.helpers.pipeline_stack import REPO

STORIES = REPO / "apps" / "concierge" / "data" / "stories"
MIN_SUCCESS, MIN_TURN_ACCURACY = 0.95, 0.98


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def test_story_messages_are_not_training_examples() -> None:
    training = load_training_set(resolve("apps.concierge:data/nlu.yml")).data.examples
    trained = {_normal(example.text) for example in training}
    said = {_normal(turn.text): turn.text for s in load_stories(STORIES) for turn in s.turns}
    assert sorted(text for key, text in said.items() if key in trained) == []


def test_the_stories_are_enough_and_name_only_what_the_domain_has() -> None:
    stories = load_stories(STORIES)
    assert len(stories) >= 80
    domain = concierge_domain()
    for story in stories:
        for turn in story.turns:
            unknown = [a for a in turn.actions if not domain.is_action(a)]
            assert not unknown, f"{story.name}: unknown actions {unknown}"
            assert turn.intent is None or turn.intent in domain.intents, story.name
            assert set(turn.slots) <= set(domain.slots), story.name
        assert set(story.records or {}) <= {"bookings"}, story.name


@pytest.mark.slow
@pytest.mark.timeout(1500)  # trains the concierge NLU first when no cached model fits the data
def test_the_concierge_passes_its_stories() -> None:
    from tests.helpers.concierge_nlu import trained_concierge_nlu

    model = trained_concierge_nlu()
    command = [
        sys.executable, "-m", "chorus", "test", "dialogue", "--stories", str(STORIES),
        "--nlu-model", str(model), "--json",
        "--min-success", str(MIN_SUCCESS), "--min-turn-accuracy", str(MIN_TURN_ACCURACY),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.stdout, done.stderr
    summary = json.loads(done.stdout)
    failing = [f["story"] for f in summary["failures"]]
    assert summary["conversation_success"] >= MIN_SUCCESS, failing
    assert summary["turn_accuracy"] >= MIN_TURN_ACCURACY, failing
    assert summary["n_stories"] >= 80
    assert done.returncode == 0, done.stderr
