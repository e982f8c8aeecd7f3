"""The features subgraph (see app.py, schema.py).

Served by `chorus subgraph features`.
"""
