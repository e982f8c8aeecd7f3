"""The generation subgraph's alembic history (stored replies); run by `chorus migrate`."""
