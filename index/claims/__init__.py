"""Framing analysis: how an article itself presents each of its claims.

    analyse(text, paragraphs, sentences) -> [Framing, ...]
    analyse_many([(text, paragraphs, sentences), ...]) -> [[Framing, ...], ...]

One pass over a whole article at indexing time; pure except for the parser, which loads lazily
(index.claims.parse). Every sentence yields one Framing, or several when it carries differently
framed clauses ("…, NIS reported, | and warned that more were expected soon."). The labels and their
order are the `Status` enum's (CLAIM-STATUS.md); when cues conflict the lowest commitment wins:

    denied > unverified > forecast > opinion > reported > confirmed > stated

Modules, one job each:
  lexicon   the data: reporting verbs, hedges, denials, refusals, anonymous heads, cue patterns (sources cited)
  text      small text helpers (typo-tolerant hedges, quotation spans)
  parse     the dependency parse (spaCy en_core_web_sm, loaded once, batched) and the features read from it:
            modals inside relative clauses, "fake" as an adjective, the subject phrase of a reporting verb
  sentence  one sentence: quotations masked, clauses, reporting verbs and their speakers, cues
  speakers  speaker phrases, and speakers across sentences (names completed, pronouns and "the Russian
            president" resolved, quotations continued, named vs anonymous)
  passes    the decision per clause and the cross-sentence passes (scope of "could not be verified",
            scope of a confirmation), then the spans

How a sentence is read:

1. Headlines, bylines, boilerplate and questions assert nothing: status None. Captions are read like
   body text (a caption that asserts something is a claim), their credited provider the speaker.
2. Quotations are found per paragraph (curly or straight marks; an unclosed quote runs to the
   end of its paragraph; a straight quote reopened after a sentence end, as in BBC copy where several
   paragraphs of one quotation sit on one line, starts a new quotation). Attribution verbs count only
   outside quotations; evaluative words only inside them, or anywhere in an opinion piece.
3. Attribution: a reporting verb and its subject ("X said", "“…,” said X, a …", "according to X");
   participles and coordinated verbs take the sentence subject; pronouns and descriptions are
   resolved backwards. Unnamed sources and officials make a claim `unverified`.
4. Cues: lexicon phrases for each label, with negation, refusals ("declined to confirm"),
   conditionals, inflections and typo-tolerant hedge adverbs ("purporetdly"); the parse drops
   modals that sit in a relative clause of a noun ("measures that could provoke …").
5. Across sentences: "Although the reports could not be independently verified" turns the reports
   before it `unverified`; "confirming a report by X that …" confirms that claim only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence

from index.claims import learned
from index.claims.framing import STATUSES, Framing, lowest_commitment
from index.claims.passes import (
    _confirm_pass,
    _continuations,
    _decide,
    _emit,
    _fragments,
    _list_items,
    _scope_pass,
    opinion_piece,
)
from index.claims.sentence import _read_sentence, _Sent, caption_credit
from index.claims.speakers import _Names, _Speakers
from index.claims.text import _quote_spans
from index.models import Paragraph, Role, Sentence

__all__ = ["STATUSES", "Framing", "analyse", "analyse_many", "lowest_commitment"]

Job = tuple[str, Sequence[Paragraph], Sequence[Sentence]]


def analyse(text: str, paragraphs: Sequence[Paragraph], sentences: Sequence[Sentence]) -> list[Framing]:
    """Framing of every claim of one article, in document order (one or more per sentence)."""
    return analyse_many([(text, paragraphs, sentences)])[0]


def analyse_many(jobs: Iterable[Job]) -> list[list[Framing]]:
    """Framing of several articles; their body sentences are parsed in one batched parser call."""
    from index.claims import parse

    read = [_read_article(text, paras, sents) for text, paras, sents in jobs]
    every = learned.active()  # the learned correction reads every body sentence's parse
    todo = [s for _, sents, _ in read for s in sents if (every and not s.none) or parse.wanted(s)]
    for s, doc in zip(todo, parse.parse_many([s.text for s in todo]), strict=True):
        if doc is None:  # parsing is off or the model is missing
            continue
        if parse.wanted(s):
            parse.apply(s, doc)
        if every:
            s.feats = learned.parse_features(s, doc)
    return [_finish(text, sents, paras) for text, sents, paras in read]


def _read_article(text: str, paragraphs: Sequence[Paragraph],
                  sentences: Sequence[Sentence]) -> tuple[str, list[_Sent], Sequence[Paragraph]]:
    pstarts = [p.start for p in paragraphs]
    quotes: dict[int, list[tuple[int, int]]] = {}
    opinion_doc = opinion_piece(text, paragraphs)
    sents: list[_Sent] = []
    for sentence in sentences:
        s0, s1 = sentence.start, sentence.end
        while s0 < s1 and text[s0].isspace():
            s0 += 1
        while s1 > s0 and text[s1 - 1].isspace():
            s1 -= 1
        if s1 <= s0:
            continue
        pi = max(0, bisect_right(pstarts, s0) - 1)
        para = paragraphs[pi] if paragraphs else Paragraph(start=0, end=len(text), role=Role.BODY)
        if pi not in quotes:
            quotes[pi] = [(para.start + a, para.start + b)
                          for a, b in _quote_spans(text[para.start:para.end])]
        s = _read_sentence(text, s0, s1, pi, para.role, quotes[pi], opinion_doc)
        if s.caption:
            s.credit = caption_credit(text[para.start:para.end])
        sents.append(s)
    return text, sents, paragraphs


def _finish(text: str, sents: list[_Sent], paragraphs: Sequence[Paragraph]) -> list[Framing]:
    opinion_doc = opinion_piece(text, paragraphs)
    names = _Names(text)
    _Speakers(sents, names).resolve()
    for s in sents:
        if s.caption and not s.speaker:
            s.speaker = s.credit  # the credited provider says what its picture shows
    for s in sents:
        for prev, c in zip([None, *s.clauses], s.clauses, strict=False):
            _decide(s, c, opinion_doc)
            if prev and prev.speaker and not (c.cues or c.attrs):  # "…; there are less than 30,000 …"
                c.status, c.cue, c.speaker = prev.status, prev.cue, prev.speaker
    _fragments(sents)
    _continuations(sents)
    _list_items(sents, names)
    _scope_pass(sents, paragraphs, opinion_doc)
    _confirm_pass(sents, paragraphs, names)
    learned.correct(sents, opinion_doc)  # the learned signal: only ever down the tiers
    author = _OPINION_AUTHOR.search(text[:3000]) if opinion_doc else None
    if author:  # an opinion piece speaks in its author's voice
        for s in sents:
            for c in s.clauses:
                if c.status and not c.speaker:
                    c.speaker = author.group(1)
    return _emit(sents)


_OPINION_AUTHOR = re.compile(r"^([A-Z][\w.'’-]+(?:[ \t]+[A-Z][\w.'’-]+){1,3})[ \t]*\n\s*(?:Opinion contributor|"
                             r"Opinion columnist|Columnist|Guest columnist)\b", re.MULTILINE)

