"""The conversations `bench/pipeline.py` plays: booking forms, FAQ questions and small talk.

Each virtual user opens a new conversation, says every message of one script in
order (waiting for each answer), then opens the next. Messages vary (names, party
sizes, times) so the NLU sees different utterances and bookings are distinct rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable

NAMES = ["Ana", "Sam", "Lea", "Omar", "Kim", "Paul", "Mia", "Jon", "Eva", "Ravi"]
CUISINES = ["italian", "french", "vegetarian", "japanese"]
TIMES = ["7pm", "8pm", "19:30", "6pm", "8:30pm"]


def booking(rng: random.Random) -> list[str]:
    """The booking form, one slot per message, ending in a confirmed booking."""
    size = rng.choice(["2", "3", "4", "two", "5"])
    return [
        rng.choice(
            [
                f"I want to book a table for {size} people tomorrow",
                f"book a table for {size} people tomorrow",
                f"can i make a reservation for {size} people tomorrow?",
            ]
        ),
        f"at {rng.choice(TIMES)} please",
        rng.choice(CUISINES),
        f"my name is {rng.choice(NAMES)}",
        "thanks",
    ]


def faq(rng: random.Random) -> list[str]:
    """Questions answered from templates (hours, location) and the FAQ bank (retrieval)."""
    questions = [
        "when are you open?",
        "what are your opening hours?",
        "where are you located?",
        "Is there parking nearby?",
        "Can I bring my dog?",
        "Do you have vegan options?",
        "Are children welcome?",
        "I have a nut allergy, can you accommodate that?",
    ]
    return ["hello", *rng.sample(questions, 3), "thank you", "bye"]


def small_talk(rng: random.Random) -> list[str]:
    """Greetings, thanks and out-of-scope chatter."""
    return [
        rng.choice(["hi", "hey there", "hello there"]),
        rng.choice(["tell me a joke", "what's the weather like?", "how do i fix my car?"]),
        rng.choice(["thanks a lot", "cheers", "many thanks"]),
        rng.choice(["bye", "see you later"]),
    ]


SCRIPTS: dict[str, Callable[[random.Random], list[str]]] = {
    "booking": booking,
    "faq": faq,
    "small_talk": small_talk,
}
