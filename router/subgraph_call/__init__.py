"""Stage 4, the subgraph call: one way to call a subgraph, layers over a transport.

`policy.py` composes each subgraph's stack once from its settings: header
propagation, plugin hooks, in-flight dedup, retries, circuit breaker, timeout
and concurrency cap, each a layer (`transport.Layer`) over the innermost
transport (pooled HTTP/1.1, or an httpx client in tests). Subscriptions go over
graphql-transport-ws (`ws_client.py`).
"""
