"""Framing rules for judgements and content clauses, on sentences written for these tests.

Opinion without the old evaluative word list (the subjectivity lexicon, judgement verbs, nouns of
judgement, the passive of perception, evaluative predicates, a columnist's first person), and the
modal of a noun's content clause. Read as `verbatim add` reads them: index.segment, then
index.claims.analyse with the parse.
"""

from __future__ import annotations

import re

import pytest

from index.claims import Framing, analyse, lowest_commitment
from index.claims.passes import opinion_piece
from index.claims.subjectivity import SUBJECTIVE, judges
from index.segment import paragraphs, sentences


@pytest.fixture(autouse=True, scope="module")
def _parser(claims_parser: None) -> None:
    """Claims are read as `verbatim add` reads them: with the parse."""


def framings(text: str) -> list[Framing]:
    paras = paragraphs(text)
    return analyse(text, paras, [s for p in paras for s in sentences(text, p.start, p.end)])


def claim(text: str, prefix: str) -> tuple[str | None, str | None]:
    """(status, speaker) of the sentence starting with prefix (lowest commitment over its clauses)."""
    start = text.index(prefix)
    tail = re.search(r"[.!?][\"”]?(?:\s|$)", text[start + len(prefix) - 1:])
    stop = start + len(prefix) - 1 + (tail.end() if tail else len(text))
    parts = [f for f in framings(text) if f.end > start and f.start < stop]
    status = lowest_commitment([f.status for f in parts])
    return status, next(f for f in parts if f.status == status).speaker


def status_of(sentence: str) -> str | None:
    return claim(sentence, sentence[:20])[0]


# ----------------------------------------------------------------------------- the subjectivity lexicon

def test_the_lexicon_holds_judgements_and_leaves_out_facts() -> None:
    assert {"magnificent", "dreadful", "absurd", "brilliant"} <= SUBJECTIVE
    assert not {"confirmed", "fake", "guilty", "latest", "dangerous"} & SUBJECTIVE
    assert judges("remarkably", "RB") and judges("dreadfully", "RB") and judges("exceptionally", "RB")
    assert not judges("magnificent", "NN") and not judges("quickly", "RB")


@pytest.mark.parametrize(("sentence", "status"), [
    ("“The rescue crews did a magnificent job,” the mayor, Ana Ortiz, said.", "opinion"),
    ("“The new engine performed remarkably well in the cold,” said engineer Tom Hale.", "opinion"),
    ("“The rescue crews reached the village at noon,” the mayor, Ana Ortiz, said.", "reported"),
])
def test_an_evaluative_adjective_or_adverb_in_a_quotation_is_the_speakers_opinion(sentence: str,
                                                                                  status: str) -> None:
    assert status_of(sentence) == status


# ----------------------------------------------------------------------------- content clauses

def test_a_modal_in_a_nouns_content_clause_is_the_claims_forecast() -> None:
    assert status_of("The minister issued a warning that the government would respond to any strike.") == \
        "forecast"


def test_a_modal_in_a_relative_clause_with_a_gap_is_still_not_the_claims() -> None:
    assert status_of("The museum offers a view that most tourists would never see.") == "stated"


@pytest.mark.parametrize("sentence", [
    "The mayor repeated her view that the tunnel was a waste of money.",
    "The festival has drawn criticism that it has grown too commercial.",
    "The old stadium is widely regarded as the finest ground in the league.",
    "Her second album can be seen as a turning point for the genre.",
])
def test_nouns_of_judgement_and_the_passive_of_perception_are_opinions(sentence: str) -> None:
    assert status_of(sentence) == "opinion"


# ----------------------------------------------------------------------------- verbs of judgement and appeal

@pytest.mark.parametrize("sentence", [
    "The union condemned the closure of the plant.",
    "Local leaders urged the council to reopen the bridge.",
    "The inspectors called for a review of the safety rules.",
    "The coach praised the defence after the match.",
    "The council welcomed the decision to keep the library open.",
    "The volunteers deserve our thanks.",
])
def test_judgement_and_appeal_verbs_are_opinions(sentence: str) -> None:
    assert status_of(sentence) == "opinion"


def test_welcoming_visitors_is_a_fact() -> None:
    assert status_of("The museum welcomed 3,000 visitors on its first weekend.") == "stated"


def test_a_participle_of_appeal_does_not_make_its_object_the_speaker() -> None:
    text = ("Senator Rosa Lind sent a letter to the governor last week calling for an inquiry.\n\n"
            "On Monday, she said the inquiry should start before the summer.")
    status, speaker = claim(text, "Senator Rosa Lind")
    assert status == "opinion" and speaker != "governor"
    assert claim(text, "On Monday")[1] == "Rosa Lind"


# ----------------------------------------------------------------------------- the outlet's own judgement

