"""The alerting subgraph: `Transaction.alert` by YAML rules, analyst resolution, live alerts.

Served by `chorus subgraph alerting`.
"""
