"""`plugins:` in router.yaml: the user's plugins, loaded by dotted module path, in order."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PluginEntry"]


class PluginEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    module: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
        description="Dotted path of the Python module that defines the plugin (one `Plugin` "
        "subclass, or the one its `plugin` attribute names), importable by the router.",
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="The plugin's own settings, validated by its `Config` model.",
    )
