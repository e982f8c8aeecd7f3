"""The features subgraph: `Transaction.features`, computed from the card's history.

Served by `chorus subgraph features`.
"""
