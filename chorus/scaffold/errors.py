"""The one error of the scaffold: it explains what to change, and nothing was written."""

from __future__ import annotations


class ScaffoldError(Exception):
    """The scaffold cannot be written; nothing was changed."""
