
"""Tests for index.claims: the framing of every claim (sentence or clause) of an article.

Sentences are real: the seed article (France 24, in corpus/) is embedded below, and the
other sentences are short quotations from the news_rtqa articles (CNN, USA Today, The Week).
Until the project's segmenter lands, `segment` below splits paragraphs on lines and
sentences with a regex; roles come from simple cues (© credit, "·" byline, short lines).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.claims import STATUSES, Framing, analyse, lowest_commitment
from index.models import Paragraph, Role, Sentence

FIXTURES = Path(__file__).parent / "fixtures"

# ----------------------------------------------------------------------------- test segmenter

_ABBR = {"mr", "mrs", "ms", "dr", "st", "no", "jr", "sr", "sen", "rep", "gov", "gen", "lt", "jan", "feb",
         "aug", "sept", "oct", "nov", "dec", "inc", "corp", "u.s", "u.k", "u.n", "d.c", "a.m", "p.m"}
_END = re.compile(r'[.!?]["”’)\]]*(?=\s+["“‘(\[]?[A-Z0-9])')



@pytest.fixture(autouse=True, scope="module")
def _parser(claims_parser: None) -> None:
    """Claims are read as `verbatim add` reads them: with the parse."""


def _sentences(p: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _END.finditer(p):
        word = (re.search(r"(\S+)$", p[start:m.start()]) or re.match("", "")).group(0).lower().lstrip("“\"(")
        if p[m.start()] == "." and (word in _ABBR or re.fullmatch(r"[a-z]|(?:[a-z]\.)+[a-z]", word)):
            continue
        out.append((start, m.end()))
        start = m.end()
    out.append((start, len(p)))
    return [(s + len(p[s:e]) - len(p[s:e].lstrip()), e - (len(p[s:e]) - len(p[s:e].rstrip())))
            for s, e in out if p[s:e].strip()]


def _role(line: str) -> Role:
    t = line.strip()
    if "©" in t:
        return Role.CAPTION
    if t.startswith("·"):
        return Role.BYLINE
    words = len(t.split())
    if (not re.search(r"[.!?\"”’:]$", t) and words <= 16) or (t.endswith("?") and words <= 6):
        return Role.HEADLINE
    return Role.BODY


def segment(text: str, role: Role | None = None) -> tuple[list[Paragraph], list[Sentence]]:
    paragraphs, sentences, pos = [], [], 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        a, b = start + len(line) - len(line.lstrip()), start + len(line.rstrip())
        paragraphs.append(Paragraph(start=a, end=b, role=role or _role(line)))
        sentences += [Sentence(start=a + x, end=a + y) for x, y in _sentences(text[a:b])]
    return paragraphs, sentences


def frame(text: str, role: Role | None = None) -> list[Framing]:
    return analyse(text, *segment(text, role))


def claim(framings: list[Framing], text: str, prefix: str) -> Framing:
    """The framing whose span starts with `prefix` (exactly one)."""
    hits = [f for f in framings if text[f.start:f.end].startswith(prefix)]
    assert len(hits) == 1, (prefix, [(text[f.start:f.end][:40], f.status) for f in framings])
    return hits[0]


def one(text: str, role: Role | None = None) -> Framing:
    """The single framing of a one-sentence text."""
    framings = frame(text, role)
    assert len(framings) == 1, framings
    return framings[0]


def sentence_framing(text: str) -> tuple[str | None, str | None]:
    """A one-sentence text's status (the lowest commitment over its clauses) and that clause's speaker."""
    framings = frame(text)
    status = lowest_commitment([f.status for f in framings])
    return status, next((f.speaker for f in framings if f.status == status), None)


# The seed article (corpus/france24-north-korean-troops.md without its front matter), verbatim.
SEED = """North Korea's leader Kim Jong-Un (centre) poses with troops during an inspection at a military training base at an undisclosed location in North Korea, on October 2, 2024. © KCNA via KNS, AFP

From isolation to battlefield: North Korean troops could face reality shock in Ukraine

· France 24

"There is evidence that there are DPRK troops in Russia," US Defense Minister Lloyd Austin said on Wednesday, for the first time confirming an October 18 report by South Korea’s intelligence agency (NIS) that Pyongyang was propping up Moscow with manpower, and had, as a first step, sent around 1,500 soldiers to Russia’s Far East to train for the trenches. The transfers had taken place between October 8-13, NIS reported, and warned that more were expected soon.

