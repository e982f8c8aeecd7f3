"""Test helpers shared between test files (import as `tests.helpers.<module>`)."""
