"""A byte-level BPE tokenizer trained on the generation corpus in well under a second.

Slot placeholders (`[time]`) and action names are whole tokens, so the model
emits a placeholder in one step and can never half-spell it. The result is a
`PreTrainedTokenizerFast`, saved and loaded like any Hugging Face tokenizer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from models.generation.corpus import ACT, EOS, PAD, RESP, SPECIAL_TOKENS

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast


def train_tokenizer(
    texts: Iterable[str], *, vocab_size: int, whole_words: Iterable[str] = ()
) -> PreTrainedTokenizerFast:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer)
    tokenizer.add_tokens([AddedToken(w, normalized=False) for w in sorted(set(whole_words))])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[ACT, RESP],
        padding_side="left",
    )
