"""Test helpers shared between test files: import them as `tests.helpers.<module>`."""
