"""Sentence vectors from the packaged MiniLM: mean pooling over tokens, unit length.

The loading itself (offline, thread count) is `models.encoder`'s; this module
only adds the sentence-transformers pooling that all-MiniLM-L6-v2 was trained with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.encoder import ENCODER_NAME, load_encoder, load_tokenizer

if TYPE_CHECKING:
    import torch

MAX_TOKENS = 128


class SentenceEmbedder:
    """`embed(texts)` → (n, 384) float tensor of L2-normalised sentence vectors."""

    name = ENCODER_NAME

    def __init__(self) -> None:
        self.tokenizer = load_tokenizer()
        self.model = load_encoder().eval()

    def embed(self, texts: list[str]) -> torch.Tensor:
        import torch

        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
        )
        with torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)
