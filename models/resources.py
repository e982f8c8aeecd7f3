"""Data files named in configuration: a plain path, or a file shipped inside a Python package.

Applications ship their data (domain, training examples, FAQ) as package data, so the
same setting works from a source checkout and from an installed wheel. A setting is
either a filesystem path or ``package.module:relative/path`` (the file inside that
package, found with ``importlib.resources``); nothing is found by walking up from
``__file__``.
"""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator

# "pkg.sub:data/file.yml": a dotted module name, a colon, then a relative path. A Windows
# drive ("C:\\x") or a plain relative path ("data/x.yml") does not match.
_PACKAGE_SPEC = re.compile(r"^(?P<package>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<path>[^\\/:].*)$")


class ResourceNotFound(FileNotFoundError):
    """The configured data file does not exist; the message names the setting's value."""


def is_package_spec(spec: str | Path) -> bool:
    return isinstance(spec, str) and _PACKAGE_SPEC.match(spec) is not None and len(spec) > 2


def resolve(spec: str | Path, *, must_exist: bool = True) -> Path:
    """The file a setting names: ``pkg.module:path/in/package`` or a filesystem path."""
    text = str(spec)
    match = _PACKAGE_SPEC.match(text) if isinstance(spec, str) else None
    if match is None:
        path = Path(text).expanduser()
    else:
        package, inner = match["package"], match["path"]
        try:
            root = importlib.resources.files(package)
        except ModuleNotFoundError as exc:
            raise ResourceNotFound(f"{text}: no package {package!r} is installed") from exc
        path = Path(str(root.joinpath(inner)))
    if must_exist and not path.exists():
        raise ResourceNotFound(f"{text}: no such file ({path})")
    return path


def _setting_path(value: object) -> object:
    """A settings value naming a data file, resolved; an empty value means "not set"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str | Path):
        return value  # let pydantic report the wrong type
    try:
        return resolve(value)
    except ResourceNotFound as error:
        raise ValueError(str(error)) from None


# A settings field naming a data file as a path or ``pkg.module:relative/path``: the value
# is the resolved, existing Path (a missing file fails validation with the value in the message).
ResourcePath = Annotated[Path, BeforeValidator(_setting_path)]
OptionalResourcePath = Annotated[Path | None, BeforeValidator(_setting_path)]
