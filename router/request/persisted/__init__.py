"""Persisted queries: APQ and the manifest safelist."""
