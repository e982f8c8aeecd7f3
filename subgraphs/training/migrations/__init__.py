"""The training subgraph's alembic history (training jobs); run by `chorus migrate`."""
