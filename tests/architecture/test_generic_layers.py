"""The generic layers know no application: no concierge words in models/, the kit or the engines.

An application (apps/concierge) brings its words through configuration; a word of
its domain in a generic layer means the framework assumes that application.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERIC = ["models", "subgraphs/kit", "subgraphs/nlu", "subgraphs/dialogue", "subgraphs/generation"]
APP_WORDS = re.compile(r"concierge|restaurant|bistro|booking", re.IGNORECASE)


def app_words(folders: list[str], root: Path = REPO) -> list[str]:
    """`path:line: text` of every app word in the folders' files (comments included)."""
    hits = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if APP_WORDS.search(line):
                    hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return hits


def test_generic_layers_carry_no_application_words() -> None:
    hits = app_words(GENERIC)
    assert not hits, "application words in generic layers:\n" + "\n".join(hits)


def test_the_check_finds_a_word(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "x.py").write_text("# fine\n# a Booking here\n")
    assert app_words(["models"], tmp_path) == ["models/x.py:2: # a Booking here"]


def test_no_data_is_found_by_walking_up_from_a_module() -> None:
    """Data comes from configuration or package data, never `parents[N]` of a module."""
    pattern = re.compile(r"parents\[\d\]|\.parent\.parent")
    hits = [
        f"{path.relative_to(REPO)}"
        for folder in GENERIC
        for path in sorted((REPO / folder).rglob("*.py"))
        if pattern.search(path.read_text())
    ]
    assert not hits, hits
