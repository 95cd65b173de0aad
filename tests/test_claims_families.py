"""Each failure family of issue 8, on sentences written for these tests (not from any labelled set).

The analysis runs as `verbatim add` runs it: index.segment's paragraphs and roles, then
index.claims.analyse over every sentence (the spaCy parse included; it loads once per process).
"""

from __future__ import annotations

import re

import pytest

from index.chunk import chunk_article
from index.claims import Framing, analyse, analyse_many, lowest_commitment
from index.models import Article, Role
from index.segment import paragraphs, sentences


@pytest.fixture(autouse=True, scope="module")
def _parser(claims_parser: None) -> None:
    """Claims are read as `verbatim add` reads them: with the parse."""


def framings(text: str) -> list[Framing]:
    paras = paragraphs(text)
    sents = [s for p in paras for s in sentences(text, p.start, p.end)]
    return analyse(text, paras, sents)


def claim(text: str, prefix: str) -> tuple[str | None, str | None, str | None]:
    """(status, speaker, cue) of the sentence starting with prefix (lowest commitment over its clauses)."""
    start = text.index(prefix)
    tail = re.search(r"[.!?][\"”]?(?:\s|$)", text[start + len(prefix) - 1:])
    stop = start + len(prefix) - 1 + (tail.end() if tail else len(text))
    parts = [f for f in framings(text) if f.end > start and f.start < stop]
    status = lowest_commitment([f.status for f in parts])
    winner = next(f for f in parts if f.status == status)
    return status, winner.speaker, winner.cue


def status_of(sentence: str) -> str | None:
    return claim(sentence, sentence[:20])[0]


# ----------------------------------------------------------------------------- anonymous sourcing

@pytest.mark.parametrize("sentence", [
    "Diplomats from a country that monitors the reactor told the BBC the site had been expanded.",
    "A senior Treasury Department official said the sanctions list had been widened.",
    "Officials said the coastal road had been closed overnight.",
    "Residents told Reuters the water supply had been cut for three days.",
    "Experts say the drought has already cut the harvest by a third.",
])
def test_unnamed_sources_are_unverified_not_reported(sentence: str) -> None:
    assert status_of(sentence) == "unverified"


def test_he_said_keeps_the_unnamed_flag_of_the_officer_it_resolves_to() -> None:
    text = ("A police officer at the scene said the fire started in the kitchen. "
            "He said two people had been taken to hospital.")
    status, speaker, _ = claim(text, "He said two people")
    assert status == "unverified" and speaker and "officer" in speaker


def test_a_named_person_stays_reported() -> None:
    assert claim("Harbour master Ines Varga said the dock was open.", "Harbour")[:2] == ("reported", "Ines Varga")


# ----------------------------------------------------------------------------- refusals, non-confirmation

@pytest.mark.parametrize("sentence", [
    "The ministry declined to confirm the number of people detained.",
    "There has been no official confirmation of the minister's resignation.",
])
def test_refusals_and_missing_confirmation_are_unverified(sentence: str) -> None:
    assert status_of(sentence) == "unverified"


def test_could_not_confirm_reaches_back_to_the_report_it_names() -> None:
    text = ("Marta Lind, a local councillor, said the old bridge had collapsed into the river.\n\n"
            "The agency could not independently confirm the report.")
    assert claim(text, "Marta Lind")[:2] == ("unverified", "Marta Lind")


def test_a_confirmation_covers_only_the_claim_it_names() -> None:
    text = ("The health ministry confirmed on Friday a report by the Daily Courier that the clinic had closed. "
            "The closure took effect at noon, the Daily Courier reported.\n\n"
            "The clinic had treated 4,000 patients last year, the Daily Courier reported.")
    assert claim(text, "The closure took effect")[:2] == ("confirmed", "Daily Courier")
    status, speaker, _ = claim(text, "The clinic had treated")
    assert status == "reported" and speaker == "Daily Courier"  # a later detail of the same source stays reported


# ----------------------------------------------------------------------------- closed-lexicon misses

@pytest.mark.parametrize("sentence", [
    "The two directors pleaded not guilty to the fraud charges on Tuesday.",
    "She has protested her innocence throughout the trial.",
    "The club shrugged off the claims about its finances.",
    "None of our staff saw the collision happen, the manager said.",
    "We see no indications that the leak has spread, the agency said.",
    "The inspectors found no credible forensic evidence of tampering.",
    "The board strongly rejects the charges against its chairman.",
])
def test_denials_beyond_the_verb_list(sentence: str) -> None:
    assert status_of(sentence) == "denied"


# ----------------------------------------------------------------------------- over-firing

@pytest.mark.parametrize("sentence", [
    "The bill includes measures that could raise fuel prices.",
    "The tour offers a view that most visitors would never get.",
    "Police seized fake passports and cash at the border.",
])
def test_modals_in_relative_clauses_and_fake_objects_do_not_frame_the_claim(sentence: str) -> None:
    assert status_of(sentence) == "stated"


