"""An inference-only BERT encoder in plain torch, loading the same weights as ``BertModel``.

Serving needs the forward pass and nothing else of transformers; importing
``transformers.models.bert`` alone took 2 to 3 s of a 4.5 s cold start on the dev
box (it pulls in the hub, kernels and ``torch.distributed``), which is most of the
NLU subgraph's time to ready. The parameter names match ``BertModel``'s, so a
trained artefact loads unchanged, and a test checks that both encoders give the
same hidden states. Training keeps using transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class BertEncoderConfig:
    """The fields of a saved ``BertConfig`` that the forward pass uses (plus the raw JSON)."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    raw: dict[str, Any]

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> BertEncoderConfig:
        raw = json.loads((Path(directory) / "config.json").read_text())
        act = raw.get("hidden_act", "gelu")
        position = raw.get("position_embedding_type", "absolute")
        if act != "gelu" or position != "absolute":
            raise ValueError(f"unsupported BERT variant (hidden_act={act}, positions={position})")
        return cls(
            hidden_size=raw["hidden_size"],
            num_hidden_layers=raw["num_hidden_layers"],
            num_attention_heads=raw["num_attention_heads"],
            intermediate_size=raw["intermediate_size"],
            vocab_size=raw["vocab_size"],
            max_position_embeddings=raw["max_position_embeddings"],
            type_vocab_size=raw.get("type_vocab_size", 2),
            layer_norm_eps=raw.get("layer_norm_eps", 1e-12),
            raw=raw,
        )

    def save_pretrained(self, directory: str | Path) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / "config.json").write_text(json.dumps(self.raw, indent=2))


@dataclass(frozen=True)
class EncoderOutput:
    last_hidden_state: torch.Tensor


class _Embeddings(nn.Module):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = self.position_embeddings.weight[: input_ids.shape[1]]
        segment = self.token_type_embeddings.weight[0]  # one segment: type id 0 everywhere
        return self.LayerNorm(self.word_embeddings(input_ids) + positions + segment)


class _SelfAttention(nn.Module):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__()
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)


class _AttentionOutput(nn.Module):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)


class _Attention(nn.Module):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(c)
        self.output = _AttentionOutput(c)


class _Dense(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)


class _Output(_Dense):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)


class _Layer(nn.Module):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _Dense(c.hidden_size, c.intermediate_size)
        self.output = _Output(c)

    def forward(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        sa = self.attention.self
        b, s, width = h.shape
        heads, size = sa.heads, width // sa.heads

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(b, s, heads, size).transpose(1, 2)

        context = F.scaled_dot_product_attention(
            split(sa.query(h)), split(sa.key(h)), split(sa.value(h)), attn_mask=mask
        )
        context = context.transpose(1, 2).reshape(b, s, width)
        ao = self.attention.output
        h = ao.LayerNorm(ao.dense(context) + h)
        inner = F.gelu(self.intermediate.dense(h))
        return self.output.LayerNorm(self.output.dense(inner) + h)


class _Stack(nn.Module):
    def __init__(self, c: BertEncoderConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))


class BertEncoder(nn.Module):
    """``BertModel`` without pooler, cross-attention, caches or dropout: eval-mode forward only."""

    def __init__(self, config: BertEncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Stack(config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> EncoderOutput:
        h = self.embeddings(input_ids)
        # Keys that are padding are masked out; a batch without padding needs no mask.
        mask = None if bool(attention_mask.all()) else attention_mask[:, None, None, :].bool()
        for layer in self.encoder.layer:
            h = layer(h, mask)
        return EncoderOutput(h)
