"""Stage 4, the subgraph call.

Header propagation, in-flight dedup, circuit breaker, retries, concurrency cap and timeout,
over a transport (pooled HTTP/1.1, httpx in tests, graphql-transport-ws for subscriptions).
"""
