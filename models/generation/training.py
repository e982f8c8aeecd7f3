"""Train the shipped default generator: a tiny GPT-2 on delexicalised templates.

Everything is built here from the domain file in seconds to minutes on one CPU
thread: the corpus, a byte-level BPE tokenizer and a GPT-2 from a small config.
Training stops at `max_steps` or at the wall-clock budget, whichever comes
first; with the same seed and a step limit that is reached, two runs produce
identical weights. The result is evaluated by generating for every prompt the
corpus contains and running the slot guard over the outputs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.encoder import configure_torch
from models.generation.card import GeneratorCard
from models.generation.corpus import (
    EOS,
    Example,
    build_corpus,
    corpus_hash,
    signatures,
)
from models.generation.evaluation import evaluate_generator
from models.generation.generator import CausalGenerator
from models.generation.templates import ResponseTemplates
from models.generation.tokenizer import train_tokenizer

# step, max_steps, loss
Progress = Callable[[int, int, float], None]


@dataclass(frozen=True)
class TrainingConfig:
    seed: int = 0
    max_steps: int = 600
    time_budget_s: float = 180.0
    batch_size: int = 32
    learning_rate: float = 3e-3
    n_layer: int = 2
    n_embd: int = 128
    n_head: int = 4
    n_positions: int = 128
    vocab_size: int = 600
    eval_seeds: int = 3  # sampled generations per prompt in the evaluation
    threads: int | None = None


@dataclass(frozen=True)
class TrainingResult:
    path: Path
    card: GeneratorCard
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def data_hash(self) -> str:
        return self.card.data_hash


class TrainingError(ValueError):
    """Nothing to train on, or a config that cannot work."""


def train_generator(
    templates: ResponseTemplates,
    out_dir: str | Path,
    *,
    name: str,
    version: str,
    config: TrainingConfig | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Train, save to `out_dir` (HF format + card), reload from disk and evaluate."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    config = config or TrainingConfig()
    configure_torch(config.threads)
    examples = build_corpus(templates)
    if not examples:
        raise TrainingError("the domain has no responses to train on")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    words = [f"[{s}]" for s in templates.all_slot_names()] + templates.actions()
    tokenizer = train_tokenizer(
        [f"{e.prompt} {e.target}" for e in examples],
        vocab_size=config.vocab_size,
        whole_words=words,
    )
    rows = [_encode(tokenizer, e) for e in examples]
    longest = max(len(ids) for ids, _ in rows)
    if longest > config.n_positions:
        raise TrainingError(
            f"the longest sample has {longest} tokens; raise n_positions ({config.n_positions})"
        )

    torch.manual_seed(config.seed)
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=config.n_positions,
            n_embd=config.n_embd,
            n_layer=config.n_layer,
            n_head=config.n_head,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    model.loss_type = "ForCausalLM"  # GPT2LMHeadModel's name does not map to a loss
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    sampler = torch.Generator().manual_seed(config.seed)
    losses: list[float] = []
    started = time.perf_counter()
    model.train()
    step = 0
    while step < config.max_steps and time.perf_counter() - started < config.time_budget_s:
        picks = torch.randint(len(rows), (config.batch_size,), generator=sampler).tolist()
        input_ids, labels, attention = _batch([rows[i] for i in picks], tokenizer.pad_token_id)
        loss = model(input_ids=input_ids, attention_mask=attention, labels=labels).loss
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        losses.append(loss.item())
        if progress is not None:
            progress(step, config.max_steps, losses[-1])
    train_seconds = time.perf_counter() - started

    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    tail = losses[-20:]
    metrics: dict[str, Any] = {
        "loss": round(sum(tail) / len(tail), 4),
        "steps": step,
        "train_seconds": round(train_seconds, 2),
        "parameters": sum(p.numel() for p in model.parameters()),
        "examples": len(examples),
        "seed": config.seed,
    }
    longest_target = max(len(ids) - prompt_len for ids, prompt_len in rows)
    card = GeneratorCard(
        name=name,
        version=version,
        format="delex",
        max_new_tokens=longest_target + 8,
        signatures=signatures(examples),
        metrics=metrics,
        data_hash=corpus_hash(examples),
    )
    card.save(out)

    # Evaluate what was saved, not the object in memory: proves the directory loads.
    loaded = CausalGenerator.load(out, threads=config.threads)
    metrics.update(evaluate_generator(loaded, templates, seeds=config.eval_seeds))
    card = GeneratorCard(**{**card.__dict__, "metrics": metrics})
    card.save(out)
    return TrainingResult(out, card, metrics)


def _encode(tokenizer: Any, example: Example) -> tuple[list[int], int]:
    """Token ids of prompt + target + eos, and how many leading ids are prompt."""
    prompt = tokenizer(example.prompt)["input_ids"]
    target = tokenizer(f" {example.target}{EOS}")["input_ids"]
    return prompt + target, len(prompt)


def _batch(rows: list[tuple[list[int], int]], pad: int) -> tuple[Any, Any, Any]:
    """Right-padded ids, labels (-100 on prompt and padding) and attention mask."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for r, (ids, prompt_len) in enumerate(rows):
        input_ids[r, : len(ids)] = torch.tensor(ids)
        labels[r, prompt_len : len(ids)] = torch.tensor(ids[prompt_len:])
        attention[r, : len(ids)] = 1
    return input_ids, labels, attention
