"""Message helpers: Apollo-style lists of subgraph names."""

from __future__ import annotations


def subgraph_list(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return f"subgraph {quoted[0]}"
    return "subgraphs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]