“[It’s] very, very serious,” Austin said.

A satellite image provided by South Korea's National Intelligence Service (NIS) shows the North Korean troop transfers by boat. © NIS

Shortly afterwards, NATO also confirmed it had evidence of a North Korean troop deployment to Russia.

“If these troops are destined to fight in Ukraine, it would mark a significant escalation in North Korea's support for Russia's illegal war and yet another sign of Russia's significant losses on the front lines," NATO Spokesperson Farah Dakhlallah said in a statement.

The news comes as South Korean lawmakers say the North Korean troop numbers have now swelled to as many as 3,000, and that the total is expected to land at around 10,000.

A satellite image provided by South Korea's Intelligence Service (NIS) purporetdly shows North Korean troops at a Russian military facility. © NIS

Immediate desertions?

On October 15, barely a week after the first North Korean soldiers are believed to have arrived in Russia, Ukraine’s public broadcaster Suspilne reported that hundreds of North Korean troops had already been deployed close to the front in Russia’s Kursk and Bryansk regions, some seven kilometres from Ukraine’s border. Among them,18 of them had already deserted their positions, it said, citing Ukrainian intelligence sources.

Follow-up reports in Ukrainian media suggested the troops abandoned their postings after being left in a forest area without food or instructions from their Russian counterparts. They were later found and detained by Russian forces.

Although the reports could not be independently verified, they do shine a light on a very particular challenge Moscow and Pyongyang potentially face in trying to incorporate North Korean soldiers alongside the Russian army: their exposure to the world outside of Kim's North Korea. 

Seeing through the lies

“They’re going to find themselves in situations where they can see the light, the lie,” Hugh Griffiths, a UN sanctions specialist and former coordinator of the UN Panel of Experts on North Korea, said, adding that the harsh realities of war, and the difficulty in keeping these troops isolated from the Russian soldiers are bound to have “profound implications on their worldview”.

“North Korea has one of the largest armies in the world, millions are technically under arms, but it’s not a good army, it relies on mass, and none of the soldiers have been battlefield-tested,” he said, noting that Kim’s propaganda that North Korea is “invincible” will be the first bubble to burst, and impact morale.

“The Ukrainians are going to bomb them, and you’re going to see North Korean defeat. That’s not something you see in North Korea: them dying, them not making any progress, them not getting to Kyiv on the back of Russian tanks. It’s not going to go well for them.”

The value of a bummed cigarette

Secondly, North Korean soldiers will be exposed to new types of freedoms they have themselves never enjoyed before, or even knew existed. 

“They cannot be isolated in the same way as they are in peacetime situations, so they will meet Russians who enjoy a marginally higher standard of living, and who have access to mobile phones and social media, like Telegram and so on,” Griffiths said, adding that something as simple as getting hold of a Russian cigarette can make a huge difference in the way a North Korean soldier thinks, essentially “polluting” their censored worldview.

“Russian cigarettes are better than North Korean cigarettes. So that would be a luxury for them.”

Thirdly, Griffiths said, the North Korean troops will be those who are sent into the “meat grinder” of the war, with little Russian concern for their survival in terms also of basic needs like food and water. “They will not be treated well and be used as cannon fodder”.

This, he noted, will spark fear.

“They will realise this is a one-way ticket, so we will likely see desertions and defections.”

Kim’s worst nightmare

Edward Howell, Korea Foundation fellow at Chatham House and author of the book “North Korea and the Global Nuclear Order”, said that defections make up some of Kim’s worst nightmares because they challenge the whole legitimacy of his regime.

“Many elite and non-elite North Koreans who have decided to defect have started off by them recognising that the North Korean regime's view of the outside world and the picture it paints of the outside world is, quite frankly, a lie,” he said.

“And how has North Korea dealt with defections before?” he asked rhetorically, referring to the assassination of Kim’s half brother in a Kuala Lumpur airport in 2017, and the strict domestic controls that have been enforced in the country since Kim came to power in 2011.

That does not mean defections among the troops, who have likely been handpicked because they are young and conform to Kim’s diktats, can be ruled out, however. “For many soldiers, I think the opportunity to defect remains on their minds,” he said.

Pariah states coming together

