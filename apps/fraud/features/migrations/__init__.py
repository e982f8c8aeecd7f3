"""Alembic history of the features subgraph (version table `alembic_version_features`)."""
