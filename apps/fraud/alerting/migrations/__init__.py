"""Alembic history of the alerting subgraph (version table `alembic_version_alerting`)."""