But according to Howell, this is something that Kim would at least partly have taken into account even before agreeing to prop up the Russian army with any of his own troops. In June, Kim signed a mutual defence pact with Russian President Vladimir Putin. Analysts say it is the countries’ strongest deal since the Cold War, and includes a clause that requires both countries to use "all available means" to provide one another with immediate military assistance in the event of war.  

“The benefits are far too great for North Korea to think ‘we’ve made a mistake, let’s not send our troops to Russia’,” he said, and pointed to the money, food, military assistance and satellite technology the pariah state is receiving from Russia in exchange. 

“The only thing the North Korean regime really wants is to be seen as a leader of a de facto nuclear state,” he said.

Griffiths, for his part, noted that the risk of North Korean defections could come at a more than hefty price.

“I think it’s a miscalculation. None of this is going to come out well. For neither Kim nor Putin.”"""  # noqa: W291

@pytest.fixture(scope="module")
def seed() -> list[Framing]:
    return frame(SEED)


def at(seed: list[Framing], prefix: str) -> Framing:
    return claim(seed, SEED, prefix)


# ------------------------------------------------------------------------ labels: two real sentences each

LABELLED = [
    # denied
    ("Russia's Kremlin previously denied the reports, branding them as \"fake news.\"", "denied", "Kremlin"),
    ("Israeli leaders have denied the allegations and blamed humanitarian organizations, saying hundreds of "
     "trucks "
     "filled with aid sit idle on the Palestinian side of the main crossing.", "denied", "Israeli leaders"),
    ("There is no evidence that the sweeping criminal charges Trump faces across four cases are attempts to "
     "undermine his presidential campaign.", "denied", None),
    # unverified
    ("Morgan Stanley will reportedly slash its workforce by about 1,600 people, roughly 2% of the total.",
     "unverified", None),
    ("The Biden administration still sees no indication that Putin is willing or ready to deescalate the "
     "conflict "
     "– making it difficult for US officials to be optimistic about the current state of negotiations, one "
     "source "
     "familiar with the situation said.", "unverified", "source familiar with the situation"),
    ("In the northern city of Chernihiv, a Russian airstrike that reportedly killed 47 civilians last week "
     "may "
     "constitute a war crime, Amnesty International said Wednesday following an investigation into the "
     "attack.",
     "unverified", "Amnesty International"),
    # forecast
    ("In the next year, the rover is expected to visit as many as four sites in a span of four miles to "
     "collect "
     "samples along the northern part of the southwestern section of Jezero's rim.", "forecast", None),
    ("\"We will appeal,\" Trump told reporters Friday night at his private Florida club.", "forecast",
     "Trump"),
    # opinion
    ("“This verdict is a manifest injustice – plain and simple,” Trump attorney Alina Habba said.", "opinion",
     "Alina Habba"),
    ("“Their complete lack of contrition and remorse borders on pathological,” Engoron wrote.", "opinion",
     "Engoron"),
    # reported
    ("The Asheville Police Department said Friday that 270 of 300 people reported missing have been found "
     "alive "
     "and well.", "reported", "Asheville Police Department"),
    ("More than 200,000 Russians have streamed into Kazakhstan following Putin’s conscription announcement, "
     "according to the Kazakh government.", "reported", "Kazakh government"),
    # confirmed
    ("President Joe Biden tested positive for COVID-19 following an event Wednesday in Las Vegas, the White "
     "House "
     "confirmed.", "confirmed", "White House"),
    ("David Aronberg, state attorney for Palm Beach County, confirmed to USA TODAY that a suspect in "
     "custody is "
     "58-year-old Ryan Routh.", "confirmed", "David Aronberg"),
    # stated
    ("Since Russian forces invaded Ukraine nearly three years ago, the U.S. has sent more than $30 billion "
     "in "
     "military assistance and weapons.", "stated", None),
    ("The lame duck Biden administration on Thursday announced another $500 million aid package, including "
     "air "
     "defense missiles, air-to-ground munitions and support equipment for F-16 fighter jets.", "stated",
     None),
]


@pytest.mark.parametrize(("text", "status", "speaker"), LABELLED)
def test_label_of_real_sentences(text: str, status: str, speaker: str | None) -> None:
    assert sentence_framing(text) == (status, speaker)
    assert all(f.cue is None or f.cue in text for f in frame(text))


def test_every_label_is_tested_twice() -> None:
    counts = {s: sum(1 for _, st, _ in LABELLED if st == s) for s in STATUSES}
    assert min(counts.values()) >= 2, counts


@pytest.mark.parametrize(("prefix", "status", "speaker"), [
    ("“[It’s] very, very serious,” Austin said.", "opinion", "Lloyd Austin"),
    ("Shortly afterwards, NATO also confirmed", "confirmed", "NATO"),
    ("“If these troops are destined", "forecast", "Farah Dakhlallah"),
    ("In June, Kim signed a mutual defence pact", "stated", None),
    ("Analysts say it is the countries’ strongest deal", "unverified", "Analysts"),  # unnamed analysts: an unnamed source
    ("\"There is evidence that there are DPRK troops", "confirmed", "Lloyd Austin"),
    ("Secondly, North Korean soldiers will be exposed", "forecast", None),
    ("But according to Howell, this is something", "forecast", "Edward Howell"),
    ("Edward Howell, Korea Foundation fellow", "reported", "Edward Howell"),
])
def test_seed_sentences(seed: list[Framing], prefix: str, status: str, speaker: str | None) -> None:
    f = at(seed, prefix)
    assert (f.status, f.speaker) == (status, speaker)


def test_lowest_commitment_wins() -> None:
    assert lowest_commitment(["confirmed", "forecast", "reported"]) == "forecast"
    assert lowest_commitment(["stated", "denied", "unverified"]) == "denied"
    assert lowest_commitment([None, None]) is None
    f = one("Austin confirmed up to 10,000 may deploy.")
    assert (f.status, f.speaker, f.cue) == ("forecast", "Austin", "may")


# ----------------------------------------------------------------------------- nothing asserted

def test_captions_headlines_bylines_and_questions_assert_nothing(seed: list[Framing]) -> None:
    for prefix in ("North Korea's leader Kim Jong-Un (centre) poses", "From isolation to battlefield:",
                   "· France 24", "Immediate desertions?", "Seeing through the lies", "Kim’s worst nightmare"):
        f = at(seed, prefix)
        assert (f.status, f.cue, f.speaker) == (None, None, None), prefix


def test_a_caption_that_asserts_something_is_a_claim_of_its_provider(seed: list[Framing]) -> None:
    f = at(seed, "A satellite image provided by South Korea's Intelligence Service (NIS) purporetdly")
    assert (f.status, f.cue, f.speaker) == ("unverified", "purporetdly", "NIS")


def test_a_credit_marks_a_caption_even_in_a_body_paragraph() -> None:
    text = ("A satellite image provided by South Korea's National Intelligence Service (NIS) shows the North "
            "Korean troop transfers by boat. © NIS")
    assert one(text, Role.BODY).status is None


def test_question_sentence_in_body_asserts_nothing() -> None:
    assert one("What is the evidence of North Korean troops fighting in Ukraine?", Role.BODY).status is None


def test_rhetorical_question_in_a_quote_asserts_nothing(seed: list[Framing]) -> None:
    question = at(seed, "“And how has North Korea dealt with defections before?” he asked rhetorically,")
    assert question.status is None
    rest = at(seed, "referring to the assassination of Kim’s half brother")
    assert (rest.status, rest.speaker) == ("reported", "Edward Howell")


# ----------------------------------------------------------------------------- scope across sentences

def test_unverifiable_reports_turn_earlier_reports_unverified(seed: list[Framing]) -> None:
    phrase = "could not be independently verified"
    for prefix, speaker in [("On October 15, barely a week after", "Suspilne"),
                            ("Among them,18 of them had already deserted", "Suspilne"),
                            ("Follow-up reports in Ukrainian media suggested", "Ukrainian media"),
                            ("They were later found and detained by Russian forces.", "Ukrainian media")]:
        f = at(seed, prefix)
        assert (f.status, f.cue, f.speaker) == ("unverified", phrase, speaker), prefix
    # the sentence that says so frames its own claim on its own terms
    own = at(seed, "Although the reports could not be independently verified")
    assert (own.status, own.cue, own.speaker) == ("forecast", "potentially", None)
    # the scope stops at the section headline: the claims before "Immediate desertions?" are untouched
    assert at(seed, "Shortly afterwards, NATO also confirmed").status == "confirmed"


def test_scope_of_a_singular_report_is_the_nearest_report() -> None:
    text = ("Ukraine's military said Russian forces shelled the village overnight.\n\n"
            "Russia said its troops had captured two more settlements.\n\n"
            "CNN could not independently verify the claim.")
    framings = frame(text)
    assert claim(framings, text, "Ukraine's military said").status == "reported"
    assert claim(framings, text, "Russia said its troops").status == "unverified"
    assert claim(framings, text, "CNN could not").status == "stated"


def test_a_confirmed_report_confirms_what_its_source_reported(seed: list[Framing]) -> None:
    f = at(seed, "The transfers had taken place between October 8-13, NIS reported,")
    assert (f.status, f.speaker, f.cue) == ("confirmed", "NIS", "confirming")
    warning = at(seed, "and warned that more were expected soon.")
    assert (warning.status, warning.speaker) == ("forecast", "NIS")


# ----------------------------------------------------------------------------- speakers

def test_a_quote_only_paragraph_continues_the_previous_speaker(seed: list[Framing]) -> None:
    for prefix, status in [("“The Ukrainians are going to bomb them", "forecast"),
                           ("That’s not something you see in North Korea", "reported"),
                           ("It’s not going to go well for them.”", "forecast"),
                           ("“Russian cigarettes are better than North Korean cigarettes.", "opinion"),
                           ("So that would be a luxury for them.”", "forecast"),
                           ("“They will realise this is a one-way ticket", "forecast"),
                           ("“I think it’s a miscalculation.", "opinion"),
                           ("For neither Kim nor Putin.”", "forecast")]:
        f = at(seed, prefix)
        assert (f.status, f.speaker) == (status, "Hugh Griffiths"), prefix


def test_a_quote_inside_an_attributed_paragraph_keeps_its_speaker(seed: list[Framing]) -> None:
    f = at(seed, "“They will not be treated well and be used as cannon fodder”.")
    assert (f.status, f.speaker) == ("forecast", "Hugh Griffiths")


def test_a_quotation_over_several_sentences_takes_the_attribution_at_its_end() -> None:
    text = ("“I’m ready for negotiations with (Putin). I was ready for the last two years. And I think that "
            "without negotiations, we cannot end this war,” Zelensky told CNN’s Fareed Zakaria in an "
            "exclusive "
            "interview Sunday.")
    framings = frame(text)
    assert [(f.status, f.speaker) for f in framings] == [
        ("reported", "Zelensky"), ("reported", "Zelensky"), ("opinion", "Zelensky")]


def test_pronouns_resolve_to_the_nearest_fitting_speaker(seed: list[Framing]) -> None:
    assert at(seed, "“North Korea has one of the largest armies").speaker == "Hugh Griffiths"  # he said
    assert at(seed, "This, he noted, will spark fear.").speaker == "Hugh Griffiths"
    assert at(seed, "“For many soldiers, I think").speaker == "Edward Howell"
    assert at(seed, "“The only thing the North Korean regime").speaker == "Edward Howell"


def test_it_said_resolves_to_an_organisation() -> None:
    text = ("On October 15, barely a week after the first North Korean soldiers are believed to have "
            "arrived in "
            "Russia, Ukraine’s public broadcaster Suspilne reported that hundreds of North Korean troops "
            "had already "
            "been deployed close to the front in Russia’s Kursk and Bryansk regions, some seven kilometres "
            "from "
            "Ukraine’s border. Among them,18 of them had already deserted their positions, it said, citing "
            "Ukrainian intelligence sources.")
    assert [(f.status, f.speaker) for f in frame(text)] == [("unverified", "Suspilne")] * 2


def test_he_said_after_an_unattributed_paragraph_about_a_person() -> None:
    text = ("The troops' dispatch \"is a provocation that goes beyond the Korean Peninsula,\" Yoon said.\n\n"
            "Republican Rep. Mike Turner, the chair of the House Intelligence Committee, sent a letter to "
            "Biden "
            "last week calling for the U.S. and NATO to make the troops' deployment to Ukraine a \"red "
            "line.\"\n\n"
            "On Wednesday, he said the U.S. should consider \"direct military action\" if North Korean "
            "troops get "
            "involved.")
    last = frame(text)[-1]
    assert (last.status, last.speaker) == ("forecast", "Mike Turner")


def test_speakers_are_written_in_full() -> None:
    text = ("US Defense Minister Lloyd Austin visited Seoul.\n\n"
            "Hugh Griffiths, a UN sanctions specialist, spoke at the briefing.\n\n"
            "“It's serious,” Austin said. Griffiths said the troops will not be treated well.")
    framings = frame(text)
    assert framings[-2].speaker == "Lloyd Austin"
    assert framings[-1].speaker == "Hugh Griffiths"


def test_acronyms_in_parentheses_name_the_speaker() -> None:
    f = one("Inorganic arsenic is a confirmed carcinogen, something that can cause cancer, and is a "
            "“chemical "
            "contaminant in drinking-water globally,” according to the World Health Organization (WHO).")
    assert (f.status, f.speaker) == ("confirmed", "WHO")


def test_a_misspelt_surname_still_finds_the_full_name() -> None:
    text = ("Ukrainian President Volodymyr Zelensky has recently indicated he is willing to consider "
            "concessions.\n\n"
            "Zelenksky said Saturday there were “compromises” his country could not make in negotiations "
            "with Putin.")
    f = frame(text)[-1]
    assert (f.status, f.speaker) == ("reported", "Volodymyr Zelensky")


def test_unnamed_officials_and_sources_are_unverified() -> None:
    f = one("The North Korean troops have been deployed to the frontlines in Kursk, mostly as light infantry "
            "soldiers and mortar teams, a senior U.S. military official told reporters in December.")
    assert (f.status, f.speaker) == ("unverified", "senior U.S. military official")
    # a meta statement about anonymity is no claim by an unnamed source
    assert one("Most of the new Russian exiles spoke to CNN on condition of anonymity.").status == "stated"


# ----------------------------------------------------------------------------- typos, negation, conditionals

def test_typos_in_hedges_are_caught() -> None:
    caption = ("A satellite image provided by South Korea's Intelligence Service (NIS) purporetdly shows "
               "North "
               "Korean troops at a Russian military facility.")  # the seed caption, read as body text
    f = one(caption, Role.BODY)
    assert (f.status, f.cue) == ("unverified", "purporetdly")
    assert one("The firm supposidly moved its staff to Almaty last week.").cue == "supposidly"
    assert one("The shipment was unconfimred by customs officials in the port.").status == "unverified"


def test_words_close_to_hedges_are_not_typos() -> None:
    assert one("Russian landlords repeatedly refused to rent her apartments.").status == "stated"
    assert one("Sharapova was supposed to play in the final.").status == "stated"


def test_inflections_of_cue_verbs() -> None:
    for verb in ("confirms", "confirmed", "has confirmed"):
        assert one(f"The Kremlin {verb} that the French side was unwilling to comply.").status == "confirmed"
    assert one("Hunter and James Biden have denied wrongdoing.").status == "denied"
    assert one("The Kremlin denies it is planning to attack.").status == "denied"


def test_negated_confirmation_is_not_a_confirmation() -> None:
    f = one("The Pentagon did not confirm that North Korean troops had crossed into Ukraine.")
    assert (f.status, f.speaker) == ("unverified", "Pentagon")
    f = one("The Ukrainian Defense Ministry has offered no official comment on the explosions, and the "
            "Ukrainian "
            "government has not acknowledged adding long-range attack drones to its arsenal.")
    assert f.status == "unverified"


def test_no_evidence() -> None:
    denial = one("There is no evidence that the charges are attempts to undermine his campaign.")
    assert denial.status == "denied"
    assert one("Moscow has offered no evidence that Kyiv was behind the attack.").status == "unverified"


def test_senses_of_deny_that_deny_nothing() -> None:
    assert one("The Supreme Court Friday denied a Republican Party emergency request to block Pennsylvania "
               "from counting some provisional ballots.").status == "stated"
    assert one("U.S. authorities allowed the woman and her three children to seek asylum on March 10, a "
               "reversal "
               "from a day earlier when she was denied entry.").status == "stated"


def test_conditionals_are_forecasts(seed: list[Framing]) -> None:
    f = at(seed, "“If these troops are destined to fight in Ukraine")
    assert (f.status, f.cue) == ("forecast", "would")
    f = one("If we allow Putin to redraw borders by force, he won’t stop with Ukraine.")
    assert f.status == "forecast"


def test_an_indirect_question_is_no_conditional() -> None:
    f = one("Asked by Tapper again, if the US would recognize Crimea or Donbas as a part of Russia should "
            "that be "
            "a part of the agreement, Thomas-Greenfield again declined to answer.")
    assert f.status == "stated"


# ----------------------------------------------------------------------------- clauses and spans

CLAUSES = [
    ("The transfers had taken place between October 8-13, NIS reported,",
     "and warned that more were expected soon."),
    ("The news comes as South Korean lawmakers say the North Korean troop numbers have now swelled to as "
     "many as "
     "3,000,", "and that the total is expected to land at around 10,000."),
    ("“North Korea has one of the largest armies in the world, millions are technically under arms, but "
     "it’s not "
     "a good army, it relies on mass, and none of the soldiers have been battlefield-tested,” he said,",
     "noting that Kim’s propaganda that North Korea is “invincible” will be the first bubble to burst, and "
     "impact "
     "morale."),
    ("“The benefits are far too great for North Korea to think ‘we’ve made a mistake, let’s not send our "
     "troops to "
     "Russia’,” he said,", "and pointed to the money, food, military assistance and satellite technology the "
     "pariah state is receiving from Russia in exchange."),
]


@pytest.mark.parametrize(("first", "second"), CLAUSES)
def test_differently_framed_clauses_split_exactly(seed: list[Framing], first: str, second: str) -> None:
    a, b = at(seed, first), at(seed, second)
    assert SEED[a.start:a.end] == first
    assert SEED[b.start:b.end] == second
    assert a.end < b.start and SEED[a.end:b.start].strip() == ""
    assert a.status != b.status


def test_the_seed_clause_labels(seed: list[Framing]) -> None:
    assert at(seed, CLAUSES[1][0]).status == "reported" and at(seed, CLAUSES[1][1]).status == "forecast"
    assert at(seed, CLAUSES[2][0]).status == "opinion" and at(seed, CLAUSES[2][1]).status == "forecast"
    assert at(seed, CLAUSES[3][0]).status == "opinion" and at(seed, CLAUSES[3][1]).status == "reported"


def test_spans_cover_every_sentence_exactly(seed: list[Framing]) -> None:
    _, sentences = segment(SEED)
    assert seed[0].start == sentences[0].start and seed[-1].end == sentences[-1].end
    covered = iter(seed)
    for s in sentences:
        f = next(covered)
        assert f.start == s.start
        while f.end < s.end:
            g = next(covered)
            assert SEED[f.end:g.start].strip() == "" and f.end < g.start
            f = g
        assert f.end == s.end
    for f in seed:
        piece = SEED[f.start:f.end]
        assert piece == piece.strip() and piece
        assert not (SEED[f.start - 1:f.start].isalnum() and piece[0].isalnum())
        assert f.cue is None or f.cue in SEED


def test_same_framing_same_result() -> None:
    first = frame(SEED)
    assert frame(SEED) == first  # pure: no hidden state between calls


# ----------------------------------------------------------------------------- fixtures and speed

def _load(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines()]


def test_labelled_fixture_is_well_formed() -> None:
    rows = _load("claims_labelled.jsonl")
    assert len(rows) >= 150
    assert len({r["doc_id"] for r in rows}) >= 20
    assert {r["status"] for r in rows} == {*STATUSES, None}
    for r in rows:
        assert set(r) == {"doc_id", "sentence", "status", "speaker"}
        assert r["doc_id"].startswith("rtqa-") and r["sentence"].strip() == r["sentence"]


def test_seed_fixture_accuracy(seed: list[Framing]) -> None:
    rows = _load("claims_seed.jsonl")
    assert len(rows) == 48
    right = speakers = 0
    for r in rows:
        k = SEED.find(r["sentence"])
        assert k >= 0, r["sentence"]
        parts = [f for f in seed if f.start < k + len(r["sentence"]) and f.end > k]
        status = lowest_commitment([f.status for f in parts])
        speaker = next((f.speaker for f in parts if f.status == status and f.speaker), None)
        right += status == r["status"]
        speakers += speaker == r["speaker"]
        for c in r.get("clauses", []):
            j = SEED.find(c["text"], k)
            assert any(f.start == j and f.end == j + len(c["text"]) and f.status == c["status"] for f in seed)
    assert right / len(rows) >= 0.95
    assert speakers / len(rows) >= 0.95
