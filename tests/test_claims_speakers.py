"""Who says each claim: speaker families of issue 8, on sentences written for these tests (invented
names and bodies, not taken from any labelled set). The analysis runs as `verbatim add` runs it."""

from __future__ import annotations

import re

import pytest

from index.claims import Framing, analyse, lowest_commitment
from index.segment import paragraphs, sentences


@pytest.fixture(autouse=True, scope="module")
def _parser(claims_parser: None) -> None:
    """Claims are read as `verbatim add` reads them: with the parse."""


def framings(text: str) -> list[Framing]:
    paras = paragraphs(text)
    return analyse(text, paras, [s for p in paras for s in sentences(text, p.start, p.end)])


def speaker(text: str, prefix: str) -> str | None:
    """The speaker of the sentence starting with prefix (of the clause with the lowest commitment)."""
    start = text.index(prefix)
    tail = re.search(r"[.!?][\"”]?(?:\s|$)", text[start + len(prefix) - 1:])
    stop = start + len(prefix) - 1 + (tail.end() if tail else len(text))
    parts = [f for f in framings(text) if f.end > start and f.start < stop]
    status = lowest_commitment([f.status for f in parts])
    return next((f.speaker for f in parts if f.status == status and f.speaker), None)


def test_a_sentence_initial_description_resolves_to_the_person_named_before() -> None:
    text = ("Harbour towns will get new flood barriers, Transport Secretary Mara Quill has said.\n\n"
            "Ms Quill told reporters the work would start in spring. "
            "The minister also confirmed that the budget had been agreed with the treasury.\n")
    assert speaker(text, "The minister also confirmed") == "Mara Quill"


def test_a_body_description_names_the_body_mentioned_with_that_noun() -> None:
    text = ("Bus fares rose sharply last year, according to the Transit Fairness Council (TFC).\n\n"
            "Riders in the north paid the most, a study by the Assembly transport and housing committee "
            "found in March.\n\n"
            "The committee said fares should be frozen until the new contracts start.\n")
    assert speaker(text, "The committee said") == "Assembly transport and housing committee"


def test_a_noun_before_a_name_beats_a_place_before_the_noun() -> None:
    text = ("Lena Marsh topped the list of the best-paid painters in Danish magazine Kunstblik's annual "
            "survey.\n\n"
            "\"She had a remarkable year at the auctions,\" the magazine reported.\n")
    assert speaker(text, "\"She had a remarkable year") == "Kunstblik"


def test_the_company_in_a_sentence_is_the_body_that_sentence_names() -> None:
    text = ("Orbitex, a cloud host, is a rival of the firm Brightwire.\n\n"
            "On Monday, Vantory said it had heard rumours of a data breach, a claim the company flatly denied.\n")
    assert speaker(text, "On Monday, Vantory said") == "Vantory"


@pytest.mark.parametrize(("sentence", "who"), [
    # a weak verb that governs what is said, the subject read from the parse
    ("Councillor Edna Vossberg noted on Tuesday in the chamber that the depot had been empty for years.",
     "Edna Vossberg"),
    # a coordinated verb takes its head's subject
    ("Mayor Oren Talbot welcomed the grant, but stressed that the repairs would take a decade.", "Oren Talbot"),
    # the name after its head goes on through "for" and "and"
    ("Ferries were cancelled on both coasts, the Office for Harbours and Coastal Transport announced Sunday.",
     "Office for Harbours and Coastal Transport"),
    # the apposition names the body
    ("The trade body Pellucid, which speaks for 3,000 small bakeries, said the levy was bad for business.",
     "Pellucid"),
])
def test_the_parse_names_the_subject_of_a_speech_verb(sentence: str, who: str) -> None:
    text = "Harbour repairs\n\n" + sentence + "\n"
    assert speaker(text, sentence[:20]) == who


@pytest.mark.parametrize("sentence", [
    "Watch Dr. Ilse Warrender explain what the new hearing test means for older drivers.",
    "The council did not respond to requests for comment on the depot.",
    "Councillor Edna Vossberg responded by reading out the budget for the depot.",
    "Under the plan, Mayor Oren Talbot would warn the ferry firms that fares must fall.",
    "On Friday, the Lisbon-born painter announced a partnership with a gallery to help young artists.",
])
def test_no_report_no_speaker(sentence: str) -> None:
    text = "Harbour repairs\n\n" + sentence + "\n"
    assert speaker(text, sentence[:20]) is None


