"""Federation composition: subgraph SDLs in, an Apollo-format supergraph SDL out.

`compose()` accepts Federation 1 and 2 subgraphs and returns either the
supergraph SDL (link/v1.0, join/v0.3, inaccessible/v0.2, tag/v0.3) or every
error found, with Apollo's error codes. `api_schema()` turns a supergraph into
what clients see.
"""

from __future__ import annotations

from .api_schema import api_schema, api_schema_sdl
from .check import CheckResult, check_subgraph
from .compose import compose
from .config import ConfigError, SupergraphConfig, load_config, load_sources
from .types import CompositionError, CompositionResult, SubgraphSource

__all__ = [
    "CheckResult",
    "CompositionError",
    "CompositionResult",
    "ConfigError",
    "SubgraphSource",
    "SupergraphConfig",
    "api_schema",
    "api_schema_sdl",
    "check_subgraph",
    "compose",
    "load_config",
    "load_sources",
]
