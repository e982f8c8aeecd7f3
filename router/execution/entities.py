"""Find objects at a plan path, build `_entities` representations, merge results back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from router.planner.plan import Renames, RequiredField, RequiredSelection

__all__ = [
    "Applies",
    "MissingInput",
    "apply_renames",
    "build_representation",
    "deep_merge",
    "objects_at",
]

Applies = Callable[[str | None, str], bool]
Path = list[str | int]


def objects_at(
    value: Any, path: Sequence[str], applies: Applies, base: Path | None = None
) -> list[tuple[dict[str, Any], Path]]:
    """Objects found at `path` below `value`, each with its response path."""
    out: list[tuple[dict[str, Any], Path]] = []
    _walk(value, path, 0, list(base or ()), applies, out)
    return out


def _walk(
    value: Any,
    path: Sequence[str],
    i: int,
    cur: Path,
    applies: Applies,
    out: list[tuple[dict[str, Any], Path]],
) -> None:
    if value is None:
        return
    if i == len(path):
        if isinstance(value, dict):
            out.append((value, cur))
        elif isinstance(value, list):
            for j, v in enumerate(value):
                _walk(v, path, i, [*cur, j], applies, out)
        return
    el = path[i]
    if el == "@":
        if isinstance(value, list):
            for j, v in enumerate(value):
                _walk(v, path, i + 1, [*cur, j], applies, out)
    elif el.startswith("|"):
        if isinstance(value, dict) and applies(el[1:], str(value.get("__typename"))):
            _walk(value, path, i + 1, cur, applies, out)
    elif isinstance(value, dict):
        _walk(value.get(el), path, i + 1, [*cur, el], applies, out)


class _Missing(Exception):
    """A required value is absent: the object cannot be represented."""


class MissingInput(Exception):
    """A top-level input of the representation is absent (its fetch failed, or gave null).

    `type_condition` and `name` say which one, for the error on the fields the
    skipped fetch would have filled.
    """

    def __init__(self, type_condition: str | None, name: str) -> None:
        super().__init__(name)
        self.type_condition = type_condition
        self.name = name


def build_representation(
    obj: dict[str, Any], requires: Sequence[RequiredSelection], applies: Applies
) -> dict[str, Any] | None:
    """The `_entities` representation of `obj`; None when no selection applies to its type.

    Raises `MissingInput` when a field the representation needs is absent.
    """
    typename = obj.get("__typename")
    for rs in requires:
        if rs.type_condition is not None and (
            typename is None or not applies(rs.type_condition, typename)
        ):
            continue
        rep: dict[str, Any] = {"__typename": rs.typename or typename}
        for f in rs.fields:
            if f.name == "__typename":
                continue
            if f.key not in obj:
                raise MissingInput(rs.type_condition, f.name)
            v = obj[f.key]
            if f.selections is None:
                rep[f.name] = v
                continue
            try:
                rep[f.name] = _copy(v, f.selections, applies)
            except _Missing:
                raise MissingInput(rs.type_condition, f.name) from None
        return rep
    return None


def _fill(
    obj: dict[str, Any],
    fields: Sequence[RequiredField],
    out: dict[str, Any],
    applies: Applies,
) -> None:
    for f in fields:
        if f.key not in obj:
            raise _Missing
        v = obj[f.key]
        out[f.name] = v if f.selections is None else _copy(v, f.selections, applies)


def _copy(value: Any, sels: Sequence[RequiredSelection], applies: Applies) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_copy(v, sels, applies) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    typename = value.get("__typename")
    for rs in sels:
        if rs.type_condition is None or (
            typename is not None and applies(rs.type_condition, typename)
        ):
            _fill(value, rs.fields, out, applies)
    return out


def deep_merge(target: dict[str, Any], src: dict[str, Any], drop_typename: bool = False) -> None:
    """Merge `src` into `target`; a null never overwrites data already there."""
    for k, v in src.items():
        if drop_typename and k == "__typename":
            continue
        cur = target.get(k)
        if cur is None:
            target[k] = v
        elif isinstance(cur, dict) and isinstance(v, dict):
            deep_merge(cur, v)
        elif isinstance(cur, list) and isinstance(v, list) and len(cur) == len(v):
            for i, (a, b) in enumerate(zip(cur, v, strict=True)):
                if isinstance(a, dict) and isinstance(b, dict):
                    deep_merge(a, b)
                elif b is not None:
                    cur[i] = b
        elif v is not None:
            target[k] = v


def apply_renames(value: Any, spec: Renames, applies: Applies) -> None:
    """Rename aliased keys back to response keys (see `Fetch.renames`)."""
    if value is None:
        return
    if isinstance(value, list):
        for v in value:
            apply_renames(v, spec, applies)
        return
    if not isinstance(value, dict):
        return
    for f in spec.fields:
        wire, key = f.wire, f.key
        if wire != key and wire in value:
            value[key] = value.pop(wire)
        if f.sub is not None:
            apply_renames(value.get(key), f.sub, applies)
    if spec.fragments:
        typename = value.get("__typename")
        for tname, sub in spec.fragments:
            if typename is None or applies(tname, str(typename)):
                apply_renames(value, sub, applies)