@pytest.mark.parametrize(("sentence", "who"), [
    # inverted attributions: the name after the verb, not a name inside the content
    ("Councillor Edna Vossberg, who chairs the board, \"opened the depot to buses again\", said the Courier.",
     "Courier"),
    ("The coast will lose 3,000 people, and Dunmore, with 800 fewer, said Hamish Brody for the Gazette site.",
     "Hamish Brody"),
    ("The mayor has made Port Ellis and the much-praised Talbot \"the model for the region\", said Vantage, "
     "a view that has not gone down well.", "Vantage"),
    # a stray comma between the name and "told"; "told the paper" is whom it was said to
    ("\"We are ready for the winter,\" depot chairman Ivo van der Lint, told the Courier.", "Ivo van der Lint"),
    # a surname that is also a modal verb
    ("Theresa Maybury's deputy Ama May, the harbour spokeswoman, said: \"The pier reopens in May.\"", "Ama May"),
])
def test_speaker_phrases(sentence: str, who: str) -> None:
    text = "Harbour repairs\n\n" + sentence + "\n"
    assert speaker(text, sentence[:20]) == who


def test_a_name_before_the_verb_still_speaks_when_the_content_holds_names() -> None:
    text = "Harbour repairs\n\nHugo Brandt, a former port engineer, said North Harbour had been dredged twice.\n"
    assert speaker(text, "Hugo Brandt") == "Hugo Brandt"


def test_it_after_a_body_that_did_not_speak_is_that_body() -> None:
    text = ("Grain prices fell, the Farmers Union of Ostland (FUO) said on Monday.\n\n"
            "The Baltic Grain Exporters Forum (BGEF) has agreed to ship more wheat next month.\n\n"
            "BGEF's statement did not mention the drought in the south.\n\n"
            "\"The meeting stressed the need for stable markets,\" it added.\n")
    assert speaker(text, "\"The meeting stressed") == "BGEF"


def test_according_to_a_name_with_for_in_it() -> None:
    text = ("Flu season\n\nCases doubled in a week, according to the Ostland Centers for Flu Control and "
            "Prevention.\n")
    assert speaker(text, "Cases doubled") == "Ostland Centers for Flu Control and Prevention"


def test_a_dash_before_a_participle_names_nobody() -> None:
    text = ("Lunar rocks\n\nThe probe's landing site was the floor of Orwell Basin – believed to have formed "
            "four billion years ago – where it has worked since.\n")
    assert speaker(text, "The probe's landing") is None



def test_he_after_a_person_introduced_with_an_apposition_is_that_person() -> None:
    text = ("Ferry sleuths\n\nThe Harbour Courier said ferry traffic had doubled, citing port data.\n\n"
            "Another well-known tracker is Ivo Lindqvist, a shipping analyst who runs a small team in Malmo.\n\n"
            "On Monday, he wrote that three ferries had turned back near the strait.\n")
    assert speaker(text, "On Monday, he wrote") == "Ivo Lindqvist"


def test_he_does_not_resolve_to_an_outlet() -> None:
    text = ("Ferry sleuths\n\nMara Quill, the port director, said the strait was calm.\n\n"
            "The Harbour Gazette said ferry traffic had doubled.\n\n"
            "\"We have never seen so many boats,\" he told reporters.\n")
    assert speaker(text, "\"We have never seen") == "Mara Quill"


def test_he_after_a_named_subject_stays_with_the_subject() -> None:
    text = ("Harbour talks\n\nMayor Oren Talbot met Ada Brandt, the ferry envoy, on Tuesday.\n\n"
            "He said the talks had gone well.\n")
    assert speaker(text, "He said the talks") == "Oren Talbot"


def test_a_role_of_a_named_body_is_the_speaker_not_the_place_after_it() -> None:
    text = ("Port inquiry\n\nThe chief inspector of the Ostland Maritime Authority in Ellis said the ferry "
            "had been overloaded.\n")
    assert speaker(text, "The chief inspector") == "chief inspector of the Ostland Maritime Authority"


