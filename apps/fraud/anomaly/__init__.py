"""The anomaly subgraph: `Transaction.risk` from a trained, registered, batched model.

Served by `chorus subgraph anomaly`; trained by `chorus train anomaly` (trainer.py).
"""
