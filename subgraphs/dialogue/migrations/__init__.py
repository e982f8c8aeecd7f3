"""The dialogue subgraph's alembic history (conversations, turns); run by `chorus migrate`."""
