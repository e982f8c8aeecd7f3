"""`compose()`: subgraph SDLs in, Apollo-format supergraph SDL (or errors) out.

The stages follow Apollo's composition: each subgraph is read and validated on
its own (`rules.SUBGRAPH_RULES`), then merged (`merge.py`), then the merge is
validated (`rules.MERGE_RULES`), and last the supergraph is checked for
satisfiability (every field a client can ask for has a plan). Each stage only
runs when the previous one found no error, as later rules assume the earlier
ones hold.
"""

from __future__ import annotations

from graphql import GraphQLError, build_ast_schema, parse

from .context import CompositionContext
from .merge import merge
from .printer import print_supergraph
from .rules import MERGE_RULES, SUBGRAPH_RULES, SUPERGRAPH_RULES
from .subgraph import build_subgraph
from .types import CompositionError, CompositionResult, SubgraphSource
from .upgrade import upgrade_federation1


def compose(sources: list[SubgraphSource]) -> CompositionResult:
    """Compose subgraphs into a supergraph (Federation 1 and 2 subgraphs may be mixed)."""
    errors: list[CompositionError] = []
    if not sources:
        return CompositionResult(
            None, [CompositionError("NO_SUBGRAPHS", "No subgraphs to compose")]
        )
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            errors.append(
                CompositionError(
                    "INVALID_SUBGRAPH_NAME",
                    f'A subgraph named "{source.name}" is listed more than once',
                    (source.name,),
                )
            )
        seen.add(source.name)
    subgraphs = []
    for source in sorted(sources, key=lambda s: s.name):
        subgraph, build_errors = build_subgraph(source)
        errors.extend(build_errors)
        if subgraph is not None:
            subgraphs.append(subgraph)
    if errors:
        return CompositionResult(None, errors)

    ctx = CompositionContext(subgraphs)
    for rule in SUBGRAPH_RULES:
        errors.extend(rule(ctx))
    if errors:
        return CompositionResult(None, errors)
    for subgraph in subgraphs:
        upgrade_federation1(subgraph)

    ctx.supergraph, ctx.facts = merge(subgraphs)
    for rule in MERGE_RULES:
        errors.extend(rule(ctx))
    if errors:
        return CompositionResult(None, errors)
    for rule in SUPERGRAPH_RULES:
        errors.extend(rule(ctx))
    if errors:
        return CompositionResult(None, errors)

    sdl = print_supergraph(ctx.supergraph)
    try:
        build_ast_schema(parse(sdl))
    except (GraphQLError, TypeError) as exc:  # a bug here, or a case no rule catches yet
        return CompositionResult(
            None, [CompositionError("INVALID_GRAPHQL", f"Composed supergraph is invalid: {exc}")]
        )
    return CompositionResult(sdl, [])
