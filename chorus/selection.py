"""Which subgraphs `chorus dev` starts: all, one application's, or the ones named."""

from __future__ import annotations

from collections.abc import Sequence

from chorus.config import ChorusConfig, SubgraphConfig


class SelectionError(ValueError):
    """A name is neither a subgraph nor an application of the config; the message lists both."""


def select_subgraphs(config: ChorusConfig, targets: Sequence[str]) -> dict[str, SubgraphConfig]:
    """The subgraphs `targets` name (subgraph or application names), in config order.

    No target means every subgraph.
    """
    if not targets:
        return dict(config.subgraphs)
    chosen: set[str] = set()
    for target in targets:
        if target in config.subgraphs:
            chosen.add(target)
        elif target in config.applications:
            chosen.update(config.applications[target])
        else:
            raise SelectionError(
                f"{target!r} is neither a subgraph nor an application; "
                f"subgraphs: {', '.join(config.subgraphs) or 'none'}; "
                f"applications: {', '.join(config.applications) or 'none'}"
            )
    return {name: sub for name, sub in config.subgraphs.items() if name in chosen}


def stack_subset(config: ChorusConfig, targets: Sequence[str]) -> ChorusConfig:
    """The same config with only the selected subgraphs (the router composes just those)."""
    return config.model_copy(update={"subgraphs": select_subgraphs(config, targets)})