# ----------------------------------------------------------------------------- issue 8g: speaker families


def test_the_paper_names_the_outlet_quoted_last_not_an_earlier_one() -> None:
    text = ("Two ferries collided off the coast on Monday, the Harbour Herald reported.\n\n"
            "The crews were “shaken but unhurt”, according to The Coastline Times.\n\n"
            "One of the captains had worked on the route for 30 years, the paper added.\n")
    assert speaker(text, "One of the captains") == "Coastline Times"


def test_an_inverted_description_after_the_verb_is_resolved() -> None:
    text = ("Small towns could share their libraries online, says the Centre for Rural Studies (CRS).\n\n"
            "Village halls could host the first terminals, says the think-tank.\n")
    assert speaker(text, "Village halls could host") == "CRS"


def test_the_agency_is_the_named_body_of_x_not_a_person() -> None:
    text = ("The Food Standards Agency of Lorland issued a warning about frozen berries on Monday.\n\n"
            "Nine people fell ill in the capital, the agency said.\n")
    assert speaker(text, "Nine people fell ill") == "Food Standards Agency of Lorland"


def test_a_media_noun_never_names_a_government_body() -> None:
    text = ("Prices of rail tickets will rise in May, the Office of Rail Fares said.\n\n"
            "The increase was “modest”, the Weekly Courier Times reported.\n\n"
            "Season tickets are exempt, the newspaper said.\n")
    assert speaker(text, "Season tickets are exempt") == "Weekly Courier Times"


def test_she_said_after_a_person_introduced_in_her_own_paragraph() -> None:
    text = ("Orla Penn, a retired teacher, said the festival was her favourite week of the year.\n\n"
            "Tamsin Vey, a student at the college, runs the stall and sells old maps. "
            "“I found most of them in attics,” she said.\n")
    assert speaker(text, "“I found most of them") == "Tamsin Vey"


def test_a_pronoun_subject_of_a_warning_resolves_to_the_person_before() -> None:
    text = ("Governor Ada Lusk said she supported the new bridge, though the council must agree. "
            "And she issued a warning that the state would cut funds to towns that refused.\n")
    assert speaker(text, "And she issued a warning") == "Ada Lusk"


def test_an_appraisal_verb_is_its_subjects_judgement() -> None:
    text = ("The Harbour Authority welcomed the decision of the court on Friday.\n\n"
            "The opposition criticised the mayor for his silence.\n")
    got = {f.speaker: f.status for f in framings(text)}
    assert got.get("Harbour Authority") == "opinion"
    assert got.get("opposition") == "opinion"


def test_the_demonym_names_the_person_just_named() -> None:
    text = ("Rui Tavares, a chef from Porto, opened his third restaurant in Leeds last month.\n\n"
            "The Portuguese said he would open a fourth next year.\n")
    assert speaker(text, "The Portuguese said") == "Rui Tavares"


def test_an_outlet_named_with_the_is_no_demonym() -> None:
    text = ("Rui Tavares opened his third restaurant in Leeds last month.\n\n"
            "The Guardian said the menu would change every week.\n")
    assert speaker(text, "The Guardian said") in ("Guardian", "The Guardian")


def test_he_after_a_person_quoted_through_a_relative_clause() -> None:
    text = ("The report pointed to comments from Ivo Marsh, a former naval officer, who has warned that "
            "the fleet is too small.\n\n"
            "“A navy without ships is a museum,” he wrote in a column last week.\n")
    assert speaker(text, "“A navy without ships") == "Ivo Marsh"


def test_the_site_said_is_the_news_site_named_before() -> None:
    text = ("Amateur map readers are tracking the convoy, Open Atlas Weekly reported.\n\n"
            "Working under pseudonyms, the volunteers “have become famous overnight”, the site said.\n")
    assert speaker(text, "Working under pseudonyms") == "Open Atlas Weekly"


def test_a_bodys_statement_is_that_bodys_word() -> None:
    text = "Kelvar’s statement said demand for its chips had risen in May.\n"
    assert speaker(text, "Kelvar’s statement") == "Kelvar"


def test_a_role_its_owner_pins_down_is_kept_as_written() -> None:
    text = ("Ines Hall, the president of the league, said the final would be moved.\n\n"
            "The league’s secretary general said he expected ticket prices to fall.\n")
    assert speaker(text, "The league’s secretary general") == "league’s secretary general"


