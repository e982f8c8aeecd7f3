"""What an application adds to the dialogue subgraph: custom actions and GraphQL fields.

The dialogue engine knows intents, slots, forms and rules; an application
(see ``apps/`` for an example) brings its domain file, its custom actions
(actions.py) and, when it keeps data of its own, fields to read it:

- ``query``: a strawberry type whose fields join ``Query``;
- ``conversation``: a strawberry type whose resolver fields join ``Conversation``
  (``self.id`` is the conversation's id). It must declare resolvers only, no
  plain data fields;
- ``records``: readers of the rows the application keeps per conversation, by
  kind (``{"orders": read_orders}``), each ``async (connection,
  conversation_id) -> list[dict]`` of JSON values; test stories check them
  (``chorus test dialogue``, stories/).

Resolvers reach the database through ``dialogue_engine(info)``.

The setting ``CHORUS_DIALOGUE_EXTENSIONS`` lists them as ``package.module:attribute``
(``package.module`` alone means the attribute ``extension``); the attribute is a
``DialogueExtension`` or a function without arguments returning one.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .actions import BUILTIN_ACTIONS, ActionError, ActionRegistry

if TYPE_CHECKING:
    from strawberry.types import Info


class ExtensionError(ValueError):
    """A configured extension cannot be imported or is not a DialogueExtension."""


RecordReader = Callable[[AsyncConnection, str], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class DialogueExtension:
    actions: ActionRegistry = field(default_factory=ActionRegistry)
    query: type | None = None
    conversation: type | None = None
    records: Mapping[str, RecordReader] = field(default_factory=dict)


def load_extension(spec: str) -> DialogueExtension:
    """Import ``package.module[:attribute]`` and return the extension it names."""
    module_name, _, attribute = spec.strip().partition(":")
    attribute = attribute or "extension"
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ExtensionError(
            f"dialogue extension {spec!r}: cannot import {module_name}: {error}"
        ) from error
    target: Any = getattr(module, attribute, None)
    if target is None:
        raise ExtensionError(f"dialogue extension {spec!r}: {module_name} has no {attribute!r}")
    if not isinstance(target, DialogueExtension) and callable(target):
        target = target()
    if not isinstance(target, DialogueExtension):
        raise ExtensionError(
            f"dialogue extension {spec!r} is a {type(target).__name__}, not a DialogueExtension"
        )
    return target


def all_actions(extensions: Sequence[DialogueExtension]) -> ActionRegistry:
    """The built-in actions and every extension's; a name registered twice is an error."""
    registry = BUILTIN_ACTIONS
    for extension in extensions:
        try:
            registry = registry | extension.actions
        except ActionError as error:
            raise ExtensionError(str(error)) from None
    return registry


def dialogue_engine(info: Info) -> AsyncEngine:
    """The database engine of the dialogue subgraph, for an extension's resolvers."""
    engine: AsyncEngine = info.context["dialogue"].engine
    return engine
