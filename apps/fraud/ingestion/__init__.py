"""The ingestion subgraph (see app.py, schema.py).

Served by `chorus subgraph ingestion`.
"""
