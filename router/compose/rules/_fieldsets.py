"""Helpers shared by the rules on `@key`, `@requires` and `@provides` field sets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..fieldset import FieldSetSyntaxError, Selected, parse_field_set, walk
from ..model import FieldDef, Subgraph, TypeDef, named_type
from ..types import CompositionError


@dataclass(frozen=True)
class Use:
    """One field set in one subgraph: `@key` on a type, `@requires`/`@provides` on a field."""

    subgraph: Subgraph
    directive: str
    owner: TypeDef
    field: FieldDef | None
    target: str
    fields: str

    def where(self) -> str:
        if self.field is None:
            return f'On type "{self.owner.name}", for @key(fields: "{self.fields}")'
        return (
            f'On field "{self.owner.name}.{self.field.name}", for '
            f'@{self.directive}(fields: "{self.fields}")'
        )

    def coordinate(self) -> str:
        return self.owner.name if self.field is None else f"{self.owner.name}.{self.field.name}"


def uses(subgraph: Subgraph, directive: str) -> Iterator[Use]:
    for t in subgraph.types.values():
        if directive == "key":
            for key in t.keys:
                yield Use(subgraph, "key", t, None, t.name, key.fields)
            continue
        for f in t.fields.values():
            text = f.requires if directive == "requires" else f.provides
            if text is None:
                continue
            target = t.name if directive == "requires" else named_type(f.type)
            yield Use(subgraph, directive, t, f, target, text)


def selected(use: Use) -> Iterator[Selected] | str:
    """The selected fields, or the syntax error message."""
    try:
        selection = parse_field_set(use.fields)
    except FieldSetSyntaxError as exc:
        return str(exc)
    return walk(use.subgraph, use.target, selection)


def unknown_field_message(s: Selected) -> str:
    return (
        f'Cannot query field "{s.name}" on type "{s.parent}" (if the field is defined in another '
        "subgraph, you need to add it to this subgraph with @external)."
    )


def unknown_field_errors(
    code: str, use: Use, *, parent_must_exist: bool = False
) -> list[CompositionError]:
    """One error per selected field the subgraph does not define (or the syntax error).

    `__typename` and selections on unions are always fine. With `parent_must_exist`
    (`@key`), a selection whose parent type is itself unknown is left to other rules.
    """
    fields = selected(use)
    subgraph = use.subgraph
    if isinstance(fields, str):
        problems = [fields]
    else:
        problems = []
        for s in fields:
            if s.definition is not None or s.name == "__typename":
                continue
            parent = subgraph.types.get(s.parent)
            if parent is None and parent_must_exist:
                continue
            if getattr(parent, "kind", "") == "union":
                continue
            problems.append(unknown_field_message(s))
    return [
        CompositionError(
            code,
            f"[{subgraph.name}] {use.where()}: {problem}",
            (subgraph.name,),
            (use.coordinate(),),
        )
        for problem in problems
    ]
