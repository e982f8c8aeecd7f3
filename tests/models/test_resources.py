"""Data files named in configuration: filesystem paths and files inside packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.resources import ResourceNotFound, is_package_spec, resolve


def test_a_package_spec_names_a_file_inside_the_installed_package() -> None:
    found = resolve("models:resources.py")
    assert found == Path(__file__).resolve().parents[2] / "models" / "resources.py"
    assert is_package_spec("models:resources.py")


def test_a_plain_path_is_taken_as_it_is(tmp_path: Path) -> None:
    file = tmp_path / "domain.yml"
    file.write_text("x: 1\n")
    assert resolve(str(file)) == file
    assert resolve(file) == file
    assert not is_package_spec(str(file))
    assert not is_package_spec("data/nlu.yml")


def test_a_missing_file_or_package_says_which_setting(tmp_path: Path) -> None:
    with pytest.raises(ResourceNotFound, match="no package 'nowhere_pkg'"):
        resolve("nowhere_pkg:data.yml")
    with pytest.raises(ResourceNotFound, match=r"models:absent\.yml"):
        resolve("models:absent.yml")
    assert resolve(str(tmp_path / "later.yml"), must_exist=False) == tmp_path / "later.yml"
