"""The offline reply composer: it answers what the latest message asks, keeps list items with their lead-in,
never repeats what was already said or tried, frames the reply without asserting anything, and signs with the
configured names. Checked on passages written here and on a knowledge base the product does not ship."""
from __future__ import annotations

import re

import pytest

from chains.offline.compose import (
    APOLOGY,
    HOLDING,
    OPENER,
    WARM,
    Passage,
    compose_reply,
    customer_asks,
    default_sign_off,
    passage_statements,
    select_statements,
)

MARKER = re.compile(r"\s?\[\d+\]")
FEES = Passage(n=1, id="bike-fees#0", article="bike-fees", title="Rental fees", section="Late returns", score=0.3, text=(
    "A standard bike costs ₩15,000 per day.\n"
    "Late returns are charged as follows:\n"
    "- ₩5,000 for each started hour after the return time;\n"
    "- the full day rate after 3 hours.\n"
    "Do you need a child seat?\n"
    "Helmets are included with every rental."))
STEPS = Passage(n=2, id="bike-fees#1", article="bike-fees", title="Rental fees", section="Extending a rental", score=0.25,
                text=("1. Open the app and choose My rentals.\n"
                      "2. Select Extend and pick the new return time.\n"
                      "3. The extension is charged to the card you rented with."))
OTHER = Passage(n=3, id="bike-care#0", article="bike-care", title="Looking after your bike", section="", score=0.05,
                text="Lock the bike to a fixed rack whenever you leave it, even for a short time.")


def _reply(question: str, tone: str = "concise", passages=(FEES, STEPS, OTHER), **kw) -> str:
    defaults = dict(context=question, tone=tone, lang="en", sentiment="neutral", customer="Ada", agent="Jo Kim",
                    company="Velo Hire", answerable=True)
    defaults.update(kw)
    return compose_reply(list(passages), question, **defaults)


def _body(reply: str) -> list[str]:
    return [MARKER.sub("", line).strip() for line in reply.splitlines() if MARKER.search(line)]


def test_compose_list_items_keep_their_lead_in():
    statements = [s.text for s in passage_statements(FEES)]

    assert ("Late returns are charged as follows: ₩5,000 for each started hour after the return time; "
            "the full day rate after 3 hours.") in statements
    assert not any(s.startswith(("₩5,000", "The full day")) for s in statements)


def test_compose_leaves_out_questions_written_in_the_kb():
    assert not any(s.text.endswith("?") for s in passage_statements(FEES))


def test_compose_concise_answers_the_latest_question_in_at_most_three_sentences():
    reply = _reply("Hi, I returned the bike two hours late. How much will I be charged for that?")
    body = " ".join(_body(reply))

    assert "₩5,000 for each started hour" in body
    assert "Lock the bike" not in body  # the neighbouring article shares no part of the question
    assert 1 <= len(re.findall(r"\[\d+\]", reply)) <= 3


def test_compose_answers_each_question_of_the_latest_message():
    reply = _reply("How much is a bike per day? And are helmets included?")
    body = " ".join(_body(reply))

    assert "₩15,000 per day" in body and "Helmets are included" in body


def test_compose_never_repeats_what_the_agent_already_said():
    said = "Helmets are included with every rental, so no need to bring one."
    reply = _reply("Great. Do I need to bring a helmet, and what does a bike cost per day?", agent_turns=[said])

    assert "Helmets are included" not in " ".join(_body(reply))


def test_compose_skips_advice_the_customer_says_they_already_tried():
    passage = Passage(n=1, id="app#0", article="app", title="App problems", score=0.3, text=(
        "Restart the app and sign in again.\nIf the map stays blank, allow location access in your phone settings."))
    reply = _reply("I already restarted the app and signed in again. The map is still blank, what now?",
                   passages=[passage], customer_turns=["I already restarted the app and signed in again. "
                                                       "The map is still blank, what now?"])

    body = " ".join(_body(reply))
    assert "allow location access" in body and "Restart the app" not in body


def test_compose_opener_thanks_without_asserting_a_situation():
    first = _reply("How much is a bike per day?")
    follow_up = _reply("How much is a bike per day?", agent_turns=["Hello Ada, how can I help?"])

    assert first.splitlines()[2] == OPENER["en"]["first"]
    assert follow_up.splitlines()[2] == OPENER["en"]["follow_up"]
    assert APOLOGY["en"] not in first
    assert APOLOGY["en"] in _reply("This is ridiculous, how much is a bike per day?", sentiment="negative")


def test_compose_warm_changes_tone_not_facts():
    question = "How much will two hours late cost me?"
    warm, concise = _reply(question, tone="warm"), _reply(question)

    assert WARM["en"] in warm
    assert _body(warm) == _body(concise)
    assert "looked into" not in warm.lower()


