"""Type references as strings (`[Int!]!`) and the subtyping composition allows between them.

Output positions merge to the most general type every subgraph's type is a
subtype of (`String!` and `String` give `String`); input positions merge to the
most restrictive (`String!`). Subtyping covers nullability, list item types,
and object/interface/union relations of the supergraph.
"""

from __future__ import annotations

from collections.abc import Callable

#: (abstract type, possible subtype) -> is it a direct implementation or member?
AbstractRelation = Callable[[str, str], bool]


def _unwrap(t: str) -> tuple[str, str]:
    """Return (wrapper, inner): ("!", "Int") for `Int!`, ("[]", "Int!") for `[Int!]`, ("", name)."""
    if t.endswith("!"):
        return "!", t[:-1]
    if t.startswith("["):
        return "[]", t[1:-1]
    return "", t


def is_subtype(super_t: str, sub_t: str, related: AbstractRelation) -> bool:
    """Is `sub_t` usable where `super_t` is expected (covariant output subtyping)?"""
    if super_t == sub_t:
        return True
    sup_w, sup_in = _unwrap(super_t)
    sub_w, sub_in = _unwrap(sub_t)
    if sup_w == "!":
        return sub_w == "!" and is_subtype(sup_in, sub_in, related)
    if sub_w == "!":
        return is_subtype(super_t, sub_in, related)
    if sup_w == "[]":
        return sub_w == "[]" and is_subtype(sup_in, sub_in, related)
    if sub_w == "[]":
        return False
    return related(super_t, sub_t)


def is_strict_subtype(super_t: str, sub_t: str, related: AbstractRelation) -> bool:
    return super_t != sub_t and is_subtype(super_t, sub_t, related)


def merge_types(
    types: list[str], related: AbstractRelation, *, output: bool
) -> tuple[str | None, bool]:
    """Merge the types one element has in several subgraphs.

    Returns (merged type or None when incompatible, whether all types were equal).
    """
    merged: str | None = None
    all_equal = True
    for t in types:
        if merged is None:
            merged = t
            continue
        if t == merged:
            continue
        all_equal = False
        if is_subtype(merged, t, related):
            if not output:
                merged = t
        elif is_subtype(t, merged, related):
            if output:
                merged = t
        else:
            return None, False
    return merged, all_equal