def test_a_modal_in_the_claim_itself_is_still_a_forecast() -> None:
    assert status_of("The new line could open by the end of the year.") == "forecast"


# ----------------------------------------------------------------------------- BBC one-line layout

def test_quotation_reopened_on_one_line_keeps_its_speaker() -> None:
    text = ('Coach Lena Park said: "We kept our shape for an hour. We defended well. "The second half was '
            'harder for us and we lost our focus." The club stays top of the table.')
    status, speaker, _ = claim(text, "The second half was")
    assert speaker == "Lena Park" and status != "stated"
    assert claim(text, "The club stays top")[0] == "stated"


# ----------------------------------------------------------------------------- speakers

def test_name_completion_does_not_glue_a_place_to_the_name() -> None:
    assert claim("UN envoy to Yemen Anna Berg said the talks would resume.", "UN envoy")[1] == "Anna Berg"


def test_an_apposition_gives_the_title_and_the_name_before_it_the_person() -> None:
    text = '"The cranes are idle," Tom Reyes, a spokesman for the port authority, said on Monday.'
    assert claim(text, '"The cranes')[1] == "Tom Reyes"


def test_a_description_resolves_to_the_person_named_earlier() -> None:
    text = ("Russian President Vladimir Putin met the delegation in Sochi on Monday.\n\n"
            "Later, the Russian president said the talks had been useful.")
    assert claim(text, "Later, the Russian")[1] == "Vladimir Putin"


def test_named_versus_anonymous_does_not_follow_capital_letters() -> None:
    assert status_of("A Defense Ministry Spokesman said the drills had ended.") == "unverified"
    assert claim("Defense Minister Karl Ode said the drills had ended.", "Defense")[:2] == ("reported", "Karl Ode")


# ----------------------------------------------------------------------------- roles

def test_credits_and_promos_are_boilerplate_and_never_passages() -> None:
    text = ("Ferry services resumed on Monday after the storm.\n\n"
            "Reporting by Jo Kent; Editing by Sam Pell\n\n"
            "More: Storm season starts early this year\n\n"
            "Sign up for our weekly weather newsletter here.\n\n"
            "Contributing: Wire services\n\n"
            "The harbour reopened to yachts on Tuesday.")
    roles = [p.role for p in paragraphs(text)]
    assert roles == [Role.BODY, Role.BOILERPLATE, Role.BOILERPLATE, Role.BOILERPLATE, Role.BOILERPLATE, Role.BODY]
    chunks = chunk_article(Article(id="f", title="Ferries", text=text))
    joined = " ".join(text[c.start:c.end] for c in chunks)
    assert "Editing by" not in joined and "newsletter" not in joined and "More:" not in joined
    assert "Ferry services resumed" in joined and "The harbour reopened" in joined


def test_a_caption_with_a_hedge_is_a_claim_of_its_credited_provider() -> None:
    text = ("Bridge damaged in floods\n\n"
            "A photo released by the army allegedly shows the damaged bridge near Tulin. © Army Press Office\n\n"
            "The river rose by two metres overnight.")
    paras = paragraphs(text, title="Bridge damaged in floods")
    assert paras[1].role is Role.CAPTION
    status, speaker, cue = claim(text, "A photo released")
    assert (status, speaker, cue) == ("unverified", "Army Press Office", "allegedly")


def test_a_caption_that_only_describes_its_picture_has_no_status() -> None:
    text = "Ferries\n\nPassengers wait at the terminal in Dover on Monday. © Jo Kent/Harbour Times\n"
    assert claim(text, "Passengers wait")[0] is None


# ----------------------------------------------------------------------------- batching

def test_analyse_many_equals_one_article_at_a_time() -> None:
    texts = ["Officials said the road had been closed. The bill includes measures that could raise prices.",
             "Harbour master Ines Varga said the dock was open.\n\nMore: Storm season starts early"]
    jobs = []
    for t in texts:
        paras = paragraphs(t)
        jobs.append((t, paras, [s for p in paras for s in sentences(t, p.start, p.end)]))
    assert analyse_many(jobs) == [analyse(*job) for job in jobs]


def test_a_counterfactual_and_a_schedule_are_hedged() -> None:
    assert status_of("The collision would have scattered debris across the whole orbit.") == "forecast"
    assert status_of("The final report is due to be published in the spring.") == "forecast"
    assert status_of("The delay was due to the storm.") == "stated"


def test_a_name_before_a_dashed_apposition_is_the_speaker() -> None:
    text = "Fund manager Ola Berg - the club's largest shareholder - said he would sell his stake."
    assert claim(text, "Fund manager")[1] == "Ola Berg"


