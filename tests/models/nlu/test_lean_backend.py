"""The serving backend (plain-torch BERT + tokenizers) answers exactly as transformers does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.nlu.model import NLUModel
from models.nlu.tagging import encode
from models.nlu.yaml_format import load_training_yaml

REPO = Path(__file__).resolve().parents[3]
CONCIERGE = REPO / "apps" / "concierge" / "data" / "nlu.yml"

ODD = [
    "Café naïve — 東京 🍣 at 7pm!!",
    "   spaced   out   ",
    "BOOK A TABLE FOR 2 @ 19:30",
    "book a table " * 60,  # truncated at max_length pieces
    "a",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [e.text for e in load_training_yaml(CONCIERGE).examples] + ODD


@pytest.fixture(scope="module")
def both(concierge_model: Any) -> tuple[NLUModel, NLUModel]:
    return NLUModel.load(concierge_model.path), NLUModel.load(
        concierge_model.path, backend="transformers"
    )


def test_same_pieces_offsets_and_words(both: tuple[NLUModel, NLUModel], texts: list[str]) -> None:
    lean, hf = both
    assert lean.tokenizer.pad_token_id == hf.tokenizer.pad_token_id
    ours, theirs = encode(lean.tokenizer, texts, 128), encode(hf.tokenizer, texts, 128)
    assert ours == theirs
    assert len(ours[-2].input_ids) == 128


def test_same_outputs_and_answers(both: tuple[NLUModel, NLUModel], texts: list[str]) -> None:
    lean, hf = both
    batch = texts[:40] + ODD
    _, lean_intents, lean_tags = lean.raw_outputs(batch)
    _, hf_intents, hf_tags = hf.raw_outputs(batch)
    np.testing.assert_allclose(lean_intents, hf_intents, atol=1e-5)
    for a, b in zip(lean_tags, hf_tags, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    for a, b in zip(lean.predict(texts), hf.predict(texts), strict=True):
        assert (a.intent.name, a.fallback) == (b.intent.name, b.fallback)
        assert a.intent.confidence == pytest.approx(b.intent.confidence, abs=1e-5)
        assert [(e.type, e.value, e.start, e.end, e.extractor) for e in a.entities] == [
            (e.type, e.value, e.start, e.end, e.extractor) for e in b.entities
        ]
        assert [e.confidence for e in a.entities] == pytest.approx(
            [e.confidence for e in b.entities], abs=1e-4
        )


def test_a_lean_model_saves_a_loadable_artefact(
    both: tuple[NLUModel, NLUModel], tmp_path: Path
) -> None:
    lean, _ = both
    saved = lean.save(tmp_path / "copy")
    again = NLUModel.load(saved)
    texts = ["hello", "table for two at 8pm"]
    assert [u.intent for u in again.predict(texts)] == [u.intent for u in lean.predict(texts)]


def test_serving_imports_neither_transformers_nor_dynamo(concierge_model: Any) -> None:
    probe = (
        "import sys\n"
        "from subgraphs.nlu.app import create_app\n"
        "from models.nlu.model import NLUModel\n"
        f"NLUModel.load({str(concierge_model.path)!r}, precision='auto').warm_up(4)\n"
        "heavy = sorted(m for m in ('transformers', 'torch._dynamo') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
