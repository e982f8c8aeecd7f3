"""Evaluate a delexicalised generator on every prompt its corpus has.

For each (action, filled slots) prompt it generates once greedily and a few
times sampled, then reports how often the slot guard accepts the text (a text
cut off by the token budget counts as rejected, as it is when serving), how
often it is exactly one of the eligible template variants, and how many of the
variants sampling reaches (the variety the generator adds over templates).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from models.generation.corpus import build_corpus, signatures
from models.generation.generator import CausalGenerator, GenerationRequest
from models.generation.guard import SlotGuard
from models.generation.templates import ResponseTemplates

CHUNK = 32
MAX_NEW_TOKENS = 256


def evaluate_generator(
    generator: CausalGenerator, templates: ResponseTemplates, *, seeds: int = 3
) -> dict[str, Any]:
    guard = SlotGuard(templates)
    prompts = signatures(build_corpus(templates))
    jobs: list[tuple[str, tuple[str, ...], int | None]] = []
    for action, slots in prompts:
        jobs.append((action, slots, None))
        jobs.extend((action, slots, seed) for seed in range(1, seeds + 1))

    outputs: list[tuple[str, str]] = []
    per_row_ms: list[float] = []
    for start in range(0, len(jobs), CHUNK):
        chunk = jobs[start : start + CHUNK]
        requests = [
            GenerationRequest(
                generator.prompt(a, {}, list(s)),
                max_new_tokens=generator.budget(MAX_NEW_TOKENS),
                seed=seed,
            )
            for a, s, seed in chunk
        ]
        began = time.perf_counter()
        results = generator(requests)
        per_row_ms.append((time.perf_counter() - began) * 1000 / len(chunk))
        outputs.extend((r.text, r.stop) for r in results)

    accepted = exact = 0
    reached: set[tuple[str, tuple[str, ...], str]] = set()
    possible: set[tuple[str, tuple[str, ...], str]] = set()
    for (action, slots, _seed), (text, stop) in zip(jobs, outputs, strict=True):
        values = {s: f"<{s}>" for s in slots}
        variants = {t.delexicalised for t in templates.eligible(action, slots)}
        possible |= {(action, slots, v) for v in variants}
        if stop == "eos" and guard.check_delexicalised(action, text, values).ok:
            accepted += 1
        if text in variants:
            exact += 1
            reached.add((action, slots, text))
    total = len(jobs) or 1
    return {
        "eval_prompts": len(prompts),
        "eval_outputs": len(jobs),
        "guard_pass_rate": round(accepted / total, 4),
        "template_match_rate": round(exact / total, 4),
        "variant_coverage": round(len(reached) / (len(possible) or 1), 4),
        "generate_ms_per_reply": round(statistics.median(per_row_ms), 2) if per_row_ms else 0.0,
    }
