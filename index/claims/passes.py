"""Decisions and the cross-sentence passes: a clause's label, verbless fragments, the scope of
"could not be verified", the scope of a confirmation, and the emitted spans."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from index.claims.framing import _RANK, Framing
from index.claims.lexicon import (
    _CONFIRM_REPORT,
    _FRAGMENT,
    _MASK,
    _NEG_VERIFY,
    _OPINION_DOC,
    _PLURAL_REF,
)
from index.claims.sentence import (
    _Clause,
    _Sent,
)
from index.claims.speakers import (
    _Names,
    _np_speaker,
    _sentence_subject,
)
from index.claims.text import _quote_spans
from index.models import Paragraph, Role, Status


def _decide(s: _Sent, c: _Clause, opinion_doc: bool) -> None:
    """The clause's label: the lowest commitment among its cues, else reported or stated."""
    if s.none or c.question or (s.caption and not (c.cues or any(a.speaker for a in c.attrs))):
        c.status = c.cue = c.speaker = None  # a caption that only describes its picture asserts nothing
        return
    own = next((a for a in c.attrs if a.speaker), None)
    speaker = own.speaker if own else s.speaker
    anonymous = own.anonymous if own else s.anonymous
    attributed = any(a.speaker for cc in s.clauses for a in cc.attrs)
    cands: list[tuple[str, str, str | None]] = []  # (status, cue, speaker of that cue)
    cands += [(cue.status, cue.text, None) for cue in c.cues if attributed or not cue.needs_attr]
    cands += [(a.status, s.text[a.start:a.end], a.speaker) for a in c.attrs if a.status]
    if anonymous and speaker:
        cands.append((Status.UNVERIFIED, speaker, speaker))
    if cands:
        top = max(_RANK[x[0]] for x in cands)
        c.status, c.cue, spk = next(x for x in cands if _RANK[x[0]] == top)
        c.speaker = spk or speaker
    elif speaker:
        verb = own or next((a for cc in s.clauses for a in cc.attrs if a.speaker == speaker), None)
        c.status, c.cue, c.speaker = Status.REPORTED, (s.text[verb.start:verb.end] if verb else None), speaker
    elif opinion_doc and not re.search(r"\d", s.text[c.start:c.end]):
        c.status, c.cue, c.speaker = Status.OPINION, None, None  # an opinion piece argues unless it counts
    else:
        c.status, c.cue, c.speaker = Status.STATED, None, None


def _continuations(sents: list[_Sent]) -> None:
    """A sentence without its own attribution right after an attributed one in the same paragraph goes
    on with that report ("… a report said. That expansion pushed growth to 2.3%."): a plain one becomes
    `reported` (or `unverified` for an unnamed source) with that speaker, never the outlet's own `stated`;
    a hedged one keeps its label and gets the speaker. The lower tier is the safe reading when the cues
    leave it open. A sentence whose subject names a new actor is the outlet's own account."""
    for prev, s in pairwise(sents):
        if s.none or prev.none or s.para != prev.para or (prev.quoted and not s.quoted):
            continue
        if s.quoted and s.masked.count(_MASK) < 20:
            continue  # scare quotes around a name or a term ("a location NASA calls “Lookout Hill”")
        if any(c.attrs or c.speaker for c in s.clauses):
            continue  # its own attribution, or a quotation already continued by the speaker pass
        subject = _sentence_subject(s.masked)
        if subject and subject[1] != "pronoun":
            continue  # a new actor ("GM is the largest stakeholder …") is the outlet's own account
        last = next((c for c in reversed(prev.clauses) if c.speaker and c.status), None)
        if last is None or not any(a.speaker for c in prev.clauses for a in c.attrs):
            continue
        status = Status.UNVERIFIED if prev.anonymous else Status.REPORTED
        for c in s.clauses:
            if c.status == Status.STATED and not c.cues:
                c.status, c.cue = status, last.cue
            if c.status:
                c.speaker = last.speaker


