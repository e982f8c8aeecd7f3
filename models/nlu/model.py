"""A trained NLU model: artefact directory I/O and batch inference.

Artefact layout (everything needed offline, nothing fetched):

    config.json        names, label maps, thresholds, training metadata
    model.safetensors  the joint network's state dict
    encoder/           the backbone's BertConfig (weights live in model.safetensors)
    tokenizer files    copied from the packaged backbone
    rules.json         synonyms, regexes, lookups
    metrics.json       evaluation figures at training time
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.encoder import configure_torch, load_tokenizer
from models.nlu.network import JointIntentTagger, pad_batch
from models.nlu.passes import plan_passes
from models.nlu.rules import RuleLayer
from models.nlu.tagging import Encoded, allowed_transitions, encode, viterbi
from models.nlu.understanding import (
    FALLBACK_INTENT,
    ExtractedEntity,
    IntentScore,
    ModelRef,
    Understanding,
)

FORMAT_VERSION = 1
PRECISIONS = ("fp32", "bf16")
# Fixed cost of one forward pass in tokens of padded work, measured on the 2-core dev
# box with one torch thread: a pass costs as much as 30 (fp32) to 70 (bf16) tokens more.
PASS_COST_TOKENS = 50.0


def bf16_supported() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str) -> str:
    """``auto`` picks bf16 where the CPU has native support, fp32 elsewhere."""
    if precision == "auto":
        return "bf16" if bf16_supported() else "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected auto, fp32 or bf16")
    return precision


@dataclass(slots=True)
class NLUConfig:
    name: str
    version: str
    intents: list[str]
    tags: list[str]
    max_length: int = 128
    fallback_threshold: float = 0.4
    ambiguity_threshold: float = 0.1
    ranking_length: int = 10
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "intents": self.intents,
            "tags": self.tags,
            "max_length": self.max_length,
            "fallback_threshold": self.fallback_threshold,
            "ambiguity_threshold": self.ambiguity_threshold,
            "ranking_length": self.ranking_length,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> NLUConfig:
        if obj.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported NLU artefact format {obj.get('format_version')!r}")
        keys = ("name", "version", "intents", "tags", "max_length", "fallback_threshold")
        extra = ("ambiguity_threshold", "ranking_length", "meta")
        return cls(**{k: obj[k] for k in keys}, **{k: obj[k] for k in extra if k in obj})


def _linear_weights_to_bf16(network: torch.nn.Module) -> None:
    """Store the linear layers in bf16 once: autocast would cast them again on every pass.

    The values are the ones autocast computes with, so the answers do not change;
    embeddings and layer norms stay fp32 (autocast runs layer norm in fp32).
    """
    for module in network.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)


class NLUModel:
    """Joint intent + entity model with its rule layer; ``predict`` is batch-first.

    ``precision`` is the encoder's inference precision: ``fp32`` (the default, what
    training evaluates) or ``bf16`` (autocast; on CPUs with native bfloat16 a batch
    runs 2-3x faster, and the example app's and SNIPS predictions were unchanged, see
    bench/README-inference.md).
    """

    def __init__(
        self,
        config: NLUConfig,
        network: JointIntentTagger,
        tokenizer: Any,
        rules: RuleLayer | None = None,
        *,
        precision: str = "fp32",
    ) -> None:
        self.config = config
        self.network = network.eval()
        self.tokenizer = tokenizer
        self.rules = rules or RuleLayer()
        self.precision = resolve_precision(precision)
        if self.precision == "bf16":
            _linear_weights_to_bf16(self.network)
        self.pass_cost_tokens = PASS_COST_TOKENS
        self.forward_passes = 0  # how many times the network ran (tests and benchmarks read it)
        self._start_ok, self._trans_ok = allowed_transitions(config.tags)

    @property
    def ref(self) -> ModelRef:
        return ModelRef(self.config.name, self.config.version)

    # ---- inference -------------------------------------------------------------------------
    def predict(self, texts: Sequence[str], *, chunk_size: int = 32) -> list[Understanding]:
        """Understand a batch of utterances.

        The batch is tokenised once, sorted by length and cut into forward passes of
        at most ``chunk_size`` where padding costs more than another pass would.
        """
        if not texts:
            return []
        encoded = encode(self.tokenizer, texts, self.config.max_length)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i].input_ids))
        lengths = [len(encoded[i].input_ids) for i in order]
        results: list[Understanding | None] = [None] * len(texts)
        for span in plan_passes(lengths, max_size=chunk_size, pass_cost=self.pass_cost_tokens):
            idx = [order[k] for k in span]
            chunk = self._predict_encoded([texts[i] for i in idx], [encoded[i] for i in idx])
            for i, understanding in zip(idx, chunk, strict=True):
                results[i] = understanding
        return [r for r in results if r is not None]

    def raw_outputs(
        self, texts: Sequence[str]
    ) -> tuple[list[Encoded], np.ndarray, list[np.ndarray]]:
        """Encodings, intent probabilities and per-word tag log-probabilities."""
        encoded = encode(self.tokenizer, texts, self.config.max_length)
        return (encoded, *self._forward(encoded))

    def _forward(self, encoded: list[Encoded]) -> tuple[np.ndarray, list[np.ndarray]]:
        ids, mask, piece_words = pad_batch(
            [e.input_ids for e in encoded],
            [e.piece_words for e in encoded],
            self.tokenizer.pad_token_id or 0,
        )
        bf16 = self.precision == "bf16"
        self.forward_passes += 1
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            intent_logits, tag_logits = self.network(ids, mask, piece_words)
            intent_probs = torch.softmax(intent_logits.float(), dim=-1).numpy()
            tag_logp = torch.log_softmax(tag_logits.float(), dim=-1).numpy()
        words = [tag_logp[i, : len(e.word_ranges)] for i, e in enumerate(encoded)]
        return intent_probs, words

    def decode_tags(self, word_logp: np.ndarray) -> tuple[list[int], np.ndarray]:
        path = viterbi(word_logp, self._start_ok, self._trans_ok)
        probs = np.exp(word_logp[np.arange(len(path)), path]) if path else np.zeros(0)
        return path, probs

    def _predict_encoded(self, texts: list[str], encoded: list[Encoded]) -> list[Understanding]:
        intent_probs, words = self._forward(encoded)
        out = []
        for text, enc, probs, word_logp in zip(texts, encoded, intent_probs, words, strict=True):
            ranking = self._ranking(probs)
            learned = self._entities(text, enc, word_logp)
            entities = self.rules.merge(text, learned)
            fallback = self._is_fallback(ranking)
            top = IntentScore(FALLBACK_INTENT, ranking[0].confidence) if fallback else ranking[0]
            out.append(Understanding(text, top, ranking, entities, fallback, self.ref))
        return out

    def _ranking(self, probs: np.ndarray) -> list[IntentScore]:
        top = np.argsort(-probs)[: self.config.ranking_length]
        return [IntentScore(self.config.intents[i], float(probs[i])) for i in top]

    def _is_fallback(self, ranking: list[IntentScore]) -> bool:
        best = ranking[0].confidence
        second = ranking[1].confidence if len(ranking) > 1 else 0.0
        return (
            best < self.config.fallback_threshold or best - second < self.config.ambiguity_threshold
        )

    def _entities(self, text: str, enc: Encoded, word_logp: np.ndarray) -> list[ExtractedEntity]:
        path, probs = self.decode_tags(word_logp)
        tags = self.config.tags
        entities: list[ExtractedEntity] = []
        i = 0
        while i < len(path):
            tag = tags[path[i]]
            if not tag.startswith("B-"):
                i += 1
                continue
            typ, j = tag[2:], i + 1
            while j < len(path) and tags[path[j]] == f"I-{typ}":
                j += 1
            start, end = enc.word_ranges[i][0], enc.word_ranges[j - 1][1]
            covered = text[start:end]
            conf = float(probs[i:j].mean())
            entities.append(ExtractedEntity(typ, covered, covered, start, end, conf, "minilm"))
            i = j
        return entities

    def warm_up(self, batch_size: int = 1) -> None:
        """Forward passes so the first requests do not pay for lazy initialisation.

        With ``batch_size`` > 1 a full batch runs too: kernels for a new batch shape
        cost a first call tens of milliseconds more.
        """
        self.predict(["hello there", "book a table for two at 7pm tomorrow"])
        if batch_size > 1:
            samples = ["hi", "thanks a lot", "can I book a table for four people at 8pm tonight"]
            self.predict([samples[i % len(samples)] for i in range(batch_size)])

    # ---- artefacts -------------------------------------------------------------------------
    def save(self, directory: str | Path, metrics: dict[str, Any] | None = None) -> Path:
        from safetensors.torch import save_file

        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(self.config.to_json(), indent=2))
        state = {k: v.detach().contiguous() for k, v in self.network.state_dict().items()}
        save_file(state, str(path / "model.safetensors"))
        self.network.encoder.config.save_pretrained(str(path / "encoder"))  # type: ignore[union-attr]
        self.tokenizer.save_pretrained(str(path))
        (path / "rules.json").write_text(json.dumps(self.rules.to_json(), indent=2))
        if metrics is not None:
            (path / "metrics.json").write_text(json.dumps(metrics, indent=2))
        return path

    @classmethod
    def load(
        cls, directory: str | Path, *, precision: str = "fp32", backend: str = "lean"
    ) -> NLUModel:
        """Load an artefact directory; no network access, no packaged weights needed.

        ``backend="lean"`` (the default) runs the encoder and tokenizer without
        importing transformers (``models.nlu.bert_encoder``): seconds less at start-up
        and less per-pass overhead. ``"transformers"`` builds ``BertModel`` as
        training does; the tests check that both give the same answers.
        """
        from safetensors.torch import load_file

        path = Path(directory)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not an NLU model directory (no config.json)")
        configure_torch()
        config = NLUConfig.from_json(json.loads((path / "config.json").read_text()))
        state = load_file(str(path / "model.safetensors"))
        tokenizer: Any
        if backend == "lean":
            from models.nlu.bert_encoder import BertEncoder, BertEncoderConfig
            from models.nlu.fast_tokenizer import FastTokenizer

            encoder_config = BertEncoderConfig.from_pretrained(path / "encoder")
            network = JointIntentTagger(
                BertEncoder(encoder_config), len(config.intents), len(config.tags)
            )
            network.load_state_dict(state, assign=True)
            tokenizer = FastTokenizer(path)
        elif backend == "transformers":
            from transformers import BertConfig, BertModel

            encoder = BertModel(
                BertConfig.from_pretrained(str(path / "encoder")), add_pooling_layer=False
            )
            network = JointIntentTagger(encoder, len(config.intents), len(config.tags))
            network.load_state_dict(state)
            tokenizer = load_tokenizer(path)
        else:
            raise ValueError(f"unknown backend {backend!r}; expected lean or transformers")
        rules_file = path / "rules.json"
        rules = (
            RuleLayer.from_json(json.loads(rules_file.read_text())) if rules_file.exists() else None
        )
        return cls(config, network, tokenizer, rules, precision=precision)
