"""The tiny GPT-2: trained in the test, saved, loaded from its directory, generating."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from models.generation.card import GeneratorCard
from models.generation.corpus import build_corpus, prompt_for
from models.generation.generator import CausalGenerator, GenerationRequest
from models.generation.guard import SlotGuard
from models.generation.templates import ResponseTemplates
from models.generation.training import TrainingConfig, TrainingResult, train_generator


def test_training_saves_a_directory_that_loads_and_generates_templates(
    trained_generator: TrainingResult,
    fixture_templates: ResponseTemplates,
    tiny_config: TrainingConfig,
) -> None:
    path = trained_generator.path
    assert (path / "config.json").exists() and (path / "chorus_generation.json").exists()
    metrics = trained_generator.metrics
    assert metrics["steps"] == tiny_config.max_steps
    assert metrics["guard_pass_rate"] >= 0.9, metrics

    generator = CausalGenerator.load(path)
    assert (generator.name, generator.version) == ("generation", "v-test")
    assert generator.delexicalised
    guard = SlotGuard(fixture_templates)
    values = {"party_size": "4", "date": "Friday", "time": "19:30", "name": "Ada"}
    names = sorted(values)
    results = generator(
        [
            GenerationRequest(generator.prompt("utter_confirm_booking", values, names), seed=s)
            for s in (None, 1, 2, 3)
        ]
    )
    variants = {t.delexicalised for t in fixture_templates.variants("utter_confirm_booking")}
    for result in results:
        assert result.stop == "eos"
        assert result.text in variants, result.text
        assert guard.check_delexicalised("utter_confirm_booking", result.text, values).ok


def test_streaming_callback_sees_the_text_grow(trained_generator: TrainingResult) -> None:
    generator = CausalGenerator.load(trained_generator.path)
    seen: list[str] = []
    (result,) = generator([GenerationRequest(prompt_for("utter_greet", []), on_text=seen.append)])
    assert len(seen) == result.new_tokens >= 3
    assert seen[-1] == result.text
    assert all(later.startswith(earlier.rstrip()) for earlier, later in itertools.pairwise(seen))


def test_the_callback_waits_until_someone_watches(trained_generator: TrainingResult) -> None:
    generator = CausalGenerator.load(trained_generator.path)
    prompt = prompt_for("utter_greet", [])
    asked = 0

    def from_the_third_token() -> bool:
        nonlocal asked
        asked += 1
        return asked >= 3

    every: list[str] = []
    unseen: list[str] = []
    late: list[str] = []
    _, unwatched, watched = generator(
        [
            GenerationRequest(prompt, on_text=every.append),
            GenerationRequest(prompt, on_text=unseen.append, watched=lambda: False),
            GenerationRequest(prompt, on_text=late.append, watched=from_the_third_token),
        ]
    )
    assert unseen == [] and unwatched.new_tokens >= 3
    # greedy, so the same text: from the third token on, the whole text so far each time
    assert late == every[2:] and late[-1] == watched.text


def test_token_budget_and_deadline_cut_generation(trained_generator: TrainingResult) -> None:
    generator = CausalGenerator.load(trained_generator.path)
    prompt = prompt_for("utter_greet", [])
    short, late = generator(
        [
            GenerationRequest(prompt, max_new_tokens=2),
            GenerationRequest(prompt, deadline=time.monotonic() - 1),
        ]
    )
    assert (short.stop, short.new_tokens) == ("max_tokens", 2)
    assert (late.stop, late.new_tokens) == ("deadline", 1)


def test_same_seed_and_steps_give_identical_weights(
    tmp_path: Path, fixture_templates: ResponseTemplates
) -> None:
    config = TrainingConfig(
        seed=3, max_steps=20, n_layer=1, n_embd=32, n_head=2, vocab_size=300, eval_seeds=0
    )
    a = train_generator(fixture_templates, tmp_path / "a", name="g", version="a", config=config)
    b = train_generator(fixture_templates, tmp_path / "b", name="g", version="b", config=config)
    wa, wb = load_file(a.path / "model.safetensors"), load_file(b.path / "model.safetensors")
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a.metrics["loss"] == b.metrics["loss"]
    assert a.data_hash == b.data_hash


def test_the_card_lists_every_prompt_of_the_corpus(
    trained_generator: TrainingResult, domain_path: Path
) -> None:
    card = GeneratorCard.load(trained_generator.path)
    assert card is not None and card.format == "delex"
    corpus = build_corpus(ResponseTemplates.from_domain_file(domain_path))
    assert {(e.action, e.slots) for e in corpus} == set(card.signatures or [])
    assert card.knows("utter_confirm_booking", ["time", "party_size", "date"])
    assert not card.knows("utter_confirm_booking", ["party_size"])


def test_cli_trains_saves_and_registers(
    tmp_path: Path, domain_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chorus.cli import app
    from models.db import create_engine
    from models.registry import ModelRegistry

    db = tmp_path / "chorus.db"
    monkeypatch.setenv("CHORUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    args = [
        "train", "generation", "--domain", str(domain_path),
        "--paraphrases", str(tmp_path / "absent.yml"),  # no paraphrases for the fixture
        "--max-steps", "10", "--width", "32", "--heads", "2", "--layers", "1",
        "--version", "cli-1", "--threads", "1",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    target = tmp_path / "models" / "generation" / "cli-1"
    assert (target / "model.safetensors").exists()

    async def registered() -> list:  # type: ignore[type-arg]
        engine = create_engine(f"sqlite+aiosqlite:///{db}")
        try:
            return await ModelRegistry(engine).list("generation")
        finally:
            await engine.dispose()

    (row,) = asyncio.run(registered())
    assert (row.version, row.stage, Path(row.path)) == ("cli-1", "production", target.resolve())
    assert row.metrics["steps"] == 10 and "guard_pass_rate" in row.metrics