def test_a_list_continues_the_source_that_introduces_it() -> None:
    text = ("Weekend rules\n\n"
            "The Harbour Park website lists the following banned items:\n\n"
            "◾ Glass bottles are not allowed on the beach.\n\n"
            "◾ Drones are banned near the pier.\n\n"
            "Parking costs £5 a day.\n")
    got = {text[f.start:f.end].split()[1]: (f.status, f.speaker) for f in framings(text) if f.status}
    assert got["Glass"] == ("reported", "Harbour Park")
    assert got["Drones"] == ("reported", "Harbour Park")
    assert got["costs"] == ("stated", None)  # "Parking costs …": the list has ended


def test_a_lead_description_is_the_body_named_next() -> None:
    text = ("Ferry fares could fall by a fifth next year, the islands' transport regulator has said.\n\n"
            "The Maritime Fares Authority says a new contract would cut costs. It will publish the plan in May.\n")
    assert speaker(text, "Ferry fares could fall") == "Maritime Fares Authority"


def test_a_lead_description_is_the_person_named_next() -> None:
    text = ("Schools must prepare for longer heatwaves, the new chief inspector has warned.\n\n"
            "Dame Ruth Alder, who took over the post last month, told head teachers to plan ahead.\n")
    assert speaker(text, "Schools must prepare") == "Ruth Alder"


def test_a_surname_first_name_is_completed_from_its_first_mention() -> None:
    text = ("Tax revenue rose by a quarter, and customs head Wen Lihua told reporters exports had grown.\n\n"
            "Rebates were cut in March, according to Mr Wen.\n")
    assert speaker(text, "Rebates were cut") == "Wen Lihua"


def test_a_company_after_a_surname_is_no_given_name() -> None:
    text = ("The firm was sold to rival Birch Ltd in May.\n\n"
            "“It was time,” chief executive Ann Birch said. Mr Birch said the sale was final.\n")
    assert speaker(text, "Mr Birch said") == "Ann Birch"


# ----------------------------------------------------------------------------- issue 8i


def test_and_inside_a_bodys_name_keeps_the_person_of_the_apposition() -> None:
    text = ("Dock strike\n\n"
            "Ada Brandt, the leader of the Dockers and Harbour Workers Union said: \"We were ignored.\"\n\n"
            "\"There was a time when the only worry was the weather.\"\n")
    assert speaker(text, "Ada Brandt, the leader") == "Ada Brandt"
    assert speaker(text, "\"There was a time") == "Ada Brandt"  # the quotation paragraph continues her


def test_a_coordinated_name_before_the_verb_is_one_speaker() -> None:
    text = "Ferry audit\n\nThe Port Authority and Ostland Rail reported a fall in passengers last year.\n"
    assert speaker(text, "The Port Authority") == "Port Authority and Ostland Rail"


def test_a_quotation_that_closes_unattributed_keeps_the_speaker_before_it() -> None:
    text = ("Ferry sale\n\n"
            "Harbour tycoon Ivo Lint wants to buy the ferry line, the Courier reported. "
            "“We are studying the offer,” Lint said. “This is a big moment for the town. "
            "Nobody owns a ferry line – you look after it.” He is not the only bidder, the Ostland Herald reported.\n")
    assert speaker(text, "“This is a big moment") == "Ivo Lint"
    assert speaker(text, "Nobody owns a ferry line") == "Ivo Lint"
    assert speaker(text, "He is not the only bidder") == "Ostland Herald"


@pytest.mark.parametrize("sentence", [
    "Shipping magnate Ivo Lint has picked six sailors that he said will join him on the voyage.",
    "Ivo Lint published a letter on Monday, in which he said that the voyage was safe.",
])
def test_a_pronoun_in_a_relative_clause_is_its_sentences_subject(sentence: str) -> None:
    text = f"Voyage\n\nThe Harbour Gazette said ferry traffic had doubled. Tom Reyes runs the port.\n\n{sentence}\n"
    assert speaker(text, sentence[:20]) == "Ivo Lint"


