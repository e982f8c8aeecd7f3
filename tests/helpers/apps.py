"""The example application as the tests configure it: the wiring chorus.yaml gives the subgraphs.

The generic subgraphs have no data of their own; a test that serves the concierge
takes its settings from here, i.e. from the `env` of `subgraphs.<name>` in the
repository's chorus.yaml, so the tests exercise the same configuration `chorus dev` does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from chorus.config import load_config
from models.resources import resolve
from subgraphs.dialogue.actions import ActionRegistry
from subgraphs.dialogue.domain import Domain, load_domain
from subgraphs.dialogue.extension import all_actions
from subgraphs.dialogue.settings import DialogueSettings
from subgraphs.generation.settings import GenerationSettings

REPO = Path(__file__).resolve().parents[2]


@cache
def subgraph_env(name: str) -> dict[str, str]:
    """`subgraphs.<name>.env` of the repository's chorus.yaml."""
    return dict(load_config(REPO / "chorus.yaml").subgraphs[name].env)


def _settings_values(name: str, prefix: str) -> dict[str, Any]:
    env = subgraph_env(name)
    return {key.removeprefix(prefix).lower(): value for key, value in env.items()}


def concierge_dialogue_settings(**overrides: Any) -> DialogueSettings:
    """Dialogue settings for the concierge (domain, extensions), plus `overrides`."""
    return DialogueSettings(**{**_settings_values("dialogue", "CHORUS_DIALOGUE_"), **overrides})


def concierge_generation_settings(**overrides: Any) -> GenerationSettings:
    """Generation settings for the concierge (domain, paraphrases, FAQ, prompt) + `overrides`."""
    return GenerationSettings(**{**_settings_values("generation", "CHORUS_"), **overrides})


def concierge_domain_path() -> Path:
    return resolve(subgraph_env("dialogue")["CHORUS_DIALOGUE_DOMAIN"])


def concierge_actions(new_id: Callable[[], str] | None = None) -> ActionRegistry:
    """The built-in actions and the concierge's (booking ids from `new_id` when given)."""
    from apps.concierge.dialogue import extension

    return all_actions([extension(new_id) if new_id else extension()])


def concierge_domain() -> Domain:
    return load_domain(concierge_domain_path(), actions=concierge_actions())


def use_concierge_env(monkeypatch: Any, subgraph: str) -> None:
    """Set the environment chorus.yaml gives `subgraph` (a pytest MonkeyPatch undoes it)."""
    for key, value in subgraph_env(subgraph).items():
        monkeypatch.setenv(key, value)


def concierge_file(subgraph: str, key: str) -> Path:
    """A data file chorus.yaml names for `subgraph` (e.g. "generation", "CHORUS_GENERATION_FAQ")."""
    return resolve(subgraph_env(subgraph)[key])