def test_compose_detailed_adds_next_steps_from_the_cited_passages():
    question = "I'm running late, can I extend my rental, and what does a late return cost?"
    detailed, concise = _reply(question, tone="detailed"), _reply(question)

    assert len(_body(detailed)) > len(_body(concise))
    assert set(_body(concise)) <= set(_body(detailed))


def test_compose_holding_reply_claims_no_action_when_the_kb_cannot_answer():
    reply = _reply("Can you deliver a bike to my hotel?", answerable=False)

    assert HOLDING["en"] in reply and not MARKER.search(reply)
    assert "checking" not in reply.lower() and "looked into" not in reply.lower()


@pytest.mark.parametrize(("agent", "lang", "expected"), [
    ("Jo Kim", "en", "Best regards,\nJo Kim\nVelo Hire Support"),
    ("", "en", "Best regards,\nVelo Hire Support"),
    ("김조", "ko", "감사합니다.\nVelo Hire 고객센터 김조 드림"),
    ("", "ko", "감사합니다.\nVelo Hire 고객센터 드림"),
    ("Support team", "ko", "감사합니다.\nVelo Hire 고객센터 드림"),
    ("Support team", "en", "Best regards,\nVelo Hire Support"),
])
def test_compose_sign_off_uses_the_agent_and_company(agent, lang, expected):
    assert default_sign_off(agent, "Velo Hire", lang) == expected


def test_compose_asks_are_the_questions_of_the_latest_message():
    asks = customer_asks("Morning. The bike was fine. How much is the late fee? Can you send a receipt?")

    assert asks == ["How much is the late fee?", "Can you send a receipt?"]


def test_compose_statement_order_follows_the_asks():
    chosen = select_statements([FEES, STEPS], "Are helmets included? And how much is a bike per day?", "", 3)

    assert [s.text for s in chosen] == ["Helmets are included with every rental.",
                                       "A standard bike costs ₩15,000 per day."]


# -- a knowledge base and tickets the product has never seen, end to end through assist() ----------------------
UNSEEN_KB = {
    "late-returns": ("Late returns and extensions", """# Late returns and extensions

Bikes are due back at the return time shown in your booking.

## Late fees
Late returns are charged as follows:
- ₩5,000 for each started hour after the return time;
- the full day rate once you are more than 3 hours late.

## Extending a rental
1. Open the app and choose My rentals.
2. Select Extend and pick the new return time.
3. The extension is charged to the card you rented with.
"""),
    "flat-tyre": ("Flat tyre or breakdown during a rental", """# Flat tyre or breakdown during a rental

If a tyre goes flat or the chain breaks, stop riding and call roadside help on 1588-0000. A mechanic reaches
most city locations within 45 minutes. Repairs for normal wear are free; damage from a crash is charged at cost.
"""),
    "deposits": ("Deposits", """# Deposits

We hold a ₩50,000 deposit on your card when the rental starts. The hold is released within 3 business days
after you return the bike undamaged.
"""),
}


@pytest.fixture(scope="module")
def unseen_deps(tmp_path_factory, real_embedder, offline_model):
    from chains.pipeline import AssistDeps
    from knowledge.build import build_in_memory
    from knowledge.loaders import load_folder

    folder = tmp_path_factory.mktemp("velo-kb")
    for article_id, (title, body) in UNSEEN_KB.items():
        (folder / f"{article_id}.md").write_text(f"---\nid: {article_id}\ntitle: {title}\nlang: en\n---\n{body}",
                                                 encoding="utf-8")
    index = build_in_memory(load_folder(folder).articles, real_embedder)
    return AssistDeps(model=offline_model, index=index, offline=offline_model, company_name="Velo Hire",
                      agent_name="Jo Kim")


def _assist(deps, turns):
    from chains.pipeline import assist
    from core.types import Message, Ticket

    ticket = Ticket(id="V-1", subject="Question about my rental",
                    messages=[Message(role=role, text=text) for role, text in turns])
    return assist(ticket, deps)


@pytest.mark.parametrize(("question", "fact", "off_topic"), [
    ("I brought the bike back about two hours after my return time. How much extra will I pay?",
     "₩5,000 for each started hour", ("deposit", "roadside")),
    ("The chain broke during my rental and I had to stop riding. What should I do now?",
     "call roadside help", ("late return", "deposit")),
    ("When do I get my deposit back? I returned the bike yesterday.",
     "released within 3 business days", ("late return", "roadside")),
])
def test_compose_unseen_kb_drafts_state_the_answering_fact(unseen_deps, question, fact, off_topic):
    result = _assist(unseen_deps, [("customer", question)])
    concise = next(d for d in result.drafts if d.tone == "concise")
    body = " ".join(_body(concise.text))

    assert not concise.abstained
    assert fact in body
    assert not any(word in body.lower() for word in off_topic)
    assert "Jo Kim" in concise.text and "Velo Hire" in concise.text
    assert "Maru Market" not in concise.text