_BULLET = re.compile(r"\s*(?:[•◾◼▪●■◆◦‣∙*–—-]|\d{1,2}[.)])\s+")


def _list_items(sents: list[_Sent], names: _Names) -> None:
    """A list that a sentence introduces with a colon goes on with that sentence's source item by item:
    "The Park Authority said:" or "The park's website lists the following banned items:" (no speech verb,
    but the sentence's subject is who speaks once bullet items follow), then "• Glass containers …". A plain
    item is `reported` (`unverified` for an unnamed source) with that speaker, a hedged one keeps its label;
    the list ends at the first paragraph that is no list item, or at an item's own attribution."""
    for i, s in enumerate(sents):
        if s.none or not s.text.rstrip().endswith(":") or i + 1 >= len(sents) or \
                sents[i + 1].para == s.para or not _BULLET.match(sents[i + 1].text):
            continue
        intro = next((c for c in reversed(s.clauses) if c.speaker and c.status), None)
        if intro is None or not any(a.speaker for c in s.clauses for a in c.attrs):
            hit = None if any(c.cues for c in s.clauses) else _sentence_subject(s.masked)
            if hit is None or hit[1] == "pronoun" or hit[0][:1].islower():
                continue
            speaker = names.normalise(hit[0], hit[1], s.start)[0]
            for c in s.clauses:
                if c.status == Status.STATED:  # the cue: the subject as written ("Disney's website")
                    c.status, c.speaker, c.cue = Status.REPORTED, speaker, hit[0]
            intro = s.clauses[-1]
        status = Status.UNVERIFIED if s.anonymous else Status.REPORTED
        para = s.para
        for t in sents[i + 1:]:
            if t.para != para:  # a new paragraph: a list item, or the end of the list
                if not _BULLET.match(t.text):
                    break
                para = t.para
            if t.none or any(c.attrs for c in t.clauses):
                break
            for c in t.clauses:
                if c.status == Status.STATED and not c.cues:
                    c.status, c.cue = status, intro.cue
                if c.status:
                    c.speaker = intro.speaker


def _fragments(sents: list[_Sent]) -> None:
    """A short verbless tail ("For neither Kim nor Putin.") continues the sentence before it."""
    for prev, s in pairwise(sents):
        if s.none or prev.none or s.para != prev.para or len(s.clauses) != 1:
            continue
        c, last = s.clauses[0], prev.clauses[-1]
        if not (c.cues or c.attrs) and len(s.text.split()) <= 6 and _FRAGMENT.match(s.text) and last.status:
            c.status, c.cue, c.speaker = last.status, last.cue, last.speaker


def _scope_pass(sents: list[_Sent], paragraphs: Sequence[Paragraph], opinion_doc: bool) -> None:
    """ "Although the reports could not be independently verified, …" frames the reports before it:
    the reporting paragraphs of its section (the nearest one for a singular "the report")."""
    neg = re.compile(_NEG_VERIFY, re.IGNORECASE)
    section = 0
    for i, s in enumerate(sents):
        if paragraphs and paragraphs[s.para].role is Role.HEADLINE:
            section = i + 1
        m = None if s.none else neg.search(s.text)
        if not m or m.start() > 80 or "," in s.masked[:m.start()] or \
                re.search(r"\b(?:said|says|say|told|tells|according to)\b", s.masked[:m.start()]) or \
                re.match(r"\s+(?:that|whether|if|how|what|who|when|where)\b", s.text[m.end():]):
            continue  # "did not confirm that …" frames new content, not earlier claims
        obj_end = m.end() + re.search(r"[,;.]|$", s.text[m.end():]).start()
        for c in s.clauses:  # the phrase and its object are about earlier claims, not this one
            c.cues = [q for q in c.cues if not m.start() <= q.start < obj_end]
            c.attrs = [a for a in c.attrs if not m.start() <= a.start < obj_end]
        s.speaker = next((a.speaker for c in s.clauses for a in c.attrs if a.speaker), None)
        for c in s.clauses:
            _decide(s, c, opinion_doc)
        reports = sorted({t.para for t in sents[section:i]
                          if not t.none and any(c.speaker for c in t.clauses)}, reverse=True)
        targets = set(reports[:4] if _PLURAL_REF.search(s.text[:m.end()]) else reports[:1])
        para, carried = -1, None
        for t in sents[section:i]:
            if t.none or t.para not in targets:
                continue
            if t.para != para:
                para, carried = t.para, None
            for c in t.clauses:
                if c.status and _RANK[c.status] <= _RANK[Status.UNVERIFIED]:
                    c.status, c.cue = Status.UNVERIFIED, m.group()
                    c.speaker = c.speaker or carried  # "They were later found …" continues the report
                carried = c.speaker or carried


