"""The framework's alembic history (the model registry); every `chorus migrate` runs it first."""
