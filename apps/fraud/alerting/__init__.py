"""The alerting subgraph (see app.py, schema.py).

Served by `chorus subgraph alerting`.
"""
