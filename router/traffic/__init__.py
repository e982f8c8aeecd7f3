"""Subgraph traffic: timeouts, retries, breakers, dedup, concurrency caps, rate limits."""
