"""The anomaly subgraph (see app.py, schema.py).

Served by `chorus subgraph anomaly`.
"""