def test_a_pronoun_after_a_coordinating_and_is_the_subject_before_it() -> None:
    text = ("Voyage\n\nTom Reyes, the harbour master, said the sea was calm.\n\n"
            "Ivo Lint sailed on Monday, and he said the voyage was safe.\n\n"
            "Ivo Lint sailed on Tuesday. He said the voyage was rough.\n")
    assert speaker(text, "Ivo Lint sailed on Monday") == "Ivo Lint"
    assert speaker(text, "He said the voyage was rough") == "Ivo Lint"  # the subject before, as ever


def test_a_role_description_is_the_person_quoted_last() -> None:
    text = ("Backwards marathon\n\nTom Harrow said he is walking the course backwards for the hospital.\n\n"
            "The project manager said he hopes the stunt will draw attention to the cause.\n")
    assert speaker(text, "The project manager") == "Tom Harrow"


def test_the_capitalised_title_is_the_titled_speaker_named_last() -> None:
    text = ("Church visit\n\nTom Harrow said the port would welcome pilgrims.\n\n"
            "Pope Anselm says he will visit the port. Last month, the Pontiff said the church would fund a shelter.\n")
    assert speaker(text, "Last month, the Pontiff") == "Anselm"


def test_an_anonymous_role_description_is_not_a_named_person() -> None:
    text = ("Port inquiry\n\nTom Harrow said the port was safe.\n\n"
            "The official said the inquiry would take a year.\n")
    assert speaker(text, "The official said") != "Tom Harrow"


def test_a_lowercase_body_type_after_a_name_leaves_the_name() -> None:
    text = ("Donor case\n\nIvo Lint misled clinics, according to the Harbour Kind foundation, which brought the case.\n\n"
            "The Ostland Administration said the clinics were safe.\n")
    assert speaker(text, "Ivo Lint misled") == "Harbour Kind"
    assert speaker(text, "The Ostland Administration") == "Ostland Administration"  # a capitalised name stays whole


def test_an_indefinite_report_by_a_country_is_the_report_not_the_country() -> None:
    text = "Jobs\n\nA British report issued on Tuesday said 3,000 posts had gone. A US report says more will go.\n"
    assert speaker(text, "A British report") == "British report"
    assert speaker(text, "A US report says") == "US report"


def test_a_report_by_an_outlet_is_still_the_outlet() -> None:
    text = "Jobs\n\nA Harbour Gazette report said 3,000 posts had gone.\n"
    assert speaker(text, "A Harbour Gazette report") == "Harbour Gazette"


@pytest.mark.parametrize(("tail", "who"), [
    ("according to a person familiar with the matter.", "person familiar with the matter"),
    ("according to two officials close to the talks.", "two officials close to the talks"),
])
def test_according_to_a_source_familiar_with_keeps_the_whole_phrase(tail: str, who: str) -> None:
    text = f"Visit\n\nThe envoy will visit the port in May, {tail}\n"
    f = next(f for f in framings(text) if f.status)
    assert (f.status, f.speaker) == ("unverified", who)


@pytest.mark.parametrize("sentence", [
    "The port's former chief executive Ivo Lint quit last month claiming he was \"deeply let down\" by the board.",
    "Ivo Lint wants the ferries to run all night but conceded this was ambitious.",
])
def test_a_participle_or_a_coordinated_verb_speaks_for_the_parsed_subject(sentence: str) -> None:
    text = f"Port\n\nThe Harbour Gazette said ferry traffic had doubled.\n\n{sentence}\n"
    assert speaker(text, sentence[:20]) == "Ivo Lint"


def test_it_and_said_after_a_named_body_is_that_body() -> None:
    text = ("Club finances\n\nHarbour United posted a record loss of 60m euros in the year to June. "
            "It made a loss of 20m euros in the first half and said that its debts will rise.\n")
    assert speaker(text, "It made a loss") == "Harbour United"


def test_several_reports_hold_no_reporting_verb() -> None:
    text = ("Church law\n\nPope Anselm says he will act on abuse.\n\n"
            "Multiple reports detailing abuse have been released since 2013.\n")
    f = next(f for f in framings(text) if text[f.start:].startswith("Multiple"))
    assert (f.status, f.speaker) == ("stated", None)


