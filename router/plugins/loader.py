"""Load the plugins named in router.yaml: import by dotted path, validate the config.

A module names its plugin with a `plugin` attribute (a `Plugin` subclass), or
defines exactly one `Plugin` subclass. The config is validated by the class's
`Config` model; a bad key is refused with the plugin's module and the key's
place in its config (`plugins[0] (acme.auth): config.header: Field required`).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from types import ModuleType

from pydantic import ValidationError

from router.plugins.interface import Plugin
from router.settings.plugins import PluginEntry

__all__ = ["PluginError", "load_plugins", "plugin_class"]


class PluginError(ValueError):
    """A plugin cannot be loaded or its config is invalid (the message names it)."""


def plugin_class(module: ModuleType) -> type[Plugin]:
    named = getattr(module, "plugin", None)
    if named is not None:
        if inspect.isclass(named) and issubclass(named, Plugin):
            return named
        raise PluginError("its `plugin` attribute is not a Plugin subclass")
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Plugin)
        and obj is not Plugin
        and obj.__module__ == module.__name__
    ]
    if len(found) != 1:
        what = "no Plugin subclass" if not found else f"{len(found)} Plugin subclasses"
        raise PluginError(f"it defines {what}; name one with `plugin = YourPlugin`")
    return found[0]


def _load(index: int, entry: PluginEntry) -> Plugin:
    where = f"plugins[{index}] ({entry.module})"
    try:
        module = importlib.import_module(entry.module)
    except ImportError as exc:
        raise PluginError(f"{where}: cannot import the module: {exc}") from exc
    try:
        cls = plugin_class(module)
    except PluginError as exc:
        raise PluginError(f"{where}: {exc}") from None
    try:
        config = cls.Config.model_validate(entry.config)
    except ValidationError as exc:
        problems = "; ".join(
            f"config.{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors()
        )
        raise PluginError(f"{where}: {problems}") from None
    return cls(config)


def load_plugins(entries: Sequence[PluginEntry]) -> list[Plugin]:
    """One instance per entry, in config order."""
    return [_load(i, e) for i, e in enumerate(entries)]
