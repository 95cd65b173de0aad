"""bot/telegram/render.py, keyboards.py and bot/labels.py: Answer -> Telegram HTML, pure. Escaping, quiet
labels, one message per answer, keyboards."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import labels
from bot.telegram import keyboards as kb
from bot.telegram import render as rt
from bot.telegram import texts as tx
from index.models import NO_ANSWER, Answer, Claim, Evidence, Filters, Hit, Status, Verdict
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
def test_hostile_text_shows_literally_and_the_quote_is_the_passage():
    hit = make_hit(HOSTILE)
    [message] = rt.render_answer(answer_of(hit))
    check_message(message)
    assert "<script>" not in message and "<b>bold</b>" not in message
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in message
    assert [html_unescaped(q) for q in quotes(message)] == [HOSTILE]  # nothing but the passage's words
    assert "A &lt;title&gt; &amp; more" in message  # the title is corpus text too


def html_unescaped(quote_html: str) -> str:
    assert "<" not in quote_html
    return strip_labels(quote_html)


def kirby_claims(text: str) -> list[Claim]:
    s1, s2, s3, s4 = sentences(text)
    evidence = [
        Evidence(doc_id="d2", source="Reuters", text="x"),
        Evidence(doc_id="d3", source="Reuters", text="y"),
        Evidence(doc_id="d4", source="AP", text="z"),
    ]
    return [
        Claim(
            text=text[slice(*s1)],
            start=s1[0],
            end=s1[1],
            status="reported",
            speaker="John Kirby",
            corroborated_by=evidence,
        ),
        Claim(text=text[slice(*s2)], start=s2[0], end=s2[1], status="reported", speaker="John Kirby"),
        Claim(
            text=text[slice(*s3)],
            start=s3[0],
            end=s3[1],
            status="forecast",
            speaker="John Kirby",
            verdict=Verdict(id="v1", claim_reviewed="x", rating="False"),
            conflicts_with=[Evidence(doc_id="d5", source="TASS", text="no", value="3,000")],
        ),
        Claim(text=text[slice(*s4)], start=s4[0], end=s4[1], status="stated"),
    ]


KIRBY = "Kirby said 10,000 troops arrived. He said more came. They could fight soon. The war goes on."


def test_quiet_labels_one_line_per_passage_outside_the_quote():
    hit = make_hit(KIRBY, claims=kirby_claims(KIRBY), offset=0)
    [message] = rt.render_answer(answer_of(hit))
    check_message(message)
    label = "✓ fact-checked: False · forecast (John Kirby) and 1 more"  # two at most: verdict, the weakest framing
    assert message.endswith(f"</blockquote>\n<i>{label}</i>")
    assert "stated" not in message and message.count("John Kirby") == 1
    assert labels.passage_label(hit.claims)[1] == 2
    assert labels.passage_label(hit.claims[:2]) == ("reported (John Kirby) · +2 outlets", 2)
    assert labels.passage_label(hit.claims[1:]) == ("✓ fact-checked: False · forecast (John Kirby) and 1 more", 2)
    assert labels.passage_label(hit.claims, most=9)[0].endswith(" · ≠ 1 figure · +2 outlets")  # conflicts first
    assert [strip_labels(q) for q in quotes(message)] == [KIRBY]


def test_claim_label_is_quiet_and_names_a_speaker_once():
    c1, c2, c3, c4 = kirby_claims(KIRBY)
    assert labels.claim_label(c1) == "reported · John Kirby · +2 outlets"
    assert labels.claim_label(c2, previous_speaker="John Kirby") == "reported"
    assert labels.claim_label(c3) == "✓ fact-checked: False · forecast · John Kirby · ≠ 1 figure"
    assert labels.claim_label(c4) == ""  # stated: the default, no label
    account = Claim(
        text="x", start=0, end=1, conflicts_with=[Evidence(doc_id="a", text="y"), Evidence(doc_id="b", text="z")]
    )
    assert labels.claim_label(account) == "≠ 2 accounts"
    assert labels.strongest([c1, c3, c4]) == "fact-checked: False" and labels.strongest([c1, c4]) == "stated"
    assert labels.strongest([c1, c2]) == "reported" and labels.strongest([]) == "no framing found"


def test_source_line_comes_first_with_outlet_date_and_linked_title():
    hit = make_hit("Text.", date=None, url='https://ex.org/p?a=1&b="2"')
    line = rt.source_line(hit, 1)
    assert line == (
        '<b>1 · Suspilne</b>, date unknown — <a href="https://ex.org/p?a=1&amp;b=&quot;2&quot;">'
        "A &lt;title&gt; &amp; more</a> (¶3/9)"
    )
    for bad in ("javascript:alert(1)", "ftp://ex.org/x", "https://ex.org/a b", "//ex.org", None):
        assert "<a " not in rt.source_line(make_hit("Text.", url=bad))
    assert "<b>outlet unknown</b>" in rt.source_line(make_hit("Text.", source=None))
    assert ", 24 Oct 2024 — " in rt.source_line(make_hit("Text.", date="2024-10-24"))
    [message] = rt.render_answer(answer_of(make_hit("Text.")))
    assert message.startswith("<b>1 · Suspilne</b>") and message.index("</a>") < message.index("<blockquote")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2024-10-25", "25 Oct 2024"),
        ("2024-10", "Oct 2024"),
        (None, "date unknown"),
        ("Friday", "Friday"),
        ("2024-13-01", "2024-13-01"),
    ],
)
def test_readable_dates(value, shown):
    assert rt.readable_date(value) == shown


@pytest.mark.parametrize(
    ("filters", "header"),
    [
        (Filters(sources=("CNN",), since="2024-10-01", until="2024-10-31"), "<i>CNN · October 2024</i>"),
        (Filters(since="2024-01-01", until="2024-12-31"), "<i>2024</i>"),
        (Filters(sources=("CNN", "USA Today")), "<i>CNN, USA Today</i>"),
        (Filters(since="2024-10-03"), "<i>since 3 Oct 2024</i>"),
        (Filters(until="2024-02-29"), "<i>until 29 Feb 2024</i>"),
        (Filters(since="2024-10-03", until="2024-11-15"), "<i>3 Oct – 15 Nov 2024</i>"),
        (Filters(since="2023-12-30", until="2024-01-02"), "<i>30 Dec 2023 – 2 Jan 2024</i>"),
        (Filters(sources=("A&B",)), "<i>A&amp;B</i>"),
        (Filters(), None),
        (None, None),
    ],
)
def test_filters_header(filters, header):
    assert rt.filters_header(filters) == header
    answer = Answer(question="q", answered=True, results=[make_hit("Text.")], filters=filters)
    [message] = rt.render_answer(answer)
    assert message.startswith(header + "\n<b>1 · ") if header else message.startswith("<b>1 · ")


def test_not_answered_is_the_fixed_sentence():
    answer = Answer(question="q", answered=False, results=[], message=NO_ANSWER)
    assert rt.render_answer(answer) == [NO_ANSWER]
    assert rt.render_answer(Answer(question="q", answered=True, results=[])) == [rt.NO_MORE]
    assert tx.decline_text(answer, True) == f"{NO_ANSWER}\n{tx.DECLINE_NEXT}"


# ---- one message -----------------------------------------------------------------------------------
def test_an_answer_is_one_message_long_passages_shortened_to_a_fair_share():
    hits = [make_hit(f"Passage {i}. " + "Words & <more> words. " * 60, rank=i, chunk_id=i) for i in range(1, 4)]
    hits.insert(1, make_hit("Short & sweet.", rank=9, chunk_id=9))
    [message] = rt.render_answer(answer_of(*hits))
    check_message(message)
    shown = [strip_labels(q) for q in quotes(message)]
    assert len(shown) == 4 and shown[1] == "Short & sweet."
    for hit, quote in zip(hits, shown, strict=True):
        assert hit.passage.startswith(quote) and quote
    assert message.count("</blockquote>\n[…]") == 3
    for m in re.findall(r"</blockquote>\n\[…\]", message):
        assert m


def test_passages_cut_after_a_claim_where_possible():
    text = " ".join(f"Claim {i} says <b>&&&</b> & <i>x</i> happened." for i in range(200))
    hit = make_hit(text, offset=0)
    [message] = rt.render_answer(answer_of(hit))
    check_message(message)
    [quote] = quotes(message)
    assert strip_labels(quote).endswith("happened. ") and text.startswith(strip_labels(quote))
    whole = rt.render_passage(hit)  # shown whole on its own: consecutive complete quotes
    assert len(whole) >= 3 and all(utf16_len(m) <= rt.LIMIT and telegram_html_errors(m) == [] for m in whole)
    assert "".join(strip_labels(q) for m in whole for q in quotes(m)) == text


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab &<>\"'.\n😀é")), min_size=1, max_size=9000),
    cuts=st.lists(st.integers(min_value=0, max_value=9000), max_size=30),
    limit=st.sampled_from([1500, rt.LIMIT]),
)
def test_property_one_valid_message_quoting_verbatim_prefixes(text, cuts, limit):
    bounds = sorted({0, len(text), *[c % (len(text) + 1) for c in cuts]})
    claims = [
        Claim(text=text[s:e], start=s + 5, end=e + 5, status="reported", speaker="A & <B>")
        for s, e in itertools.pairwise(bounds)
        if e > s
    ]
    hits = [make_hit(text, claims=claims, offset=5), make_hit("Short & sweet.", rank=2)]
    page = rt.answer_page(answer_of(*hits), limit=limit)
    [message] = page.messages
    assert utf16_len(message) <= limit and telegram_html_errors(message) == []
    for hit, quote in zip(page.shown, quotes(message), strict=True):
        assert hit.passage.startswith(strip_labels(quote))
    for m in rt.render_passage(hits[0], limit):
        assert utf16_len(m) <= limit and telegram_html_errors(m) == []
    assert "".join(strip_labels(q) for m in rt.render_passage(hits[0], limit) for q in quotes(m)) == text


def test_render_single_for_inline_results_is_one_message():
    long_hit = make_hit(" ".join(f"Sentence {i} & more." for i in range(600)), offset=0)
    single = rt.render_single(long_hit)
    check_message(single)
    assert "</blockquote>\n[…]" in single and single.startswith("<b>Suspilne</b>, date unknown")
    assert long_hit.passage.startswith(strip_labels(quotes(single)[0]))
    short_single = rt.render_single(make_hit(HOSTILE))
    assert "[…]" not in short_single and strip_labels(quotes(short_single)[0]) == HOSTILE
    description = rt.inline_description(make_hit("Text.", date="2024-10-25", claims=kirby_claims(KIRBY)[:1]))
    assert description.startswith("Suspilne · 25 Oct 2024 · reported\n")


def test_context_shows_the_passage_between_its_neighbours():
    before, hit, after = (make_hit(t, chunk_id=i) for i, t in enumerate(["Before it.", "The passage.", "After it."]))
    [message] = rt.render_context(before, hit, after)
    check_message(message)
    assert [strip_labels(q) for q in quotes(message)] == ["Before it.", "The passage.", "After it."]
    assert message.index("<b>Before</b>") < message.index("<b>This passage</b>") < message.index("<b>After</b>")
    assert "<b>Before</b>" not in rt.render_context(None, hit, after)[0]


# ---- other texts --------------------------------------------------------------------------------
def test_help_is_short_names_the_bot_and_folds_the_legend():
    text = tx.help_text("verbatim_news_bot")
    check_message(text)
    assert "@verbatim_news_bot" in text
    [legend] = re.findall(r"<blockquote expandable>(.*?)</blockquote>", text, flags=re.S)
    for status in Status:
        assert f"<i>{status.value}</i> — " in legend
    for marker, _ in labels.MARKERS:
        assert f"<i>{marker}</i> — " in legend
    assert legend.index("Presented as established") < legend.index("<i>confirmed</i>") < legend.index("Attributed")
    assert "Maintainers" in tx.help_text("b", admin=True) and "Maintainers" not in text


def test_why_lists_cue_speaker_evidence_and_verdict_without_doubling_quote_marks():
    text = "“Lawmakers say <3,000> troops,” he said."
    claim = Claim(
        text=text,
        start=0,
        end=len(text),
        status="reported",
        cue="say",
        speaker="Lawmakers & co",
        corroborated_by=[Evidence(doc_id="d2", source="Reuters", date="2024-10-25", text="About 3,000.")],
        conflicts_with=[Evidence(doc_id="d3", source="NIS", text="“1,500 soldiers”", value="1,500")],
        verdict=Verdict(
            id="v", claim_reviewed="x", rating="Misleading", author="AFP", url="https://factcheck.example/1"
        ),
    )
    [message] = rt.why_messages(make_hit(text, claims=[claim], offset=0))
    check_message(message)
    for part in (
        "<b>1.</b> “Lawmakers say &lt;3,000&gt; troops,” he said.\n",
        "<i>✓ fact-checked: Misleading · reported · Lawmakers &amp; co · +1 outlet · ≠ 1 figure</i>",
        "framing: reported, cue “say”",
        "who says: Lawmakers &amp; co",
        'fact-check: Misleading — by AFP, date unknown, <a href="https://factcheck.example/1">link</a>',
        "said also by Reuters, 25 Oct 2024: “About 3,000.”",
        "differs: NIS, date unknown (1,500): “1,500 soldiers”",
    ):
        assert part in message
    assert "““" not in message
    [plain] = rt.why_messages(make_hit("Nothing here.", offset=0))
    assert "<i>no label</i>" in plain and "who says: the outlet itself" in plain


def test_about_shows_a_readable_date():
    assert rt.readable_time("2026-12-01T15:36:51+00:00") == "1 Dec 2026, 15:36 UTC"
    assert rt.readable_time(None) == "never"


def test_sources_page_escapes_and_clamps():
    rows = [
        {"id": f"id-{i}", "title": f"T<{i}>", "source": "A&B" if i % 2 else None, "date": None, "passages": i}
        for i in range(23)
    ]
    text, page, pages = tx.sources_page(rows, 99)
    assert (page, pages) == (2, 3) and "(page 3 of 3)" in text
    check_message(text)
    assert "T&lt;20&gt;" in text and "<code>id-20</code>" in text
    assert tx.sources_page([], 0)[0].endswith("The corpus is empty.")


# ---- callback data and keyboards -------------------------------------------------------------------
def test_callback_data_is_compact_versioned_and_validated():
    for action in kb.ACTIONS:
        data = kb.callback(action, 123456789012 if action not in kb.PAGED else kb.MAX_OFFSET)
        assert len(data.encode()) <= 64 and data.startswith("v1|")
        assert kb.parse_callback(data)[0] == action and re.match(kb.pattern(action), data)
        assert all(not re.match(kb.pattern(other), data) for other in kb.ACTIONS - {action})
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
        assert kb.parse_callback(bad) is None, bad


def test_keyboards_start_small_and_carry_only_valid_callback_data():
    markup = kb.answer_keyboard([40, 50, 60], 4, next_offset=6)
    assert [b.text for b in markup.inline_keyboard[0]] == ["4", "5", "6", "More ▸"] and len(markup.inline_keyboard) == 1
    assert kb.buttons_of(kb.answer_keyboard([40, 50, 60], 1, None)) == 3
    assert [b.text for b in kb.answer_keyboard([1], 4, 4, 0).inline_keyboard[0]] == ["◀", "4", "More ▸"]
    hit = make_hit("A.", chunk_id=40)
    actions = [b.text for row in kb.passage_actions(hit, 4).inline_keyboard for b in row]
    assert actions == ["4 · Context", "Why these labels?", "Follow", "◀ Back"]
    assert "Follow" not in [b.text for row in kb.passage_actions(hit, 4, follow=False).inline_keyboard for b in row]
    assert [b.text for b in kb.notice_keyboard(40).inline_keyboard[0]] == ["Open", "Why", "Stop"]
    assert kb.notice_keyboard(40, removed=True) is None
    decline = [[b.text for b in row] for row in kb.decline_keyboard(True).inline_keyboard]
    assert decline == [["Search my last answer's articles"], ["List the sources"]]  # a row each: not cut
    for markup in (kb.answer_keyboard([40], 1, 1), kb.passage_actions(hit, 1), kb.context_keyboard(hit, hit, hit)):
        assert all(kb.parse_callback(b.callback_data) for row in markup.inline_keyboard for b in row)
    assert kb.sources_keyboard(0, 1) is None
    assert [b.text for b in kb.sources_keyboard(1, 3).inline_keyboard[0]] == ["◀ Previous", "Next ▶"]


@pytest.mark.parametrize(
    ("payload", "expected"), [("p12", 12), ("p", None), ("x12", None), (None, None), ("p1 2", None)]
)
def test_start_payload(payload, expected):
    assert kb.parse_start_payload(payload) == expected
