"""Fraud detection, built on the kit as a second team would: four subgraphs.

`ingestion` owns `Transaction`; `features` adds `Transaction.features` from the
card's history; `anomaly` adds `Transaction.risk` from a trained model; `alerting`
adds `Transaction.alert` from YAML rules. One mutation runs the chain through the
router's query plan (docs/fraud.md).
"""
