"""The artefact's ``tokenizer.json`` through the ``tokenizers`` library, without transformers.

Importing ``transformers.AutoTokenizer`` costs about 0.7 s at start-up; the Rust
tokenizer it wraps loads in 10 ms. This adapter answers the one call shape that
``models.nlu.tagging.encode`` makes (ids, offsets and word ids per utterance), so
serving gives the same pieces as training did; a test compares the two.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")


class _Batch:
    def __init__(self, encodings: list[Any]) -> None:
        self._encodings = encodings
        self._fields = {
            "input_ids": [e.ids for e in encodings],
            "offset_mapping": [e.offsets for e in encodings],
        }

    def __getitem__(self, key: str) -> list[Any]:
        return self._fields[key]

    def word_ids(self, i: int) -> list[int | None]:
        return list(self._encodings[i].word_ids)


class FastTokenizer:
    """Called like a transformers fast tokenizer by ``encode``: texts in, a batch out."""

    def __init__(self, directory: str | Path) -> None:
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        self._tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._max_length: int | None = None
        config_file = self.directory / "tokenizer_config.json"
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
        pad = config.get("pad_token", "[PAD]")
        self.pad_token_id: int = self._tokenizer.token_to_id(pad) or 0

    def __call__(
        self,
        texts: Sequence[str],
        *,
        truncation: bool = True,
        max_length: int = 512,
        return_offsets_mapping: bool = True,
        add_special_tokens: bool = True,
    ) -> _Batch:
        wanted = max_length if truncation else None
        if wanted != self._max_length:
            if wanted is None:
                self._tokenizer.no_truncation()
            else:
                self._tokenizer.enable_truncation(wanted)
            self._max_length = wanted
        return _Batch(
            self._tokenizer.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        )

    def save_pretrained(self, directory: str | Path) -> None:
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for name in TOKENIZER_FILES:
            source = self.directory / name
            if source.is_file() and source.resolve() != (target / name).resolve():
                shutil.copyfile(source, target / name)
