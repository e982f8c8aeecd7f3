"""The ingestion subgraph: owns `Transaction`, validates and stores submitted transactions.

Served by `chorus subgraph ingestion`.
"""
