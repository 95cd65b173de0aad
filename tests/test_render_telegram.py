"""bot/render_telegram.py: Answer -> Telegram HTML messages, pure. Escaping, labels, splitting."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render_telegram as rt
from index.models import NO_ANSWER, Answer, Claim, Evidence, Hit, Verdict
from tests.botapi_standin import quotes, strip_labels, telegram_html_errors, utf16_len

HOSTILE = 'He wrote <b>bold</b> & <script>alert("x&y")</script> &amp; then left.'


def sentences(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\s][^.!?]*[.!?]?", text)]


def make_hit(
    text: str,
    *,
    claims: list[Claim] | None = None,
    rank: int = 1,
    chunk_id: int = 7,
    offset: int = 100,
    url: str | None = "https://example.org/a?b=1&c=2",
    title: str = "A <title> & more",
    source: str | None = "Suspilne",
    date: str | None = None,
) -> Hit:
    if claims is None:
        claims = [Claim(text=text[s:e], start=offset + s, end=offset + e) for s, e in sentences(text)]
    return Hit(
        rank=rank,
        score=1.0,
        doc_id="doc-1",
        title=title,
        source=source,
        date=date,
        url=url,
        passage=text,
        start=offset,
        end=offset + len(text),
        paragraph=3,
        paragraphs=9,
        claims=claims,
        chunk_id=chunk_id,
    )


def answer_of(*hits: Hit) -> Answer:
    return Answer(question="q", answered=True, results=list(hits))


def check_message(text: str) -> None:
    assert utf16_len(text) <= rt.LIMIT
    assert telegram_html_errors(text) == [], text


def quoted_text(messages: list[str]) -> str:
    return "".join(strip_labels(q) for m in messages for q in quotes(m))


# ---- escaping and labels ----------------------------------------------------------------------
def test_hostile_text_shows_literally_and_round_trips():
    hit = make_hit(HOSTILE)
    [message] = rt.render_answer(answer_of(hit))
    check_message(message)
    assert "<script>" not in message and "<b>bold</b>" not in message
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in message
    assert quoted_text([message]) == HOSTILE
    assert "A &lt;title&gt; &amp; more" in message  # the title is corpus text too


def test_each_claim_is_followed_by_its_label_outside_the_quoted_words():
    text = "Suspilne reported that 18 soldiers deserted. NATO confirmed it. It will grow."
    s1, s2, s3 = sentences(text)
    evidence = [
        Evidence(doc_id="d2", source="Reuters", text="x"),
        Evidence(doc_id="d3", source="Reuters", text="y"),
        Evidence(doc_id="d4", source="AP", text="z"),
    ]
    claims = [
        Claim(
            text=text[slice(*s1)],
            start=s1[0],
            end=s1[1],
            status="reported",
            speaker="Suspilne",
            corroborated_by=evidence,
        ),
        Claim(
            text=text[slice(*s2)],
            start=s2[0],
            end=s2[1],
            status="confirmed",
            speaker="NATO",
            verdict=Verdict(id="v1", claim_reviewed="x", rating="False"),
            conflicts_with=[Evidence(doc_id="d5", source="TASS", text="no", value="3,000")],
        ),
        Claim(text=text[slice(*s3)], start=s3[0], end=s3[1], status="forecast"),
    ]
    hit = make_hit(text, claims=claims, offset=0)
    [message] = rt.render_answer(answer_of(hit))
    check_message(message)
    assert "deserted.<i> ⟨reported · Suspilne · corroborated by 2⟩</i> NATO" in message
    assert "confirmed it.<i> ⟨fact-checked: False · confirmed · NATO · conflicts: 1⟩</i> It" in message
    assert "grow.<i> ⟨forecast⟩</i></blockquote>" in message
    assert quoted_text([message]) == text


def test_claims_without_labels_add_nothing_and_odd_claims_stay_unlabelled_text():
    text = "One. Two. Three."
    weird = [
        Claim(text="One.", start=0, end=4, status="stated"),
        Claim(text="ne. T", start=1, end=6, status="denied"),
        Claim(text="x", start=50, end=60, status="denied"),
    ]
    [message] = rt.render_answer(answer_of(make_hit(text, claims=weird, offset=0)))
    assert message.count("<i>") == 1 and "denied" not in message
    assert quoted_text([message]) == text


def test_source_line_fields_and_safe_links():
    hit = make_hit("Text.", date=None, url='https://ex.org/p?a=1&b="2"')
    line = rt.source_line(hit, 1)
    assert line.startswith("<b>[1]</b> <b>A &lt;title&gt; &amp; more</b> · Suspilne · date unknown · ")
    assert '<a href="https://ex.org/p?a=1&amp;b=&quot;2&quot;">link</a>' in line
    assert line.endswith("paragraph 3 of 9")
    for bad in ("javascript:alert(1)", "ftp://ex.org/x", "https://ex.org/a b", "//ex.org", None):
        assert "<a " not in rt.source_line(make_hit("Text.", url=bad))
    assert "outlet unknown" in rt.source_line(make_hit("Text.", source=None))
    assert "2024-10-24" in rt.source_line(make_hit("Text.", date="2024-10-24"))


def test_not_answered_is_the_fixed_sentence():
    answer = Answer(question="q", answered=False, results=[], message=NO_ANSWER)
    assert rt.render_answer(answer) == [NO_ANSWER]
    assert rt.render_answer(Answer(question="q", answered=True, results=[])) == [rt.NO_MORE]


# ---- splitting --------------------------------------------------------------------------------
def test_split_between_passages_never_inside_a_quote_or_away_from_its_source():
    hits = [
        make_hit(f"Passage {i}. " + "Words & <more> words. " * 60, rank=i, chunk_id=i) for i in range(1, 6)
    ]
    messages = rt.render_answer(answer_of(*hits))
    assert len(messages) > 1
    for m in messages:
        check_message(m)
        # every quote in a message is followed by its own source line in the same message
        assert m.count("<blockquote>") == m.count("paragraph 3 of 9")
        assert re.fullmatch(
            r"(<blockquote>.*?</blockquote>\n<b>\[\d\]</b> [^\n]*)(\n\n<blockquote>.*?</blockquote>"
            r"\n<b>\[\d\]</b> [^\n]*)*",
            m,
            flags=re.S,
        )
    assert quoted_text(messages) == "".join(h.passage for h in hits)


def test_one_passage_longer_than_a_message_is_split_between_claims():
    text = " ".join(f"Claim {i} says <b>&&&</b> & <i>x</i> happened." for i in range(200))
    hit = make_hit(text, offset=0)
    messages = rt.render_answer(answer_of(hit))
    assert len(messages) >= 3
    for m in messages:
        check_message(m)
        assert m.count("<blockquote>") == 1
    assert all("paragraph 3 of 9" not in m for m in messages[:-1]) and "paragraph 3 of 9" in messages[-1]
    assert quoted_text(messages) == text
    for m in messages[:-1]:  # each part ends at a claim boundary: the claim's end plus its gap
        assert strip_labels(quotes(m)[0]).endswith("happened. ")


def test_a_single_sentence_longer_than_a_message_is_cut_between_words():
    text = "Start " + "&<> word " * 1500 + "end."
    messages = rt.render_answer(answer_of(make_hit(text, offset=0)))
    assert len(messages) > 1
    for m in messages:
        check_message(m)
    assert quoted_text(messages) == text


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab &<>\"'.\n😀é")), min_size=1, max_size=9000),
    cuts=st.lists(st.integers(min_value=0, max_value=9000), max_size=30),
    limit=st.sampled_from([700, 1500, rt.LIMIT]),
)
def test_property_every_message_fits_parses_and_quotes_verbatim(text, cuts, limit):
    bounds = sorted({0, len(text), *[c % (len(text) + 1) for c in cuts]})
    claims = [
        Claim(text=text[s:e], start=s + 5, end=e + 5, status="reported", speaker="A & <B>")
        for s, e in itertools.pairwise(bounds)
        if e > s
    ]
    hit = make_hit(text, claims=claims, offset=5)
    messages = rt.render_answer(answer_of(hit, make_hit("Short & sweet.", rank=2)), limit=limit)
    for m in messages:
        assert utf16_len(m) <= limit
        assert telegram_html_errors(m) == []
    assert quoted_text(messages) == text + "Short & sweet."


def test_render_single_for_inline_results_is_one_message():
    long_hit = make_hit(" ".join(f"Sentence {i} & more." for i in range(600)), offset=0)
    single = rt.render_single(long_hit)
    check_message(single)
    assert "\n[…]\n" in single and single.endswith("paragraph 3 of 9")
    assert long_hit.passage.startswith(strip_labels(quotes(single)[0]))
    short_single = rt.render_single(make_hit(HOSTILE))
    assert "[…]" not in short_single and strip_labels(quotes(short_single)[0]) == HOSTILE


# ---- other texts --------------------------------------------------------------------------------
def test_help_legend_explains_every_label():
    text = rt.help_text()
    check_message(text)
    for word in (
        "confirmed",
        "reported",
        "unverified",
        "denied",
        "forecast",
        "opinion",
        "stated",
        "fact-checked",
        "corroborated",
        "conflicts",
    ):
        assert f"<i>{word}</i> — " in text


def test_why_lists_cue_speaker_evidence_and_verdict():
    text = "Lawmakers say <3,000> troops."
    claim = Claim(
        text=text,
        start=0,
        end=len(text),
        status="reported",
        cue="say",
        speaker="Lawmakers & co",
        corroborated_by=[Evidence(doc_id="d2", source="Reuters", date="2024-10-25", text="About 3,000.")],
        conflicts_with=[Evidence(doc_id="d3", source="NIS", text="1,500 soldiers", value="1,500")],
        verdict=Verdict(
            id="v", claim_reviewed="x", rating="Misleading", author="AFP", url="https://factcheck.example/1"
        ),
    )
    [message] = rt.why_messages(make_hit(text, claims=[claim], offset=0))
    check_message(message)
    for part in (
        "“Lawmakers say &lt;3,000&gt; troops.”",
        "framing: reported — cue “say”",
        "who says: Lawmakers &amp; co",
        'fact-check: Misleading — by AFP, date unknown, <a href="https://factcheck.example/1">link</a>',
        "corroborated by Reuters, 2024-10-25: “About 3,000.”",
        "conflicts with NIS, date unknown (1,500)",
    ):
        assert part in message
    [plain] = rt.why_messages(make_hit("Nothing here.", offset=0))
    assert "label: none" in plain and "who says: the outlet itself" in plain


def test_sources_page_escapes_and_clamps():
    rows = [
        {"id": f"id-{i}", "title": f"T<{i}>", "source": "A&B" if i % 2 else None, "date": None, "passages": i}
        for i in range(23)
    ]
    text, page, pages = rt.sources_page(rows, 99)
    assert (page, pages) == (2, 3) and "(page 3 of 3)" in text
    check_message(text)
    assert "T&lt;20&gt;" in text and "<code>id-20</code>" in text
    assert rt.sources_page([], 0)[0].endswith("The corpus is empty.")


# ---- callback data and keyboards -------------------------------------------------------------------
def test_callback_data_is_compact_versioned_and_validated():
    for action in rt.ACTIONS:
        data = rt.callback(action, 123456789012 if action not in ("more", "src") else rt.MAX_OFFSET)
        assert len(data.encode()) <= 64 and data.startswith("v1|")
        assert rt.parse_callback(data)[0] == action
    for bad in (
        "",
        None,
        "v2|ctx|1",
        "v1|ctx|",
        "v1|ctx|abc",
        "v1|zzz|1",
        "v1|ctx|1|2",
        "v1|ctx|-1",
        "v1|more|999999",
        "v1|ctx|1234567890123",
        "x" * 64,
    ):
        assert rt.parse_callback(bad) is None, bad


def test_keyboards_carry_only_valid_callback_data():
    hits = [make_hit("A.", rank=4, chunk_id=40), make_hit("B.", rank=5, chunk_id=50)]
    markup = rt.answer_keyboard(hits, next_offset=5)
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == [
        "Context 4",
        "Why? 4",
        "Tell me if 4 changes",
        "Context 5",
        "Why? 5",
        "Tell me if 5 changes",
        "More results",
    ]
    assert all(rt.parse_callback(b.callback_data) for b in buttons)
    assert rt.answer_keyboard(hits, next_offset=None).inline_keyboard[-1][-1].text == "Tell me if 5 changes"
    assert rt.sources_keyboard(0, 1) is None
    assert [b.text for b in rt.sources_keyboard(1, 3).inline_keyboard[0]] == ["◀ Previous", "Next ▶"]


@pytest.mark.parametrize(
    ("payload", "expected"), [("p12", 12), ("p", None), ("x12", None), (None, None), ("p1 2", None)]
)
def test_start_payload(payload, expected):
    assert rt.parse_start_payload(payload) == expected
