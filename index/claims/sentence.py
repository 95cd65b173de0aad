"""One sentence: quotations masked, clauses, reporting verbs with their speakers, framing cues."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from index.claims.lexicon import (
    _ACTIVE_ONLY,
    _ANONYMITY,
    _ANONYMITY_ANCHORS,
    _AUX,
    _CLAIM_NOT_CLAIM,
    _CONFIRM_NOT_CLAIM,
    _CREDIT,
    _CUES,
    _DENIAL_ANCHORS,
    _DENIAL_CONTENT,
    _DENY_NOT_CLAIM,
    _DETERMINERS,
    _EVALUATIVE,
    _FORECAST_NOT,
    _GOING_TO_NOUN,
    _HEDGES,
    _JUDGING,
    _LONG_WORD,
    _MASK,
    _NEGATORS,
    _NOUN_FORECASTS,
    _OPENER,
    _PROMO,
    _QUOTED_ANCHORS,
    _QUOTED_OPINION,
    _REJECTS,
    _SPLIT,
    _VERB_FORMS,
    _VERB_STATUS,
    _WORD,
)
from index.claims.speakers import (
    _definite,
    _first_phrase,
    _last,
    _last_phrase,
    _np_after,
    _np_speaker,
    _subject_after,
    _subject_before,
)
from index.claims.text import (
    _typo_hedge,
    _verbs,
)
from index.models import Role, Status


@dataclass
class _Cue:
    start: int  # sentence-relative
    end: int
    status: str
    text: str
    needs_attr: bool = False  # "on condition of anonymity" marks only an attributed claim


@dataclass
class _Attr:
    start: int  # the verb, sentence-relative
    end: int
    status: str | None  # the framing the verb itself carries (Status.DENIED), or None for "said"
    speaker: str | None  # as written, a pronoun, or None
    kind: str
    anonymous: bool = False
    quote_adjacent: bool = False
    definite: bool = False  # "the agency said": may name an earlier speaker
    inherit: bool = False  # "…, saying", "and warned": the subject of the sentence speaks
    subject: tuple[str, str, bool] | None = None  # an inheriting verb's subject as the parse reads it


@dataclass
class _Clause:
    start: int  # sentence-relative
    end: int
    attrs: list[_Attr] = field(default_factory=list)
    cues: list[_Cue] = field(default_factory=list)
    question: bool = False
    status: str | None = None
    cue: str | None = None
    speaker: str | None = None


@dataclass
class _Sent:
    start: int
    end: int
    para: int
    text: str
    masked: str  # quoted characters replaced by _MASK
    quote_only: bool  # nothing but a quotation
    quoted: bool
    none: bool  # asserts nothing: caption, headline, byline, question
    clauses: list[_Clause]
    speaker: str | None = None
    kind: str = "unknown"
    anonymous: bool = False  # the speaker is an unnamed source or official
    caption: bool = False  # a photo caption: a claim only when a cue or an attribution frames it
    credit: str | None = None  # the caption's credited provider ("© NIS", "provided by …")
    feats: list[str] | None = None  # the parse's features for the learned correction (None: not parsed)


def _read_sentence(text: str, s0: int, s1: int, pi: int, role: Role, quotes: list[tuple[int, int]],
                   opinion_doc: bool) -> _Sent:
    sent = text[s0:s1]
    chars = list(sent)
    for a, b in quotes:
        for k in range(max(a, s0), min(b, s1)):
            chars[k - s0] = _MASK
    masked = "".join(chars)
    quoted = _MASK in masked
    quote_only = quoted and not re.sub(r"\W", "", masked.replace(_MASK, ""))
    caption = role is Role.CAPTION
    bare = _CAPTION_CREDIT.sub("", sent) if caption else sent
    if (role is not Role.BODY and not caption) or (not caption and (_CREDIT.search(sent) or _PROMO.match(sent))) or \
            len(bare.split()) < 3 or sent.rstrip(" \"”’)]*").endswith("?"):
        return _Sent(s0, s1, pi, sent, masked, quote_only, quoted, True, [_Clause(0, len(sent))])
    cuts = [0, *(m.end() for m in _SPLIT.finditer(masked) if 25 <= m.start() <= len(sent) - 15), len(sent)]
    clauses = [_Clause(a, len(sent[:b].rstrip())) for a, b in pairwise(cuts)]
    for c in clauses:
        c.attrs = _find_attrs(sent, masked, c.start, c.end)
        c.cues = _find_cues(sent, masked, c.start, c.end, opinion_doc)
        c.attrs += _appraisals(masked, c)
        inner = masked[c.start:c.end]
        q_end = inner.rfind(_MASK)
        if q_end >= 0 and sent[c.start:c.start + q_end + 1].rstrip().endswith("?") and c.attrs and \
                len(re.findall(r"\w+", inner[q_end + 1:])) <= 6:
            c.question = True  # “And how has North Korea dealt with defections before?” he asked
    return _Sent(s0, s1, pi, sent, masked, quote_only, quoted, False, clauses, caption=caption)


# A caption's credit: "© KCNA via KNS, AFP", "(Photo: Reuters)", "Photo: …", "Jane Doe/AP".
_CAPTION_CREDIT = re.compile(r"©.*$|\((?:Photo|Image)[^)]*\)|(?:Photo(?:graph)?|Image|Credit)\s*:.*$|"
                             r"\S+(?:\s\S+)?/(?:AP|AFP|Reuters|Getty Images|EPA|Shutterstock)\b.*$")
_PROVIDED_BY = re.compile(r"\b(?:provided|released|supplied|distributed|published|obtained)\s+by\s+"
                          r"(?:[^,;.()]+?\s+)?\(([A-Z][A-Z0-9&]{1,7})\)|"
                          r"\b(?:provided|released|supplied|distributed|published)\s+by\s+((?:the\s+)?[A-Z][^,;.()]{1,60})")


def caption_credit(paragraph: str) -> str | None:
    """Who a caption credits: the provider named in it ("provided by … (NIS)") or its © credit."""
    m = _PROVIDED_BY.search(paragraph)
    if m:
        return (m.group(1) or m.group(2)).strip()
    m = re.search(r"©\s*([^,;]+?)(?:\s+via\b|,|;|$)", paragraph) or \
        re.search(r"\((?:Photo|Image)(?:\s+credit)?\s*:?\s*([^)/]+)", paragraph) or \
        re.search(r"/\s*(AP|AFP|Reuters|Getty Images|EPA)\b", paragraph)
    return m.group(1).strip() if m else None


def _negated(before: str) -> bool:
    """ "did not confirm", "has never denied": a negator right before the verb group."""
    for w in reversed(re.findall(r"[\w’']+", before)[-5:]):
        lw = w.lower()
        if lw in _NEGATORS or lw.endswith(("n't", "n’t")):
            return True
        if not (lw in _AUX or lw.endswith("ly")):
            return False
    return False


def _verb_status(lemma: str, form: str, sent: str, masked: str, vs: int, ve: int, before: str) -> str | None:
    """The framing a reporting verb carries here; "" if it is no such verb here (a noun, "denied bail")."""
    tail = sent[vs:min(len(sent), ve + 60)]
    after = masked[ve:]
    if lemma == "claim" and form in ("claim", "claims") and not re.match(
            r"\s+(?:that|to|he|she|it|they|we|I)\b|[,:]?\s*[“\"" + _MASK + "]", after):
        return ""  # "improper claims", "a claim he denies": the noun
    lookalike = {"confirm": _CONFIRM_NOT_CLAIM, "deny": _DENY_NOT_CLAIM, "claim": _CLAIM_NOT_CLAIM}.get(lemma)
    if (lookalike and lookalike.search(tail)) or (lemma == "confirm" and re.search(
            r"\b(?:suspected|probable|presumed|possible) (?:or|and) $", before)):
        return ""
    if lemma in ("reject", "dismiss", "dispute") and not _REJECTS.match(sent, vs):
        return ""
    if lemma == "charge" and not re.match(r"(?:\s+\S+){0,5}?\s+(?:with|for)\b", after):
        return ""
    if lemma in ("call", "brand", "describe"):  # "called the refusal “pathological”", "described it as"
        label = re.match(r"(?:\s+[\w’'-]+){1,16}?\s+(?:as\s+)?[“\"]?(" + _MASK + r"+)", after)
        evaluative = label and any(w.lower() in _EVALUATIVE for w in re.findall(
            r"[\w’'-]+", sent[ve + label.start(1):ve + label.end(1)]))
        if not evaluative and not (lemma == "describe" and re.match(r"(?:\s+[\w’'-]+){1,8}?\s+as\b", after)):
            return ""
        return Status.OPINION
    status = _VERB_STATUS.get(lemma)
    if status in (Status.CONFIRMED, Status.DENIED) and _negated(before):
        return Status.UNVERIFIED  # "did not confirm", "has not denied"
    return status


def _weak_context(lemma: str, after: str) -> bool:
    """A weak verb reports speech: "noted that", "added.", "announced they have evidence"."""
    return bool(re.match(r"(?:\s+(?:on|in|at|during|throughout|last|this|the|\w+day|week|month|year|trial|"
                         r"interview|"
                         r"statement|earlier|later|again|repeatedly|publicly|previously|recently|also)){0,5}"
                         r"\s+that\b|\s*(?:[,.;]|$)|\s+(?:he|she|it|they|we|I|there)\b", after)) or \
        lemma in ("point out", "point to") or \
        (lemma in ("promise", "vow", "pledge") and bool(re.match(r"\s+to\b", after)))


# Verb forms that are also singular nouns ("a US report", "an Ostland claim").
_NOUN_FORMS = frozenset(("report", "claim", "comment", "note", "remark", "reply", "answer", "tweet", "post",
                         "estimate", "forecast", "dispute", "charge", "call", "promise", "pledge", "vow", "warning"))


_QUANTIFIERS = frozenset(("multiple", "several", "many", "numerous", "some", "two", "three", "four", "five",
                          "other", "further", "conflicting", "unconfirmed", "media", "press", "news"))


def _find_attrs(sent: str, masked: str, c0: int, c1: int) -> list[_Attr]:
    """Attributions in a clause: reporting verbs outside quotations, with their speakers."""
    out: list[_Attr] = []
    for vs, ve, form in _verbs(masked, c0, c1):
        if form.lower() == "according to":
            hit = _np_after(masked, ve)
            if hit:
                out.append(_Attr(vs, ve, None, *hit, definite=_definite(_first_phrase(masked[ve:ve + 60]))))
            continue
        lemma, strong = _VERB_FORMS[form]
        before, after = masked[c0:vs], masked[ve:c1]
        prev = re.findall(r"[\w’'-]+[’']?|[,;]", before[-40:])
        if prev and (prev[-1].lower() in _DETERMINERS or re.search(r"(?:[’']s|s[’'])$", prev[-1])):
            continue  # a noun or adjective: "Daniels' claim", "the report", "Chubais’ reported opposition"
        if form.lower().rstrip("s") in _NOUN_FORMS and prev and (prev[-1] in _QUANTIFIERS or (
                prev[-1].lower() in _QUANTIFIERS and prev[-1].lower() not in ("media", "press", "news"))):
            continue  # "Multiple reports detailing …", "press reports" (not "the Associated Press reports"): the noun
        if form.lower() in _NOUN_FORMS and len(prev) >= 2 and prev[-2].lower() in ("a", "an") and \
                prev[-1] not in ",;" and not (prev[-1].endswith("s") and not prev[-1].isupper()):
            continue  # "A US report issued on Tuesday said": the article's noun, not "officials report"
        if prev and prev[-1].lower() in ("by", "for", "of", "about", "from") and form.endswith("ing") and \
                lemma in _VERB_STATUS:
            continue  # a described act: "including by denying he committed …"
        status = _verb_status(lemma, form, sent, masked, vs, ve, before)
        if status == "":
            continue
        quote_adj = bool(re.search(r"[" + _MASK + r"”\"],?\s*(?:[\w’'.&-]+\s+){0,8}$", before)) or \
            bool(re.match(r"[:,]?\s*[“\"]", after))
        passive = re.search(r"\b(?:is|are|was|were|been|be|being)\s+(?:\w+ly\s+)?$|\w[’']s\s+$", before)
        if passive and not form.endswith("ing"):  # "was confirmed by …"; "are showing" is no passive
            agent = re.match(r"\s+by\b", after)
            hit = _np_after(masked, ve + agent.end()) if agent else None
            if status and lemma not in _ACTIVE_ONLY and not re.search(r"\bto\s+be\s+$", before):
                out.append(_Attr(vs, ve, status, *(hit or (None, "unknown", False))))  # "… by Ukraine"
            continue
        if re.search(r"\bto\s+(?:\w+ly\s+)?$", before):
            continue  # "trying to confirm", "asked to verify"
        rel = re.search(r"((?:[A-Z][\w’'.-]*\s+){0,4}[A-Z][\w’'.-]*),\s+(?:(?:a|an|the)\s+[^,;:" + _MASK +
                        r"]{2,80},\s+)?who\s+(?:\w+ly\s+|has\s+|had\s+)?$", masked[:vs])  # "X, a …, who said"
        hit = _np_speaker(rel.group(1).split()) if rel else _subject_before(masked, vs)  # "X, who said"
        if form.split()[0].endswith("ing") and lemma in _JUDGING and not rel:
            continue  # "sent a letter to Biden calling for …": a judgement cue (lexicon), nobody's verb here
        after_verb = False
        if hit is None and re.search(r"(?:^|[,“”\"" + _MASK + r"])\s*$", before):
            hit = _subject_after(masked, ve)
            after_verb = hit is not None  # "…, said the paper", "…, added the spokesman": the speaker follows
        inherit = hit is None and (form.endswith("ing") or bool(re.search(r"\b(?:and|but)\s+(?:\w+ly\s+)?$", before)))
        inverted = after_verb and len(after.split()) <= 8 and bool(re.fullmatch(r"[^,;:]*[.!]?\s*", after))
        if not (strong or quote_adj or status or inverted or _weak_context(lemma, after)):
            continue
        if lemma in _ACTIVE_ONLY and hit is None and not inherit:
            continue
        if hit is None and not status and not inherit and not re.search(r"(?:^|,)\s*(?:and\s+)?$", before):
            continue  # a neutral verb with no speaker and no coordination attributes nothing
        out.append(_Attr(vs, ve, status, *(hit or (None, "unknown", False)), quote_adjacent=quote_adj,
                         definite=_definite(_first_phrase(masked[ve:ve + 60]) if after_verb else
                                            _last_phrase(masked[:vs])), inherit=inherit))
    return out


# Verbs of appraisal whose forms double as nouns ("praise", "a blast", "a welcome"), so the verb lexicon
# leaves them to the cue table: in the past or present tense with a subject before them ("The ministry
# welcomed the decision", "Fans hailed the result") the subject is whose judgement it is.
_APPRAISAL = re.compile(r"(?:prais|hail|slamm|slam|blast|lambast|welcom|demand)(?:ed|es|s)$")


def _appraisals(masked: str, c: _Clause) -> list[_Attr]:
    """The judgement a subject makes with an appraisal verb found by the cue table: an opinion attribution
    with that subject as its speaker (nothing when no subject phrase names anybody)."""
    out = []
    taken = {a.start for a in c.attrs}
    for cue in c.cues:
        verb = cue.text.split()[0]
        if cue.status != Status.OPINION or cue.start in taken or not _APPRAISAL.match(verb.lower()) or \
                masked[cue.start] == _MASK:
            continue
        hit = _subject_before(masked, cue.start)
        if hit is None or (hit[1] == "unknown" and hit[0][:1].islower()):
            continue
        out.append(_Attr(cue.start, cue.start + len(verb), Status.OPINION, *hit,
                         definite=_definite(_last_phrase(masked[:cue.start]))))
    return out


def _find_cues(sent: str, masked: str, c0: int, c1: int, opinion_doc: bool) -> list[_Cue]:
    """Framing words of a clause (hedges, modals, negations, judgements), quotations included."""
    seg = sent[c0:c1]
    words = set(_WORD.findall(seg.lower()))
    cues: list[_Cue] = []
    for pattern in _CUES:
        if not pattern.applies(words):
            continue
        for m in pattern.regex.finditer(seg):
            a, b = c0 + m.start(), c0 + m.end()
            if (pattern.status == Status.FORECAST or m.group().lower() == "should") and not _states_expectation(
                    sent, a, b):
                continue
            cues.append(_Cue(a, b, pattern.status, m.group()))
    if words & _ANONYMITY_ANCHORS:
        cues += [_Cue(c0 + m.start(), c0 + m.end(), Status.UNVERIFIED, m.group(), needs_attr=True)
                 for m in _ANONYMITY.finditer(seg)]
    if words & _DENIAL_ANCHORS or "n't" in seg or "n’t" in seg:  # "said he had not broken any rules"
        cues += [_Cue(c0 + m.start(), c0 + m.end(), Status.DENIED, m.group(), needs_attr=True)
                 for m in _DENIAL_CONTENT.finditer(seg)]
    if "must" in words:  # "Britain must prepare …, the general warned": a speaker's call, an opinion
        cues += [_Cue(c0 + m.start(), c0 + m.end(), Status.OPINION, m.group(), needs_attr=True)
                 for m in re.finditer(r"\bmust\b(?!\s+(?:have|be\s+(?:\w+ed|\w+en)\b))", seg)]
    cues += [_Cue(c0 + m.start(), c0 + m.end(), Status.UNVERIFIED, m.group())
             for m in _LONG_WORD.finditer(seg) if m.group().lower() not in _HEDGES and _typo_hedge(m.group())]
    if _MASK in masked[c0:c1] or opinion_doc:  # somebody's assessment
        if words & _EVALUATIVE:
            cues += [_Cue(c0 + m.start(), c0 + m.end(), Status.OPINION, m.group())
                     for m in re.finditer(r"[A-Za-z’'-]+", seg) if m.group().lower() in _EVALUATIVE and
                     (opinion_doc or masked[c0 + m.start()] == _MASK)]
        if words & _QUOTED_ANCHORS:
            cues += [_Cue(c0 + m.start(), c0 + m.end(), Status.OPINION, m.group())
                     for m in _QUOTED_OPINION.finditer(seg) if opinion_doc or masked[c0 + m.start()] == _MASK]
    return cues


def _states_expectation(sent: str, a: int, b: int) -> bool:
    """Whether a modal or expectation word at sent[a:b] frames the claim as a forecast."""
    word = sent[a:b]
    lookalikes = _FORECAST_NOT.finditer(sent, max(0, a - 25), min(len(sent), b + 25))
    if any(x.start() <= a < x.end() for x in lookalikes):
        return False  # "could not be reached", "the will of the people", "as expected"
    if word == "May" or (word[:1].isupper() and a > 0 and word.lower() in ("will", "might")) or \
            (word.lower() == "going to" and _GOING_TO_NOUN.match(sent, a)):
        return False
    if word.lower() in ("if", "unless") and re.search(r"\bas\s+$", sent[max(0, a - 4):a]):
        return False  # "as if"
    op = _last(_OPENER, sent, max(0, a - 120), b)
    if op and (op.end() == b or not re.search(r"[,;.]", sent[op.end():a])):
        return False  # an indirect question: "asked if the US would recognize …"
    return not (_NOUN_FORECASTS.fullmatch(word) and re.search(
        r"\b(?:the|these|those|its|their|his|her|our|my|your|such)\s+$", sent[max(0, a - 8):a]))
