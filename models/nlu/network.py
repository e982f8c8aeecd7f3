"""The joint network: MiniLM encoder, a pooled intent head and a per-word tag head."""

from __future__ import annotations

import torch
from torch import nn


class JointIntentTagger(nn.Module):
    """Sentence intent from mean-pooled pieces; word tags from each word's mean piece."""

    def __init__(self, encoder: nn.Module, n_intents: int, n_tags: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)  # type: ignore[union-attr]
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden, n_intents)
        self.tag_head = nn.Linear(hidden, n_tags)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, piece_words: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Intent logits (batch x intents) and tag logits (batch x words x tags).

        ``piece_words[b, p]`` is the word index of piece ``p`` (-1: special or padding).
        """
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        states = states.float()
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        # Mean pooling: how all-MiniLM-L6-v2 was trained to embed sentences.
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        n_words = max(1, int(piece_words.max().item()) + 1)
        in_word = (piece_words >= 0).unsqueeze(-1).to(states.dtype)
        index = piece_words.clamp(min=0).unsqueeze(-1)
        batch, _, hidden = states.shape
        sums = states.new_zeros(batch, n_words, hidden).scatter_add_(
            1, index.expand(-1, -1, hidden), states * in_word
        )
        counts = states.new_zeros(batch, n_words, 1).scatter_add_(1, index, in_word)
        words = sums / counts.clamp(min=1.0)
        return self.intent_head(self.dropout(pooled)), self.tag_head(self.dropout(words))


def pad_batch(
    sequences: list[list[int]], piece_words: list[list[int]], pad_id: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-pad; returns ``(input_ids, attention_mask, piece_words)``."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    words = torch.full((len(sequences), width), -1, dtype=torch.long)
    for i, (seq, pw) in enumerate(zip(sequences, piece_words, strict=True)):
        ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[i, : len(seq)] = 1
        words[i, : len(pw)] = torch.tensor(pw, dtype=torch.long)
    return ids, mask, words
