"""`chorus test dialogue --stories PATH`: the command beside the models' `chorus test` commands.

The NLU model is replaced by one that reads a fixed script (a trained model runs in
tests/apps/concierge/test_stories.py); the dialogue is the repository stack's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chorus.cli import app
from chorus.commands import stories as stories_command
from models.nlu.understanding import ExtractedEntity, IntentScore, ModelRef, Understanding
from tests.helpers.pipeline_stack import REPO

CONFIG = str(REPO / "chorus.yaml")
STORY = """
clock: "2026-12-08T12:00:00+01:00"
stories:
  - story: greeting
    steps:
      - user: "hello bistro"
        intent: greet
      - action: utter_greet
  - story: party size
    steps:
      - user: "a table for 4"
      - action: utter_ask_date
      - slot_was_set: {party_size: 4}
"""


class ScriptedModel:
    """Stands in for NLUModel: `predict` reads the intent and entities from a script."""

    SCRIPT = {"hello bistro": ("greet", []), "a table for 4": ("book_table", [("party_size", "4")])}

    def predict(self, texts: list[str]) -> list[Understanding]:
        found = []
        for text in texts:
            intent, entities = self.SCRIPT[text]
            spans = [
                ExtractedEntity(kind, value, value, text.index(value),
                                text.index(value) + len(value), 1.0, "test")
                for kind, value in entities
            ]  # fmt: skip
            top = IntentScore(intent, 0.99)
            found.append(Understanding(text, top, [top], spans, False, ModelRef("nlu", "t")))
        return found


@pytest.fixture
def scripted_nlu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stories_command, "_load_nlu", lambda config, model_dir: ScriptedModel())


def test_dialogue_is_listed_with_the_models() -> None:
    result = CliRunner().invoke(app, ["test", "--config", CONFIG, "--help"])
    assert result.exit_code == 0, result.output
    assert "dialogue" in result.output and "nlu" in result.output


def test_stories_run_and_report_json(tmp_path: Path, scripted_nlu: None) -> None:
    (tmp_path / "s.yml").write_text(STORY)
    args = ["test", "--config", CONFIG, "dialogue", "--stories", str(tmp_path), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["conversation_success"] == 1.0 and summary["turn_accuracy"] == 1.0
    assert [s["story"] for s in summary["stories"]] == ["greeting", "party size"]
    assert summary["failures"] == []


def test_a_failing_story_is_reported_and_thresholds_set_the_exit_code(
    tmp_path: Path, scripted_nlu: None
) -> None:
    (tmp_path / "s.yml").write_text(STORY.replace("utter_ask_date", "utter_ask_time"))
    args = ["test", "--config", CONFIG, "dialogue", "--stories", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output  # no threshold: a report
    assert "FAILED party size" in result.stdout
    assert "1/2 stories passed: conversation success 0.500, turn accuracy 0.500" in result.stdout
    strict = CliRunner().invoke(app, [*args, "--json", "--min-success", "0.9"])
    assert strict.exit_code == 1
    (failure,) = json.loads(strict.stdout)["failures"]
    assert failure["first_wrong_turn"]["actions"] == ["booking_form", "utter_ask_date"]


def test_bad_stories_and_a_missing_model_are_clear_errors(tmp_path: Path) -> None:
    missing = ["test", "--config", CONFIG, "dialogue", "--stories", str(tmp_path / "none")]
    result = CliRunner().invoke(app, missing)
    assert result.exit_code == 2 and "no such story file or folder" in result.output
    (tmp_path / "s.yml").write_text(STORY)
    no_model = ["test", "--config", CONFIG, "dialogue", "--stories", str(tmp_path)]
    result = CliRunner().invoke(app, [*no_model, "--nlu-model", str(tmp_path)])
    assert result.exit_code == 2 and "cannot load the NLU model" in result.output
