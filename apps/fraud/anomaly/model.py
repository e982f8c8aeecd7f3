"""The risk model: logistic regression over standardised features, in torch.

Chosen because its explanation is exact: the logit is a sum of one term per
feature, weight x standardised value, so `reasons` are the features with the
largest positive terms, not an approximation of the model. It beats the rules
baseline by weighing all features together (docs/fraud.md has the figures).

Files of a version: `model.safetensors` (weight, bias, mean, std) and
`model.json` (feature names, the alert threshold used for precision/recall).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from apps.fraud.anomaly.vector import NAMES

MAX_REASONS = 3
MIN_CONTRIBUTION = 0.5  # logit units: smaller pushes are not worth naming


@dataclass
class RiskModel:
    weight: torch.Tensor  # (features,)
    bias: torch.Tensor  # ()
    mean: torch.Tensor
    std: torch.Tensor
    names: tuple[str, ...] = NAMES
    threshold: float = 0.5

    def logits_and_terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        terms = (x - self.mean) / self.std * self.weight
        return terms.sum(-1) + self.bias, terms

    def score(self, rows: Sequence[Sequence[float]]) -> list[tuple[float, list[str]]]:
        """Each row's probability of fraud and the features that pushed it up most."""
        with torch.inference_mode():
            logits, terms = self.logits_and_terms(torch.tensor(rows, dtype=torch.float32))
            scores = torch.sigmoid(logits).tolist()
            top = terms.topk(min(MAX_REASONS, len(self.names)), dim=-1)
        out = []
        for score, values, indices in zip(
            scores, top.values.tolist(), top.indices.tolist(), strict=True
        ):
            reasons = [
                self.names[i] for v, i in zip(values, indices, strict=True) if v >= MIN_CONTRIBUTION
            ]
            out.append((score, reasons))
        return out

    def save(self, folder: Path, **about: str) -> None:
        """Write the version's files; `about` (e.g. name, version) goes into model.json."""
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {"weight": self.weight, "bias": self.bias, "mean": self.mean, "std": self.std}
        save_file({k: v.contiguous() for k, v in tensors.items()}, folder / "model.safetensors")
        meta = {
            **about,
            "kind": "logistic_regression",
            "features": list(self.names),
            "threshold": self.threshold,
        }
        (folder / "model.json").write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path) -> RiskModel:
        meta = json.loads((folder / "model.json").read_text())
        if tuple(meta["features"]) != NAMES:
            raise ValueError(
                f"{folder}: trained on features {meta['features']}, "
                f"this code computes {list(NAMES)}"
            )
        t = load_file(folder / "model.safetensors")
        return cls(t["weight"], t["bias"], t["mean"], t["std"], NAMES, float(meta["threshold"]))


def fit(
    rows: Sequence[Sequence[float]],
    labels: Sequence[bool],
    *,
    epochs: int = 300,
    lr: float = 0.05,
    l2: float = 1e-3,
    seed: int = 0,
    class_weight: float = 0.0,
) -> tuple[RiskModel, float]:
    """Full-batch Adam on log loss; returns the model and its final loss.

    `class_weight` (0 to 1) moves the fraud class's weight from 1 towards balancing the
    classes; 0 keeps scores calibrated probabilities, which the alert thresholds expect.
    """
    torch.manual_seed(seed)
    x = torch.tensor(rows, dtype=torch.float32)
    y = torch.tensor([float(v) for v in labels])
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    z = (x - mean) / std
    weight = torch.zeros(x.shape[1], requires_grad=True)
    bias = torch.zeros((), requires_grad=True)
    positives = float(y.sum().clamp_min(1.0))
    pos_weight = torch.tensor(1.0 + class_weight * ((len(y) - positives) / positives - 1.0))
    optimizer = torch.optim.Adam([weight, bias], lr=lr)
    loss = torch.tensor(0.0)
    for _ in range(epochs):
        optimizer.zero_grad()
        logits = z @ weight + bias
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight)
            + l2 * weight.pow(2).sum()
        )
        loss.backward()
        optimizer.step()
    model = RiskModel(weight.detach().clone(), bias.detach().clone(), mean, std)
    return model, float(loss.detach())
