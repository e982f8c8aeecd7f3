"""Stage 4, the subgraph call: one way to call a subgraph, layers over a transport.

`registry.py` composes each subgraph's stack once, from plugins that wrap its
transport (`Plugin.subgraph_transport`): header propagation (`headers.py`, built-
in), the plugin hooks, router.yaml plugins' own wrappers, and the traffic policies
(`policy.py`, built-in: in-flight dedup, retries, circuit breaker, timeout and
concurrency cap), each a layer (`transport.Layer`) over the innermost transport
(pooled HTTP/1.1, or an httpx client in tests). Subscriptions go over graphql-
transport-ws (`ws_client.py`).
"""
