"""docs/kit.md shows the example subgraph the tests run, and it stays within 60 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import subgraphs.kit
from tests.helpers import kit_sentiment

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "kit.md").read_text()


def _example_block() -> str:
    section = DOC.split("## A complete model subgraph", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "docs/kit.md lost its complete example"
    return match.group(1)


def test_the_documented_example_is_the_tested_one() -> None:
    source = Path(kit_sentiment.__file__).read_text()
    module = ast.parse(source)
    docstring = ast.get_docstring(module)
    assert docstring is not None
    body = source.split('"""', 2)[2].strip("\n") + "\n"
    assert _example_block() == body


def test_the_team_code_fits_in_sixty_lines() -> None:
    code = _example_block()
    tree = ast.parse(code)
    first = next(n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom))
    lines = code.splitlines()[first.lineno - 1 :]
    assert len([line for line in lines if line.strip()]) <= 60


def test_the_readme_and_the_reference_list_every_public_name() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## The kit: turn a model into a subgraph", 1)[1].split("\n## ", 1)[0]
    for name in subgraphs.kit.__all__:
        assert f"`{name}`" in section, name
        assert name in DOC, name
    assert "](../" not in DOC and "http://" not in DOC.replace("http://test", "")