@pytest.mark.parametrize(("sentence", "status"), [
    ("Keeping the budget balanced is essential.", "opinion"),
    ("The second half was dreadful.", "opinion"),
    ("The new bridge is longer than the old one.", "stated"),
    ("The hall was full by seven o'clock.", "stated"),
    ("Rivera scored a brilliant goal in the second half.", "stated"),  # attributive: the match report's words
])
def test_an_evaluative_predicate_in_the_outlets_voice_is_an_opinion(sentence: str, status: str) -> None:
    assert status_of(sentence) == status


COLUMN = """I grew up two streets from the old ground, and I remember the noise on a Saturday.

My father took me to my first match when I was six.

The club has changed owners three times since then.

I think the new stadium has lost something, and I say that as a season-ticket holder.

The atmosphere on a match day is not what it was."""

NEWS = """The club has changed owners three times since 1990.

"I grew up near the old ground," said fan Mia Cole.

"My father took me to my first match," she added.

"I think the new stadium has lost something," she said.

The atmosphere on a match day is not what it was."""


def test_a_columnists_first_person_makes_an_opinion_piece() -> None:
    assert opinion_piece(COLUMN, paragraphs(COLUMN))
    assert claim(COLUMN, "The atmosphere")[0] == "opinion"


def test_first_person_inside_quotations_is_not_a_column() -> None:
    assert not opinion_piece(NEWS, paragraphs(NEWS))
    assert claim(NEWS, "The atmosphere")[0] == "stated"


def test_world_war_i_is_not_a_first_person() -> None:
    text = "\n\n".join(["Veterans of World War I were honoured in Paris."] * 4)
    assert not opinion_piece(text, paragraphs(text))


# ----------------------------------------------------------------------------- denials and conditions in other words

@pytest.mark.parametrize("sentence", [
    "The company said it had done nothing wrong.",
    "The ministry said there was no truth in the report.",
    "The club said the transfer story was completely false.",
    "The rumour isn't true, his agent said.",
    "The firm said it played no part in the decision.",
    "Police said the break-in never happened.",
    "A spokesman rubbished the claims on Tuesday.",
    "The mayor repudiated the remarks of her deputy.",
])
def test_denials_in_other_words(sentence: str) -> None:
    assert status_of(sentence) == "denied"


@pytest.mark.parametrize("sentence", [
    "A denial-of-service attack took the bank's website offline.",
    "Congress has no role in setting the bank's interest rates.",
    "Analysts said the merger may not happen before June.",
])
def test_denial_lookalikes_are_not_denials(sentence: str) -> None:
    assert status_of(sentence) != "denied"


@pytest.mark.parametrize("sentence", [
    "The loan is granted provided that the bank agrees.",
    "The ceasefire holds as long as both sides keep their troops back.",
    "Were the talks to fail, the strike begins on Monday.",
    "Had the plan succeeded, the firm was ready to expand.",
    "Insurers pay out in the event of a flood.",
])
def test_conditions_beyond_if_are_forecasts(sentence: str) -> None:
    assert status_of(sentence) == "forecast"


def test_a_duration_is_not_a_condition() -> None:
    assert status_of("The defendants face sentences as long as 20 years.") == "stated"
    assert status_of("He has lived there for as long as anyone remembers.") == "stated"


def test_claiming_a_win_is_no_claim() -> None:
    assert status_of("The visitors claimed only their second ever win at the ground.") == "stated"
    assert status_of("The visitors claimed the referee had been biased.") == "unverified"


def test_a_judgement_in_indirect_speech_is_the_speakers_opinion() -> None:
    assert status_of("Coach Lisa Berg said the second half was a magnificent effort.") == "opinion"
    assert status_of("Union leader Tom Hale said the drivers had worked remarkably hard.") == "opinion"
    assert status_of("Organisers said the grand final would be held in May.") == "forecast"  # "grand" names
    assert status_of("Organisers said the final had sold out by noon.") == "reported"


@pytest.mark.parametrize("sentence", [
    "Sign up here for the morning newsletter.",
    "Here's what you need to know about the vote.",
    "Watch the full interview here.",
    "Follow her on X at @reporter.",
])
def test_promotions_and_pointers_assert_nothing(sentence: str) -> None:
    text = f"The council voted on Tuesday to close the library.\n\n{sentence}"
    assert claim(text, sentence[:12])[0] is None
    assert claim(text, "The council")[0] == "stated"


def test_the_only_option_in_a_quotation_is_a_judgement() -> None:
    assert status_of("“Going to court is the only option,” said tenant Eva Marsh.") == "opinion"


def test_a_non_restrictive_relative_clause_keeps_its_modal() -> None:
    assert status_of("The festival, which will move to a new site next year, sold out in an hour.") == "forecast"
    assert status_of("The council approved rules that could raise rents in the centre.") == "stated"


def test_a_necessary_condition_is_a_forecast() -> None:
    assert status_of("The airline cannot expand its fleet without a new runway.") == "forecast"
