"""Edit block-style YAML files as text, so their comments, anchors and layout survive.

The scaffold adds entries to files people maintain by hand (chorus.yaml, the compose
file, the Kubernetes kustomization, the Prometheus config). A YAML library would
re-emit them; here only lines are inserted, found by indentation, and every result
is parsed again and must equal the original data plus the intended change, or the
edit is refused with the entry to add by hand.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from chorus.scaffold.errors import ScaffoldError

YamlPath = Sequence[str | int]  # mapping keys and sequence indexes, from the document root
UNIT = "  "


@dataclass(frozen=True)
class Block:
    """The lines of one node: `head` is its `key:` or `- ` line (-1 for the document)."""

    head: int
    end: int  # insert here to append to the node (after its last indented line)
    indent: int  # the head's indentation (-1 for the document)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def lines_of(text: str) -> list[str]:
    """The lines of `text`, each ending in a newline."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _block_end(lines: list[str], head: int, indent: int, is_item: bool) -> int:
    """One past the last line of the node whose head line is `head`."""
    end = head + 1
    for i in range(head + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        column = _indent(line)
        if column > indent:
            end = i + 1
            continue
        if line.strip().startswith("#") and column == 0 and indent >= 0 and not is_item:
            continue  # a column-0 comment may still sit inside a top-level block
        # a block sequence may sit at its key's own column (`key:\n- item`)
        if column == indent and not is_item and line.lstrip(" ").startswith("- "):
            end = i + 1
            continue
        break
    return end


def _children(lines: list[str], block: Block) -> tuple[int, list[int]]:
    """The child column and the head lines of the node's direct children."""
    start = 0 if block.head < 0 else block.head + 1
    column: int | None = None
    heads: list[int] = []
    for i in range(start, block.end):
        line = lines[i]
        if not _is_content(line):
            continue
        if column is None:
            column = _indent(line)
            if block.indent >= 0 and column < block.indent:
                break
        if _indent(line) == column:
            heads.append(i)
    return (column if column is not None else block.indent + len(UNIT)), heads


def locate(lines: list[str], path: YamlPath) -> Block:
    """The node at `path`; raises KeyError when the text does not show it in block style.

    A sequence item's first key (the one on its `- ` line) cannot be a step.
    """
    block = Block(-1, len(lines), -1)
    for step in path:
        column, heads = _children(lines, block)
        if isinstance(step, int):
            items = [i for i in heads if lines[i].lstrip(" ").startswith("-")]
            if step >= len(items):
                raise KeyError(step)
            head = items[step]
            block = Block(head, _block_end(lines, head, column, is_item=True), column)
            continue
        pattern = re.compile(rf"^{re.escape(step)}:(\s|$)")
        head = next((i for i in heads if pattern.match(lines[i].lstrip(" "))), None)
        if head is None:
            raise KeyError(step)
        block = Block(head, _block_end(lines, head, column, is_item=False), column)
    return block


def _get(data: Any, path: YamlPath) -> Any:
    for step in path:
        data = data[step]
    return data


def _load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _child_indent(lines: list[str], block: Block) -> str:
    """The column of the node's children (one unit past its head when it has none yet)."""
    column, heads = _children(lines, block)
    if not heads:
        column = block.indent + len(UNIT) if block.indent >= 0 else 0
    return " " * column


def insert(
    text: str,
    path: YamlPath,
    new_lines: Callable[[str], list[str]],
    expect: Callable[[Any], None],
    *,
    after: str | int | None = None,
    by_hand: str,
) -> str:
    """Insert `new_lines(indent)` at the end of the node at `path` (or after its child `after`).

    `expect` turns a copy of the original data into the intended data; the edited
    text must parse to exactly that, or ScaffoldError shows `by_hand`.
    """
    lines = lines_of(text)
    try:
        block = locate(lines, path)
        indent = _child_indent(lines, block)
        at = block.end
        if after is not None:
            at = locate(lines, [*path, after]).end
    except KeyError as exc:
        raise ScaffoldError(
            f"could not find where to add it as text; add it by hand:\n{by_hand}"
        ) from exc
    result = "".join(lines[:at] + new_lines(indent) + lines[at:])
    original = _load(text)
    wanted: Any = None
    if original is not None:
        wanted = copy.deepcopy(original)
        try:
            expect(wanted)
        except (KeyError, IndexError, TypeError, AttributeError):
            wanted = None
    if wanted is None or _load(result) != wanted:
        raise ScaffoldError(f"could not add it as text; add it by hand:\n{by_hand}")
    return result


def render_entry(key: str, value: Any, indent: str, unit: str = UNIT) -> list[str]:
    """`key: value` as block-style lines at `indent` (scalars dumped by PyYAML)."""
    if isinstance(value, dict):
        lines = [f"{indent}{key}:\n"]
        for k, v in value.items():
            lines += render_entry(k, v, indent + unit, unit)
        return lines
    return [f"{indent}{yaml.safe_dump({key: value}, default_flow_style=False).strip()}\n"]


def add_mapping_entry(
    text: str,
    path: str | YamlPath,
    name: str,
    entry: Any,
    *,
    after: str | None = None,
) -> str:
    """`text` with `name: entry` added to the mapping at `path` (created when top-level and absent).

    `subgraphs: {}` becomes a block mapping; a missing top-level key is appended.
    """
    steps: list[str | int] = [path] if isinstance(path, str) else list(path)
    by_hand = _by_hand(steps, {name: entry})
    lines = lines_of(text)
    if len(steps) == 1 and isinstance(steps[0], str):
        top = steps[0]
        head = re.compile(rf"^{re.escape(top)}:\s*(\{{\s*\}})?\s*(#.*)?$")
        found = next((i for i, line in enumerate(lines) if head.match(line.rstrip("\n"))), None)
        if found is None:
            data = _load(text)
            if isinstance(data, dict) and top in data:
                raise ScaffoldError(f"could not add it as text; add it by hand:\n{by_hand}")
            result = "".join([*lines, f"{top}:\n", *render_entry(name, entry, UNIT)])
            if _load(result) != {**(data or {}), top: {name: entry}}:
                raise ScaffoldError(f"could not add it as text; add it by hand:\n{by_hand}")
            return result
        match = head.match(lines[found].rstrip("\n"))
        if match and match.group(1):  # `key: {}` becomes a block mapping
            comment = f"  {match.group(2)}" if match.group(2) else ""
            lines[found] = f"{top}:{comment}\n"
            text = "".join(lines)

    def expect(data: Any) -> None:
        parent = _get(data, steps[:-1]) if len(steps) > 1 else data
        if parent.get(steps[-1]) is None:
            parent[steps[-1]] = {}
        node = parent[steps[-1]]
        if not isinstance(node, dict):
            raise TypeError(steps)
        node[name] = entry

    def new_lines(indent: str) -> list[str]:
        return render_entry(name, entry, indent, indent if len(steps) == 1 else UNIT)

    return insert(text, steps, new_lines, expect, after=after, by_hand=by_hand)


def add_sequence_item(
    text: str, path: YamlPath, item_text: str, item: Any, *, after: int | None = None
) -> str:
    """`text` with `item` (written as `item_text`, a `- ...` block) added to the sequence at `path`.

    It goes after the item at index `after`, or at the end.
    """
    by_hand = _by_hand(path, [item])

    def expect(data: Any) -> None:
        sequence = _get(data, path)
        if not isinstance(sequence, list):
            raise TypeError(path)
        sequence.insert(len(sequence) if after is None else after + 1, item)

    def new_lines(indent: str) -> list[str]:
        return [indent + line if line.strip() else line for line in lines_of(item_text)]

    return insert(text, path, new_lines, expect, after=after, by_hand=by_hand)


def _by_hand(path: YamlPath, value: Any) -> str:
    where = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path).lstrip(".")
    return f"under `{where}`:\n{yaml.safe_dump(value, sort_keys=False)}"
