"""A causal LM served from a local directory, decoding many requests in one batch.

Any Hugging Face causal LM loads (offline, `local_files_only`); our trained
generators add a card that switches prompting to the delexicalised format.
Decoding is our own loop over the KV cache rather than `generate()`, because
it has to do three things at once for a whole batch: stop each row at its own
token budget or wall-clock deadline, sample each row from its own seed (a
turn's reply is reproducible), and report each row's text as it grows so a
subscription can stream it.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.encoder import configure_torch
from models.generation.card import GeneratorCard
from models.generation.corpus import prompt_for

if TYPE_CHECKING:
    import torch

DEFAULT_MAX_NEW_TOKENS = 48
# The application's own instruction (its persona, its facts) replaces this one: see
# `instruction` on CausalGenerator.prompt and the generation subgraph's prompt setting.
DEFAULT_INSTRUCTION = (
    "You are a helpful assistant. Write one short, friendly reply for the dialogue "
    "action below. Use every given value exactly as written and invent no other facts."
)


@dataclass
class GenerationRequest:
    prompt: str
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    deadline: float | None = None  # time.monotonic() after which the row stops
    seed: int | None = None  # None: greedy; else sampled from this seed
    on_text: Callable[[str], None] | None = None  # whole text so far, from the worker thread
    # None: on_text after every token; else only while this says someone follows the text
    # (decoding the text so far at every token is the cost it saves when nobody does)
    watched: Callable[[], bool] | None = None


@dataclass(frozen=True)
class GenerationResult:
    text: str
    new_tokens: int
    stop: str  # "eos", "max_tokens" or "deadline"
    seconds: float


class CausalGenerator:
    """`generator(requests) -> results`: the batch function behind a DynamicBatcher."""

    def __init__(self, model: Any, tokenizer: Any, card: GeneratorCard, path: Path) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.card = card
        self.path = path
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        # transformers 5 renamed the KV-cache argument and output field.
        params = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"
        self._chat = self.card.format == "plain" and bool(getattr(tokenizer, "chat_template", None))
        config = model.config
        self.max_positions = int(
            getattr(config, "n_positions", None)
            or getattr(config, "max_position_embeddings", None)
            or 2048
        )

    @classmethod
    def load(
        cls,
        path: str | Path,
        *,
        threads: int | None = None,
        name: str | None = None,
        version: str | None = None,
    ) -> CausalGenerator:
        """Load weights, tokenizer and card from `path` without touching any hub.

        `name`/`version` (the registry's) override what the card says.
        """
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        configure_torch(threads)
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        path = Path(path)
        card = GeneratorCard.load(path) or GeneratorCard(name=path.name, version="local")
        if name is not None or version is not None:
            card = replace(card, name=name or card.name, version=version or card.version)
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True).eval()
        return cls(model, tokenizer, card, path)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def delexicalised(self) -> bool:
        return self.card.format == "delex"

    def budget(self, limit: int) -> int:
        """New-token budget: the caller's limit, tightened by the card's when it has one."""
        own = self.card.max_new_tokens
        return min(limit, own) if own else limit

    def prompt(
        self,
        action: str,
        values: Mapping[str, str],
        slot_names: list[str],
        instruction: str = DEFAULT_INSTRUCTION,
    ) -> str:
        """The prompt for one action; delex prompts name slots, plain ones give values.

        `instruction` opens a plain prompt (the system message of a chat model).
        """
        if self.delexicalised:
            return prompt_for(action, slot_names)
        facts = ", ".join(f"{name} = {values[name]}" for name in slot_names) or "none"
        user = f"Action: {action}\nValues: {facts}"
        if self._chat:
            messages = [
                {"role": "system", "content": instruction},
                {"role": "user", "content": user},
            ]
            return str(
                self.tokenizer.apply_chat_template(
                    messages, tokenize=False, add_generation_prompt=True
                )
            )
        return f"{instruction}\n{user}\nReply:"

    def warm_up(self) -> None:
        """One tiny generation, so the first real request does not pay for lazy init."""
        self([GenerationRequest(self.prompt("warm_up", {}, []), max_new_tokens=2)])

    def __call__(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        import torch

        started = time.perf_counter()
        tok = self.tokenizer
        encoded = tok(
            [r.prompt for r in requests],
            return_tensors="pt",
            padding=True,
            add_special_tokens=not self._chat,
        )
        input_ids = encoded["input_ids"]
        attention = encoded["attention_mask"]
        room = max(1, self.max_positions - int(input_ids.shape[1]))
        budgets = [max(0, min(r.max_new_tokens, room)) for r in requests]
        rows = len(requests)
        generated: list[list[int]] = [[] for _ in range(rows)]
        stops: list[str | None] = [None if b > 0 else "max_tokens" for b in budgets]
        generators = [_rng(r.seed) for r in requests]
        eos = tok.eos_token_id
        pad = tok.pad_token_id

        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        step_ids, step_positions, past = input_ids, positions, None
        with torch.inference_mode():
            while any(s is None for s in stops):
                out = self.model(
                    input_ids=step_ids,
                    attention_mask=attention,
                    position_ids=step_positions,
                    use_cache=True,
                    **{self._cache_arg: past},
                )
                past = out["cache"] if "cache" in out else out["past_key_values"]
                logits = out.logits[:, -1, :].float()
                next_ids: list[int] = []
                now = time.monotonic()
                for i, request in enumerate(requests):
                    if stops[i] is not None:
                        next_ids.append(pad)
                        continue
                    token = self._pick(logits[i], generators[i])
                    next_ids.append(token)
                    if token == eos:
                        stops[i] = "eos"
                        continue
                    generated[i].append(token)
                    if request.on_text is not None and (
                        request.watched is None or request.watched()
                    ):
                        request.on_text(_partial(self._decode(generated[i])))
                    if len(generated[i]) >= budgets[i]:
                        stops[i] = "max_tokens"
                    elif request.deadline is not None and now >= request.deadline:
                        stops[i] = "deadline"
                step_ids = torch.tensor(next_ids, dtype=input_ids.dtype).unsqueeze(1)
                attention = torch.cat([attention, torch.ones_like(step_ids)], dim=1)
                step_positions = attention.sum(dim=1, keepdim=True) - 1
        seconds = time.perf_counter() - started
        return [
            GenerationResult(self._decode(ids), len(ids), stop or "eos", seconds)
            for ids, stop in zip(generated, stops, strict=True)
        ]

    def _pick(self, logits: torch.Tensor, rng: torch.Generator | None) -> int:
        import torch

        if rng is None or self.card.temperature <= 0:
            return int(torch.argmax(logits))
        card = self.card
        logits = logits / card.temperature
        k = card.top_k if 0 < card.top_k < logits.shape[-1] else logits.shape[-1]
        values, indices = torch.topk(logits, k)
        probs = torch.softmax(values, -1)
        if card.min_p > 0:
            probs = torch.where(probs >= card.min_p * probs[0], probs, torch.zeros_like(probs))
        choice = torch.multinomial(probs, 1, generator=rng)
        return int(indices[choice])

    def _decode(self, ids: list[int]) -> str:
        return str(self.tokenizer.decode(ids, skip_special_tokens=True)).strip()


def _rng(seed: int | None) -> torch.Generator | None:
    if seed is None:
        return None
    import torch

    return torch.Generator().manual_seed(seed)


def _partial(text: str) -> str:
    """Hold back a trailing half-decoded byte sequence (shown as U+FFFD)."""
    return text.rstrip("\ufffd")
