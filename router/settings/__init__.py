"""The router's settings (`router.yaml`): one pydantic model per feature, unknown keys refused.

Ground floor: every stage reads its part of `RouterSettings`; nothing here imports a stage.
`python -m router.settings.reference` prints every setting with its default.
"""

from __future__ import annotations

from router.settings.root import RouterSettings, load_router_settings

__all__ = ["RouterSettings", "load_router_settings"]