def _confirm_pass(sents: list[_Sent], paragraphs: Sequence[Paragraph], names: _Names) -> None:
    """ "… confirming an October 18 report by … (NIS) that …" confirms that claim and what NIS reports
    about it in the same paragraph; details NIS reports in later paragraphs stay `reported`."""
    for i, s in enumerate(sents):
        m = None if s.none else _CONFIRM_REPORT.search(s.text)
        if not m:
            continue
        src = m.group("src").strip()
        acr = re.search(r"\(([A-Z][A-Z0-9&]{1,7})\)", src)
        hit = (acr.group(1), "org", False) if acr else _np_speaker(src.split())
        if not hit:
            continue
        source = names.normalise(hit[0], hit[1], s.start)[0]
        for t in sents[i + 1:]:
            if t.para != s.para:
                break  # the confirmation covers what it names: its own paragraph, not later details
            for c in t.clauses:
                if c.status == Status.REPORTED and c.speaker == source:
                    c.status, c.cue = Status.CONFIRMED, m.group().split()[0]


def _emit(sents: list[_Sent]) -> list[Framing]:
    """Merge neighbouring clauses framed alike; spans are exact, trimmed, and cover the sentence."""
    out: list[Framing] = []
    for s in sents:
        merged: list[_Clause] = []
        for c in s.clauses:
            if merged and (merged[-1].status, merged[-1].speaker) == (c.status, c.speaker):
                merged[-1] = _Clause(merged[-1].start, c.end, status=c.status, cue=merged[-1].cue or c.cue,
                                     speaker=c.speaker)
            else:
                merged.append(c)
        for k, c in enumerate(merged):
            a = 0 if k == 0 else c.start
            b = len(s.text) if k == len(merged) - 1 else c.end
            status = Status(c.status).value if c.status else None  # plain values at the boundary
            out.append(Framing(s.start + a, s.start + len(s.text[:b].rstrip()), status, c.cue, c.speaker))
    return out


def opinion_piece(text: str, paragraphs: Sequence[Paragraph]) -> bool:
    """Whether the article argues in its author's voice: an opinion label ("Opinion contributor", "the
    views expressed in this commentary"), or a columnist's first person ("I", "my", "me") outside
    quotations in at least three body paragraphs. News copy keeps "I" inside quotations."""
    if _OPINION_DOC.search(text[:3000]):
        return True
    voiced = 0
    for p in paragraphs:
        if p.role is not Role.BODY:
            continue
        body = text[p.start:p.end]
        for a, b in reversed(_quote_spans(body)):
            body = body[:a] + " " * (b - a) + body[b:]
        voiced += bool(_FIRST_PERSON.search(body))
        if voiced >= 3:
            return True
    return False


_FIRST_PERSON = re.compile(  # "I" with a verb (not "World War I"), "I'm", "my", "myself"
    r"\bI(?:[’'](?:m|ve|d|ll)\b|\s+(?:[a-z]+ly\s+)?(?:am|was|have|had|think|believe|feel|know|knew|would|will|can|"
    r"could|do|did|don[’']t|didn[’']t|can[’']t|want|wanted|love|loved|like|hope|remember|suspect|guess|say|said|"
    r"mean|must|should|might|may|got|went|saw|see|find|found|spent|wrote|asked|told|grew|watched|became)\b)|"
    r"\b(?:my|My|myself)\b")
