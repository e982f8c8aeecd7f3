"""The NLU model as a kit `ServedModel`, plus what is NLU's own: text checks, precision, gc tuning.

Registry lookup, loading, warm-up, batching, version swaps, metrics and the
`modelStats` window come from `subgraphs.kit`. What stays here: how an NLU
artefact loads (precision, threshold overrides), which utterances are accepted,
and the garbage-collector settings that keep the event loop smooth once the
model is in memory.
"""

from __future__ import annotations

import logging

from models.batching import DynamicBatcher
from models.nlu.model import NLUModel
from models.nlu.understanding import Understanding
from subgraphs.kit import Artifact, ModelRef, Outcome, ServedModel, user_error
from subgraphs.nlu.settings import NLUSettings
from subgraphs.nlu.startup import process_age_s

log = logging.getLogger("chorus.nlu")


def _predict(model: NLUModel, texts: list[str]) -> list[Understanding]:
    # no sort_key: NLUModel.predict cuts a batch by token length itself
    return model.predict(texts)


def _outcome(u: Understanding) -> Outcome:
    """The top intent even when the answer fell back: the confidence histogram then shows
    which intents the model is unsure about."""
    top = u.ranking[0] if u.ranking else u.intent
    return Outcome(label=top.name, confidence=top.confidence, fallback=u.fallback)


class NLUService:
    def __init__(self, settings: NLUSettings | None = None) -> None:
        self.settings = s = settings or NLUSettings()
        self.served: ServedModel[NLUModel, str, Understanding] = ServedModel(
            s.model_name,
            load=self._load,
            predict=_predict,
            warm_up=lambda model: model.warm_up(s.batch_size),
            max_batch_size=s.batch_size,
            max_wait_ms=s.max_wait_ms,
            # A longer linger that ends once arrivals pause: at c=32 the closed loop's two
            # cohorts of ~16 merge into batches of ~32 (bench/inference.md).
            linger_gap_ms=s.linger_gap_ms or None,
            max_queue=s.max_queue,
            path=s.model_path,
            poll_s=s.model_poll_s,
            outcome=_outcome,
        )
        self.ready_after_start_s: float | None = None

    @property
    def batcher(self) -> DynamicBatcher[str, tuple[Understanding, ModelRef]]:
        return self.served.batcher

    @property
    def model(self) -> NLUModel | None:
        return self.served.model

    def _load(self, artifact: Artifact) -> NLUModel:
        model = NLUModel.load(artifact.path, precision=self.settings.precision)
        if self.settings.fallback_threshold is not None:
            model.config.fallback_threshold = self.settings.fallback_threshold
        if self.settings.ambiguity_threshold is not None:
            model.config.ambiguity_threshold = self.settings.ambiguity_threshold
        return model

    async def start(self) -> None:
        """Once the model is in memory (the kit loaded it first): log the ready time."""
        self.ready_after_start_s = process_age_s()
        model = self.model
        log.info(
            "nlu %s %.2f s after process start (%s; batching %s, max_batch_size %d)",
            "ready" if model is not None else "started without a model",
            self.ready_after_start_s or -1.0,
            f"{model.ref.name} {model.ref.version} ({model.precision})" if model else "-",
            "on" if self.settings.batching else "off",
            self.served.batcher.max_batch_size,
            extra={
                "ready_after_start_s": self.ready_after_start_s,
                "batching": self.settings.batching,
                "max_batch_size": self.served.batcher.max_batch_size,
            },
        )

    def validate(self, text: str) -> str:
        if not text.strip():
            raise user_error("text must not be empty")
        limit = self.settings.max_text_length
        if len(text) > limit:
            raise user_error(
                f"text is {len(text)} characters long; the limit is {limit}",
                max_length=limit,
            )
        return text

    async def understand(self, text: str) -> Understanding:
        self.validate(text)
        return (await self.served(text)).output
