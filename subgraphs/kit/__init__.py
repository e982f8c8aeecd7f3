"""The small kit every subgraph shares: app factory, readiness, metrics, errors."""

from subgraphs.kit.app import create_app
from subgraphs.kit.errors import overloaded, user_error
from subgraphs.kit.readiness import Readiness

__all__ = ["Readiness", "create_app", "overloaded", "user_error"]
