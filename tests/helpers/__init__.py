"""Test helpers shared between test files (imported as `tests.helpers.<module>`)."""