@pytest.mark.parametrize(("tail", "who"), [
    ("according to Mr. Reyes.", "Tom Reyes"),
    ("according to Dr. Quill.", "Mara Quill"),
    ("according to Sen. Ada Moor.", "Ada Moor"),
])
def test_according_to_a_title_with_a_full_stop_keeps_the_name(tail: str, who: str) -> None:
    text = f"Tax plan\n\nTom Reyes and Mara Quill met on Monday.\n\nThe plan will cost 3m euros, {tail}\n"
    assert speaker(text, "The plan will cost") == who


def test_a_hyphenated_name_the_parse_reads_keeps_its_hyphen() -> None:
    from index.claims import parse

    doc = parse.load()("Ivo Lint-Varga, a former adviser to O'Hara's office - the port - wrote that costs rose.")
    words = parse._words_of(doc[0:len(doc)])
    assert words[:8] == ["Ivo", "Lint-Varga", "a", "former", "adviser", "to", "O'Hara's", "office"]
    assert words[8:10] == ["the", "port"]  # a spaced dash is no part of a word


def test_a_body_before_a_relative_clause_with_a_figure_speaks() -> None:
    text = ("Tax plan\n\nThe Harbour Gazette said the plan was late.\n\n"
            "Noting that prices are rising, the trade body Make Ostland, which represents 20,000 firms, said the "
            "rise was illogical.\n")
    assert speaker(text, "Noting that prices") == "Make Ostland"


def test_an_inverted_weak_verb_with_a_description_after_it_speaks() -> None:
    text = ("Tour\n\nThe Harbour Five cancelled a concert, said a Harbour Five spokesman, who added that the singer "
            "was resting.\n\nThe band hoped to play on Wednesday, added the spokesman.\n")
    assert speaker(text, "The Harbour Five cancelled") == "Harbour Five spokesman"  # not "said a Harbour Five …"
    assert speaker(text, "The band hoped") == "Harbour Five spokesman"


def test_the_study_said_is_the_body_named_for_it_just_before() -> None:
    text = ("Shopping\n\nMuch of this shopping is done at work, according to research carried out by security firm "
            "Ostland Software. The research reveals that two working days are lost. Young staff are the worst "
            "offenders, suggests the research.\n")
    assert speaker(text, "Much of this shopping") == "Ostland Software"
    assert speaker(text, "The research reveals") == "Ostland Software"
    assert speaker(text, "Young staff are") == "Ostland Software"


def test_in_inside_a_bodys_name_after_according_to() -> None:
    text = ("Shopping\n\nHalf of the country shops online according to figures collected by the Online Sellers in "
            "Retail Group which represents web shops.\n\nIt rained all week, according to Reuters in Moscow.\n")
    assert speaker(text, "Half of the country") == "Online Sellers in Retail Group"
    assert speaker(text, "It rained all week") == "Reuters"


def test_a_figure_with_a_thousands_comma_stays_in_the_speaker_phrase() -> None:
    text = "Shifts\n\nA poll of 2,000 adults found that a fifth of workers had shifts cancelled.\n"
    assert speaker(text, "A poll of") == "poll of 2,000 adults"


def test_a_time_phrase_or_a_based_compound_opening_a_sentence_is_no_speaker() -> None:
    text = ("Church law\n\nPope Anselm says he will act on abuse.\n\n"
            "Two years later, he issued a revision of church law, insisting that bishops act.\n\n"
            "Ostland-based merchant bank Raine, which runs the sale, has received 150 letters from buyers "
            "claiming to be keen.\n")
    assert speaker(text, "Two years later") == "Anselm"
    assert speaker(text, "Ostland-based merchant bank") != "Ostland-based"


def test_a_dateline_before_the_subject_leaves_the_named_subject_the_speaker() -> None:
    text = ("Brexit\n\nOstford (AFP) – Senator Ada Moor has criticised the harbour plan, saying that “loud "
            "comments” do more harm than good.\n")
    assert speaker(text, "saying that") == "Ada Moor"


def test_said_she_hopes_is_one_attribution_to_the_named_subject() -> None:
    text = ("Memorial\n\nIvo Lint, a spokesman for the harbour church, says the champion prayed there.\n\n"
            "Karimi, director of Harbour Paths to Peace, said she hopes the town remembers his call for unity.\n")
    assert speaker(text, "Karimi, director") == "Karimi"
