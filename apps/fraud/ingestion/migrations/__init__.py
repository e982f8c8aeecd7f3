"""Alembic history of the ingestion subgraph (version table `alembic_version_ingestion`)."""
