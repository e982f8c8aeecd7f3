"""A team's whole model subgraph on the public kit: a tiny sentiment classifier for reviews.

This is the example of docs/kit.md, kept running by tests/subgraphs/kit. It imports
nothing but `subgraphs.kit`, strawberry, torch and safetensors.
"""

from __future__ import annotations

import zlib

import strawberry
import torch
from safetensors.torch import load_file
from starlette.applications import Starlette

from subgraphs.kit import (
    Artifact,
    ModelRef,
    Outcome,
    ServedModel,
    create_app,
    model_stats_field,
    reload_mutation,
)

LABELS = ("negative", "positive")
FEATURES = 64


def featurize(texts: list[str]) -> torch.Tensor:
    """Bag of hashed words: the input of the linear classifier."""
    x = torch.zeros(len(texts), FEATURES)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            x[row, zlib.crc32(word.encode()) % FEATURES] += 1.0
    return x


def load(artifact: Artifact) -> torch.nn.Linear:
    layer = torch.nn.Linear(FEATURES, len(LABELS))
    layer.load_state_dict(load_file(artifact.path / "model.safetensors"))
    return layer.eval()


def predict(model: torch.nn.Linear, texts: list[str]) -> list[tuple[str, float]]:
    with torch.inference_mode():
        confidence, index = model(featurize(texts)).softmax(-1).max(-1)
    return [(LABELS[i], c) for i, c in zip(index.tolist(), confidence.tolist(), strict=True)]


classifier = ServedModel(
    "sentiment",
    load=load,
    predict=predict,
    max_batch_size=16,
    max_wait_ms=20,
    outcome=lambda out: Outcome(label=out[0], confidence=out[1]),
)


@strawberry.type
class Sentiment:
    label: str
    confidence: float
    model: ModelRef


async def classify(text: str) -> Sentiment:
    (label, confidence), model = await classifier(text)
    return Sentiment(label=label, confidence=confidence, model=model)


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    text: str = strawberry.federation.field(external=True)

    @strawberry.federation.field(requires=["text"])
    async def sentiment(self) -> Sentiment:
        return await classify(self.text)


@strawberry.type
class Query:
    @strawberry.field
    async def sentiment(self, text: str) -> Sentiment:
        return await classify(text)

    sentiment_stats = model_stats_field(default="sentiment")


@strawberry.type
class Mutation:
    reload_sentiment_model = reload_mutation(classifier)


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Review])


def app() -> Starlette:
    return create_app(schema, name="reviews", models=[classifier])
