"""FAQ retrieval with the packaged MiniLM: paraphrases find their answer, strangers do not."""

from __future__ import annotations

import pytest

from models.generation.faq import FaqBank, FaqError
from models.generation.responder import ReplyRequest, Responder
from models.generation.retrieval import FaqSelector
from models.generation.templates import ResponseTemplates
from tests.helpers.apps import concierge_file

# Paraphrases that share few words with the bank's questions.
PROBES = {
    "are dogs allowed inside?": "pets",
    "where do I leave my car": "parking",
    "I'm vegan, is there anything for me?": "vegan",
    "my son is allergic to peanuts": "allergies",
    "can I come in a wheelchair": "wheelchair",
    "do you accept visa": "payment",
    "should I wear a suit?": "dress_code",
    "we are 15 people and want a private party": "large_groups",
    "is there internet access": "wifi",
    "do you have a high chair for my baby": "children",
}


@pytest.fixture(scope="module")
def selector(embedder) -> FaqSelector:  # type: ignore[no-untyped-def]
    faq = concierge_file("generation", "CHORUS_GENERATION_FAQ")
    return FaqSelector(FaqBank.from_file(faq), embedder.embed)


def test_paraphrased_questions_retrieve_the_right_answer(selector: FaqSelector, embedder) -> None:  # type: ignore[no-untyped-def]
    matches = selector.select(embedder.embed(list(PROBES)))
    got = {
        probe: m.entry.key if m and m.accepted else None
        for probe, m in zip(PROBES, matches, strict=True)
    }
    correct = sum(got[p] == key for p, key in PROBES.items())
    assert correct >= 9, got  # 10 probes; one miss tolerated, not more


def test_unrelated_text_stays_under_the_threshold(selector: FaqSelector, embedder) -> None:  # type: ignore[no-untyped-def]
    matches = selector.select(embedder.embed(["what is the capital of mongolia", "2 + 2"]))
    assert all(m is not None and not m.accepted for m in matches), matches


async def test_the_responder_answers_faq_actions_by_retrieval_else_the_template(
    embedder,  # type: ignore[no-untyped-def]
    fixture_templates: ResponseTemplates,
) -> None:
    bank = FaqBank.from_mapping(
        {
            "threshold": 0.5,
            "actions": ["utter_faq"],
            "entries": [
                {"key": "pets", "questions": ["Can I bring my dog?"], "answer": "Dogs welcome."}
            ],
        }
    )
    responder = Responder(
        fixture_templates, selector=FaqSelector(bank, embedder.embed), embed=embedder.embed
    )
    await responder.start()
    try:
        hit = await responder.respond(ReplyRequest("utter_faq", text="are pets allowed"))
        miss = await responder.respond(ReplyRequest("utter_faq", text="what's the capital of peru"))
        # a non-FAQ action is never answered by retrieval, even for a matching text
        other = await responder.respond(ReplyRequest("utter_greet", text="are pets allowed"))
    finally:
        await responder.stop()
    assert (hit.text, hit.source) == ("Dogs welcome.", "retrieval")
    assert hit.model is not None and hit.model.name == "faq-retrieval"
    assert (miss.text, miss.source) == ("Sorry, I don't know the answer to that one.", "template")
    assert other.source == "template"


def test_bad_faq_files_are_rejected() -> None:
    with pytest.raises(FaqError):
        FaqBank.from_mapping({"entries": [{"key": "x", "questions": [], "answer": "y"}]})
    with pytest.raises(FaqError):
        FaqBank.from_mapping({"threshold": 3, "entries": []})
