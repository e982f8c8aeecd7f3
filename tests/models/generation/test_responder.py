"""The layered responder with real models: the guard keeps wrong generated text from users."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from models.generation.generator import CausalGenerator
from models.generation.reply import ReplyChunk
from models.generation.responder import ReplyRequest, Responder, ResponderOptions
from models.generation.templates import ResponseTemplates
from models.generation.tokenizer import train_tokenizer
from models.generation.training import TrainingConfig, TrainingResult, train_generator

BOOKED = {"party_size": "4", "time": "19:30"}
CURRENT = ResponseTemplates.from_mapping(
    {"utter_booked": ["Booked {party_size} guests at {time}."]}
)
# What the generator was trained on: an older wording with one variant that drops
# {time} and one that states a table number no current template has.
STALE = ResponseTemplates.from_mapping(
    {
        "utter_booked": [
            "Booked {party_size} guests.",
            "Booked {party_size} guests at {time}, table 7.",
            "Booked {party_size} guests at {time}.",
        ]
    }
)


def _replay(chunks: list[ReplyChunk]) -> str:
    """What a client shows after applying the chunks (a reset replaces the text)."""
    shown = ""
    for chunk in chunks:
        shown = chunk.delta if chunk.reset else shown + chunk.delta
        assert shown == chunk.text
    return shown


@pytest.fixture(scope="module")
def stale_generator(tmp_path_factory: pytest.TempPathFactory) -> CausalGenerator:
    config = TrainingConfig(
        seed=1, max_steps=120, n_layer=2, n_embd=64, n_head=2, vocab_size=300, eval_seeds=0
    )
    out = tmp_path_factory.mktemp("stale")
    train_generator(STALE, out, name="stale", version="1", config=config)
    return CausalGenerator.load(out)


async def test_guard_replaces_dropped_and_invented_slots_with_the_template(
    stale_generator: CausalGenerator,
) -> None:
    responder = Responder(CURRENT, generator=stale_generator)
    await responder.start()
    replies, streams = [], []
    try:
        for seed in range(12):
            chunks = [
                c async for c in responder.stream(ReplyRequest("utter_booked", BOOKED, seed=seed))
            ]
            streams.append(chunks)
            replies.append(chunks[-1].reply)
    finally:
        await responder.stop()
    # Whatever the model wrote, users only ever see the correct sentence.
    assert {r.text for r in replies} == {"Booked 4 guests at 19:30."}
    sources = [r.source for r in replies]
    assert "generative" in sources and "template" in sources, sources
    assert responder.stats.guard_rejections == sources.count("template")
    reasons = " | ".join(reason for _text, reason in responder.stats.rejections)
    assert "drops time" in reasons and "invents 7" in reasons, reasons
    for chunks, reply in zip(streams, replies, strict=True):
        assert chunks[-1].done and _replay(chunks) == reply.text
        if reply.source == "template":  # what was streamed was wrong: the client was reset
            assert any(c.reset for c in chunks)
        else:
            assert not any(c.reset for c in chunks) and len(chunks) > 3


async def test_generated_replies_fill_the_slot_values(
    trained_generator: TrainingResult, fixture_templates: ResponseTemplates
) -> None:
    responder = Responder(fixture_templates, generator=CausalGenerator.load(trained_generator.path))
    values = {"party_size": "3", "date": "Sunday", "time": "13:00", "name": "Lin", "cuisine": None}
    await responder.start()
    try:
        replies = [
            await responder.respond(ReplyRequest("utter_confirm_booking", values, seed=s))
            for s in range(6)
        ]
    finally:
        await responder.stop()
    assert all(r.source == "generative" for r in replies), replies
    assert all(r.model is not None and r.model.version == "v-test" for r in replies)
    for reply in replies:
        for value in ("3", "Sunday", "13:00"):
            assert value in reply.text, reply.text
    assert len({r.text for r in replies}) >= 2  # sampling gives variety across turns


async def test_an_unwatched_reply_is_one_chunk_and_a_watched_one_grows_token_by_token(
    trained_generator: TrainingResult, fixture_templates: ResponseTemplates
) -> None:
    responder = Responder(fixture_templates, generator=CausalGenerator.load(trained_generator.path))
    values = {"party_size": "3", "date": "Sunday", "time": "13:00", "name": "Lin", "cuisine": None}
    request = ReplyRequest("utter_confirm_booking", values, seed=2)
    asked = 0

    def from_the_third_token() -> bool:  # a subscriber joins while the reply is generated
        nonlocal asked
        asked += 1
        return asked >= 3

    async def collect(watched: Callable[[], bool] | None) -> list[ReplyChunk]:
        return [chunk async for chunk in responder.stream(request, watched=watched)]

    await responder.start()
    try:
        always = await collect(None)
        never = await collect(lambda: False)
        later = await collect(from_the_third_token)
    finally:
        await responder.stop()
    reply = always[-1].reply
    assert reply is not None and reply.source == "generative"
    assert len(always) > 3 and _replay(always) == reply.text
    # the same seed gives the same text; unwatched, it comes whole before the last chunk
    assert [(c.delta, c.done) for c in never] == [(reply.text, False), ("", True)]
    assert never[-1].reply == reply
    assert _replay(later) == reply.text and later[-1].reply == reply
    # from the third token on, the text so far in one chunk, then the rest as it grows
    assert asked >= 3 and len(later) <= len(always)
    assert later[0].text in {chunk.text for chunk in always}


async def test_prompts_the_generator_never_saw_skip_it(
    trained_generator: TrainingResult, fixture_templates: ResponseTemplates
) -> None:
    """The domain grew after training: new actions are answered by their template."""
    grown = ResponseTemplates.from_mapping(
        {
            **{
                a: [t.text for t in fixture_templates.variants(a)]
                for a in fixture_templates.actions()
            },
            "utter_new_menu": ["Try our new {cuisine} menu!"],
        }
    )
    generator = CausalGenerator.load(trained_generator.path)
    responder = Responder(grown, generator=generator)
    await responder.start()
    try:
        new = await responder.respond(ReplyRequest("utter_new_menu", {"cuisine": "thai"}))
        silent = await responder.respond(ReplyRequest("action_listen"))
        known = await responder.respond(ReplyRequest("utter_greet"))
    finally:
        await responder.stop()
    assert (new.text, new.source) == ("Try our new thai menu!", "template")
    assert (silent.text, silent.source, silent.model) == ("", "none", None)
    assert known.source == "generative"
    assert responder.stats.guard_rejections == 0


async def test_any_hf_causal_lm_directory_is_served_behind_the_guard(
    tmp_path: Path, fixture_templates: ResponseTemplates
) -> None:
    """A directory without our card (here an untrained GPT-2) is prompted with the values."""
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = train_tokenizer(["Booked a table for four at seven."] * 3, vocab_size=300)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(
        GPT2Config(vocab_size=len(tokenizer), n_positions=512, n_embd=32, n_layer=1, n_head=2)
    )
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    generator = CausalGenerator.load(tmp_path)
    assert not generator.delexicalised and generator.version == "local"
    responder = Responder(
        fixture_templates, generator=generator, options=ResponderOptions(max_new_tokens=12)
    )
    values = {"party_size": "4", "date": "Friday", "time": "19:30", "name": "Ada"}
    await responder.start()
    try:
        reply = await responder.respond(ReplyRequest("utter_confirm_booking", values, seed=1))
    finally:
        await responder.stop()
    assert reply.source == "template"
    assert responder.stats.guard_rejections == 1
    assert "19:30" in reply.text and "Ada" in reply.text


async def test_without_a_generator_the_template_answers(
    fixture_templates: ResponseTemplates,
) -> None:
    responder = Responder(fixture_templates)
    reply = await responder.respond(ReplyRequest("utter_cuisine_noted", {"cuisine": "thai"}))
    assert reply.source == "template" and "thai" in reply.text
    assert reply.model is not None and reply.model.name == "templates"


async def test_an_overloaded_generator_falls_back_to_the_template(
    trained_generator: TrainingResult, fixture_templates: ResponseTemplates
) -> None:
    generator = CausalGenerator.load(trained_generator.path)
    responder = Responder(
        fixture_templates,
        generator=generator,
        options=ResponderOptions(max_queue=1, max_batch_size=1),
    )
    await responder.start()
    try:
        replies = await asyncio.gather(
            *(responder.respond(ReplyRequest("utter_greet", seed=i)) for i in range(6))
        )
    finally:
        await responder.stop()
    greetings = {t.text for t in fixture_templates.variants("utter_greet")}
    assert all(r.text in greetings for r in replies)
    assert responder.stats.overload_fallbacks >= 1
    assert {r.source for r in replies} == {"generative", "template"}
