"""INVALID_GRAPHQL: a subgraph schema that is not valid GraphQL on its own.

Checked here: every referenced type exists (built-in scalars aside), output
fields return output types and arguments/input fields take input types,
union members are object types and implemented types are interfaces.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..model import Subgraph, named_type
from ..types import CompositionError

CODE = "INVALID_GRAPHQL"
BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
_OUTPUT = ("object", "interface", "union", "enum", "scalar")
_INPUT = ("input", "enum", "scalar")


def _problems(subgraph: Subgraph) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def kind_of(type_ref: str) -> str | None:
        name = named_type(type_ref)
        if name in BUILTIN_SCALARS:
            return "scalar"
        t = subgraph.types.get(name)
        return t.kind if t else None

    for t in subgraph.types.values():
        for f in t.fields.values():
            coordinate = f"{t.name}.{f.name}"
            kind = kind_of(f.type)
            if kind is None:
                out.append((coordinate, f'Unknown type "{named_type(f.type)}".'))
            elif kind not in _OUTPUT:
                out.append(
                    (
                        coordinate,
                        f'The type of "{coordinate}" must be Output Type but got: {f.type}.',
                    )
                )
            for arg in f.args.values():
                arg_kind = kind_of(arg.type)
                if arg_kind is None:
                    out.append((coordinate, f'Unknown type "{named_type(arg.type)}".'))
                elif arg_kind not in _INPUT:
                    out.append(
                        (
                            f"{coordinate}({arg.name}:)",
                            f'The type of "{coordinate}({arg.name}:)" must be Input Type but '
                            f"got: {arg.type}.",
                        )
                    )
        for v in t.input_fields.values():
            coordinate = f"{t.name}.{v.name}"
            kind = kind_of(v.type)
            if kind is None:
                out.append((coordinate, f'Unknown type "{named_type(v.type)}".'))
            elif kind not in _INPUT:
                out.append(
                    (
                        coordinate,
                        f'The type of "{coordinate}" must be Input Type but got: {v.type}.',
                    )
                )
        for member in t.members:
            if getattr(subgraph.types.get(member), "kind", None) != "object":
                out.append(
                    (
                        t.name,
                        f'Union type "{t.name}" can only include Object types, it '
                        f'cannot include "{member}".',
                    )
                )
        for iface in t.interfaces:
            if getattr(subgraph.types.get(iface), "kind", None) != "interface":
                out.append(
                    (
                        t.name,
                        f'Type "{t.name}" must only implement Interface types, it '
                        f'cannot implement "{iface}".',
                    )
                )
    return out


def check(ctx: CompositionContext) -> list[CompositionError]:
    return [
        CompositionError(CODE, f"[{s.name}] {message}", (s.name,), (coordinate,))
        for s in ctx.subgraphs
        for coordinate, message in _problems(s)
    ]
