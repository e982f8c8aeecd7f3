"""Print the router's YAML settings with every default and its description.

    python -m router.settings.reference > router.yaml

The output is itself a valid settings file (all defaults), so the reference
can never drift from the code: it is generated from the pydantic models.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from router.settings import RouterSettings

__all__ = ["render"]


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return json.dumps(list(value))
    if isinstance(value, dict):
        return json.dumps(value) if value else "{}"
    return json.dumps(str(value))


def _model_type(info: FieldInfo) -> type[BaseModel] | None:
    t = info.annotation
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _lines(model: type[BaseModel], indent: int) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    for name, info in model.model_fields.items():
        if info.description:
            out.extend(f"{pad}# {line}" for line in _wrap(info.description, 96 - len(pad)))
        sub = _model_type(info)
        if sub is not None:
            out.append(f"{pad}{name}:")
            out.extend(_lines(sub, indent + 1))
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            default = default.model_dump(mode="json")
        out.append(f"{pad}{name}: {_scalar(default)}")
    return out


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


def render() -> str:
    return "\n".join(_lines(RouterSettings, 0)) + "\n"


if __name__ == "__main__":
    print(render(), end="")