def test_an_opinion_piece_speaks_in_its_authors_voice() -> None:
    text = ("Why the ferry matters\n\nJo Kent\n\nOpinion contributor\n\n"
            "The island needs its ferry more than ever. Fares have doubled since 2020.")
    assert claim(text, "The island needs")[:2] == ("opinion", "Jo Kent")


def test_a_descriptor_resolves_to_the_outlet_it_describes() -> None:
    text = ("Sales fell by a fifth, according to a survey in the trade magazine Harbour Weekly.\n\n"
            "Most ports cut staff, the magazine reported.")
    assert claim(text, "Most ports cut staff")[:2] == ("reported", "Harbour Weekly")


def test_data_of_an_agency_is_the_agency_speaking() -> None:
    assert claim("Cases rose by 12% in May, CDC data showed.", "Cases rose")[:2] == ("reported", "CDC")


def test_a_quoted_characterisation_is_the_speakers_opinion() -> None:
    text = '"It is a town for dreamers," Mayor Ines Varga said.'
    assert claim(text, '"It is a town')[:2] == ("opinion", "Ines Varga")
    assert status_of("It is a town of 4,000 people on the coast.") == "stated"  # the outlet's own words


def test_talk_about_forecasts_is_not_a_forecast() -> None:
    assert status_of("Estimates of the crowd size vary widely.") == "stated"
    assert status_of("The party won a majority despite forecasts of a tight race.") == "stated"
    assert status_of("The insult was thrown about to mock rivals.") == "stated"
    assert status_of("The council is about to approve the budget.") == "forecast"


def test_a_progressive_speech_verb_is_not_a_passive() -> None:
    assert claim("Satellite images are showing that the convoy has moved.", "Satellite")[0] == "reported"


def test_an_attributed_must_is_the_speakers_opinion() -> None:
    assert claim("The city must rebuild the sea wall, the mayor warned.", "The city must")[0] == "opinion"
    assert status_of("The ferry must have left early.") == "stated"


def test_a_party_tag_is_not_the_speaker() -> None:
    assert claim("Sen. Ada Moss (D-MA) said the bill would pass.", "Sen. Ada")[1] == "Ada Moss"


def test_a_partial_quotation_after_an_attribution_continues_that_speaker() -> None:
    text = ('The harbour is "running out of room", the Coast Times said. Its owners "have no plan for the '
            'winter storms at all". The ferry reached a spot locals call "Gull Rock".')
    assert claim(text, "Its owners")[:2] == ("reported", "Coast Times")
    assert claim(text, "The ferry reached")[0] == "stated"  # scare quotes around a name are no quotation


# ----------------------------------------------------------------------------- issue 8g: opinion, anonymity, refusals

@pytest.mark.parametrize("sentence", [
    "“We lost the second half, I guess,” the coach said after the match.",
    "“I reckon the council knew about the cracks,” said Dara Moss.",
    "“We are convinced the vote was fair,” said Ilse Brandt, the party's leader.",
    "Tova Lind became one of the finest sprinters of her generation during ten years with the club.",
])
def test_first_person_beliefs_and_rankings_are_opinion(sentence: str) -> None:
    assert status_of(sentence) == "opinion"


def test_a_best_selling_item_is_no_ranking_judgement() -> None:
    assert status_of("The novel became one of the best-selling books of the decade in Norway.") == "stated"


@pytest.mark.parametrize("sentence", [
    "A former cabinet minister told the radio station that the plan had been dropped.",
    "One economist said the currency had lost a fifth of its value.",
    "Several Liberals said the leader had lost the confidence of the party.",
])
def test_an_unnamed_single_person_is_an_unnamed_source(sentence: str) -> None:
    assert status_of(sentence) == "unverified"


def test_a_named_person_with_a_role_is_no_unnamed_source() -> None:
    assert status_of("Mila Horn, a former cabinet minister, said the plan had been dropped.") == "reported"
    assert status_of("The Liberals said the leader had lost the confidence of the party.") == "reported"


def test_yet_to_confirm_is_non_confirmation() -> None:
    assert status_of("The club has yet to confirm whether the striker will play on Sunday.") == "unverified"


@pytest.mark.parametrize("sentence", [
    "The minister said he had not broken any rules during the lockdown.",
    "Mara Voss insists she never misled parliament about the contract.",
    "The firm said it was not involved in the deal.",
    "Lutz told reporters he is innocent.",
    "Mila Horn said her client had not broken any law.",
])
def test_a_partys_own_words_denying_wrongdoing_are_denied(sentence: str) -> None:
    assert status_of(sentence) == "denied"


@pytest.mark.parametrize("sentence", [
    "The firm was not involved in the deal, which closed in May.",  # the outlet's own fact
    "The driver said the bus did not stop at the junction.",  # a negation that answers no accusation
    "An aide said the agency was not involved in the talks.",  # about another party, not the speaker's own
])
def test_a_negation_is_no_denial_by_itself(sentence: str) -> None:
    assert status_of(sentence) != "denied"
