"""The generator's training data: delexicalised template variants behind an action prompt.

A sample reads `<act> utter_booked [party_size] [time] <resp> Booked for
[party_size] at [time].` The prompt lists the action's slots that have values,
so for every subset of an action's slots the targets are exactly the variants
that subset can fill. The same prompt is built at inference time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from models.generation.templates import ResponseTemplates

ACT = "<act>"
RESP = "<resp>"
EOS = "<eos>"
PAD = "<pad>"
SPECIAL_TOKENS = (PAD, EOS, ACT, RESP)
MAX_SLOTS_PER_ACTION = 8  # 2**8 slot subsets per action at most


@dataclass(frozen=True)
class Example:
    action: str
    slots: tuple[str, ...]
    prompt: str
    target: str


def prompt_for(action: str, slot_names: Iterable[str]) -> str:
    return " ".join([ACT, action, *(f"[{n}]" for n in sorted(slot_names)), RESP])


def prompt_slots(templates: ResponseTemplates, action: str, values: Mapping[str, str]) -> list[str]:
    """The action's slots that have a value: what the prompt mentions."""
    return sorted(templates.slot_names(action) & set(values))


def build_corpus(templates: ResponseTemplates) -> list[Example]:
    """One example per (action, filled-slot subset, eligible variant)."""
    examples: list[Example] = []
    for action in templates.actions():
        names = sorted(templates.slot_names(action))
        if len(names) > MAX_SLOTS_PER_ACTION:
            raise ValueError(
                f"action {action} mentions {len(names)} slots; the generator supports "
                f"{MAX_SLOTS_PER_ACTION}"
            )
        for size in range(len(names) + 1):
            for subset in combinations(names, size):
                prompt = prompt_for(action, subset)
                for template in templates.eligible(action, subset):
                    examples.append(Example(action, subset, prompt, template.delexicalised))
    return examples


def signatures(examples: Iterable[Example]) -> list[tuple[str, tuple[str, ...]]]:
    """Distinct (action, slots) prompts, in corpus order."""
    seen: dict[tuple[str, tuple[str, ...]], None] = {}
    for example in examples:
        seen.setdefault((example.action, example.slots), None)
    return list(seen)


def corpus_hash(examples: Iterable[Example]) -> str:
    raw = json.dumps([[e.prompt, e.target] for e in examples], ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()
