"""Alembic history of the anomaly subgraph (version table `alembic_version_anomaly`)."""
