"""Public value types of composition: what goes in, what comes out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SubgraphSource:
    """One subgraph as a team ships it: its name, where the router reaches it, its SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class CompositionError:
    """One reason the subgraphs do not compose.

    `code` is Apollo's error code where Apollo has one, so that messages can be
    looked up in Apollo's and The Guild's documentation.
    """

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinates: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


@dataclass
class CompositionResult:
    """A supergraph SDL when composition succeeds, otherwise every error found."""

    supergraph_sdl: str | None
    errors: list[CompositionError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None and not self.errors
