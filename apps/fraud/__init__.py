"""The fraud package."""
