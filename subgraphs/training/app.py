"""ASGI app of the training subgraph: `chorus subgraph training` serves `create_app()`.

The serving process queues jobs, streams their progress and manages model versions;
the training itself runs in worker processes (subgraphs/training/dispatcher.py).
"""

from __future__ import annotations

from starlette.applications import Starlette

from models.db import create_engine, database_url
from subgraphs.kit import create_app as kit_app
from subgraphs.training.schema import build_schema
from subgraphs.training.service import TrainingService
from subgraphs.training.settings import TrainingSettings

NAME = "training"


def create_app(settings: TrainingSettings | None = None) -> Starlette:
    service = TrainingService(create_engine(database_url()), settings)
    app = kit_app(
        build_schema(),
        name=NAME,
        on_startup=[service.start],
        on_shutdown=[service.stop],
        context={"training": service},
    )
    app.state.training = service
    return app
