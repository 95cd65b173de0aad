"""A learned correction of the rules' framing, where the rules are weakest.

The lexicon rules miss judgements that use no listed word ("a bridge too far", a quoted verdict), vague
sourcing and reports that go on across sentences. A small multinomial logistic regression reads named
features of each body sentence — from the parse the rules already made (parts of speech, dependencies,
modals, person, comparison, evaluative words from index.claims.subjectivity, inside or outside
quotations) and from the rules' own outputs (their status, cues, reporting verbs, speaker kind, the
previous sentence's status and speaker, position) — and gives a probability for each status.

It only ever moves a claim DOWN: to a status whose tier (stated/confirmed > reported > hedged) is no higher
than what the rules gave, and only when the learned status is probable enough and clearly more probable
than the rules' (thresholds per target chosen by cross-validation grouped by article, bench/fit_claims.py,
fitted on dev labels only). The weights are data, `learned_weights.json` beside this module (no pickles).
The decision keeps a cue for --explain: "learned: opinion (quoted evaluative language)", naming the
feature group that pushed hardest towards the new status.

Without the parse (VERBATIM_CLAIMS_MODEL=none) the model does not run: it was fitted on parsed text.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.claims.framing import _RANK
from index.claims.lexicon import _MASK, _VERB_FORMS
from index.claims.subjectivity import judges
from index.claims.text import _verbs
from index.models import Status

if TYPE_CHECKING:
    from index.claims.sentence import _Sent

WEIGHTS = Path(__file__).with_name("learned_weights.json")
RECORD: list | None = None  # bench/fit_claims.py sets a list: correct() then records instead of deciding
_FIRST = frozenset(("i", "we", "my", "our", "me", "us", "myself", "ourselves"))
_SECOND = frozenset(("you", "your", "yourself", "yourselves"))
_BE = frozenset(("is", "are", "was", "were", "be", "been", "being", "'s", "’s", "'re", "’re", "am", "'m"))
_HEDGE_ADV = frozenset(("perhaps", "maybe", "possibly", "probably", "apparently", "reportedly", "allegedly",
                        "seemingly", "likely", "arguably", "supposedly", "purportedly", "ostensibly"))
# Heads of vague or anonymous sources and of speech nouns, read as parse features (not rules).
_VAGUE = frozenset(("sources", "source", "officials", "official", "people", "person", "insiders", "aides",
                    "diplomats", "reports", "report", "residents", "witnesses", "experts", "analysts",
                    "critics", "observers", "some", "others", "many", "media", "rumours", "rumors"))

# Feature groups, for the cue the decision keeps (the group that pushed hardest towards the new status).
REASONS = {
    "q:eval": "quoted evaluative language", "o:eval": "evaluative language",
    "q:cmp": "quoted comparison", "o:cmp": "comparison", "q:md": "quoted modal", "o:md": "modal",
    "q:1p": "first person in a quotation", "o:1p": "first person", "q:2p": "second person in a quotation",
    "o:2p": "second person", "q:imp": "quoted imperative", "o:imp": "imperative",
    "q:copula": "quoted characterisation", "o:copula": "characterisation", "q:neg": "quoted negation",
    "o:neg": "negation", "q:w": "quoted wording", "o:w": "wording", "q:hedge": "quoted hedge",
    "o:hedge": "hedge", "quote": "quotation", "rule": "the rules' reading", "cue": "cue words",
    "attr": "attribution", "verb": "reporting verb", "spk": "speaker", "prev": "continues the previous sentence",
    "next": "the next sentence's attribution", "pos": "position in the article", "doc": "opinion piece",
    "vague": "vague sourcing", "subj": "the subject", "root": "the main verb", "num": "figures",
    "len": "sentence length", "q:cond": "quoted condition", "o:cond": "condition", "q:adj": "quoted adjectives",
    "o:adj": "adjectives",
}


def parse_features(s: _Sent, doc: Any) -> list[str]:
    """Named features of one parsed sentence: each token's part of speech and role, inside ("q:") or
    outside ("o:") quotations."""
    out: set[str] = set()
    masked = s.masked
    nums = 0
    for t in doc:
        inside = t.idx < len(masked) and masked[t.idx] == _MASK
        p = "q:" if inside else "o:"
        w, tag, dep = t.lower_, t.tag_, t.dep_
        if tag == "MD":
            out.add(p + "md=" + w)
            out.add(p + "md")
        if tag in ("JJR", "RBR"):
            out.add(p + "cmp=more")
        if tag in ("JJS", "RBS"):
            out.add(p + "cmp=most")
        if judges(w, tag):
            out.add(p + "eval")
        if tag.startswith("JJ"):
            out.add(p + "adj")
        if (w in _FIRST and t.pos_ == "PRON") or w in ("my", "our"):
            out.add(p + "1p")
        if w in _SECOND:
            out.add(p + "2p")
        if dep == "neg":
            out.add(p + "neg")
        if w in _HEDGE_ADV:
            out.add(p + "hedge")
        if dep == "acomp" and t.head.lower_ in _BE:
            out.add(p + "copula=adj")
        if dep == "attr" and t.head.lower_ in _BE:
            out.add(p + "copula=noun")
        if dep in ("ROOT", "conj") and tag == "VB" and not any(k.dep_ in ("nsubj", "nsubjpass") for k in t.children):
            out.add(p + "imp")
        if dep == "mark" and w in ("if", "unless"):
            out.add(p + "cond")
        if tag == "CD" or any(ch.isdigit() for ch in w):
            nums += 1
        if not t.is_punct and not t.is_space and t.pos_ not in ("PROPN", "NUM"):
            out.add(p + "w=" + w)
        if dep in ("nsubj", "nsubjpass") and w in _VAGUE and not inside:
            out.add("vague=" + w)
        if dep == "ROOT":
            out.add("root=" + tag)
            if t.pos_ in ("VERB", "AUX") and not inside:
                out.add("root:w=" + w)
            subj = next((k for k in t.children if k.dep_ in ("nsubj", "nsubjpass")), None)
            out.add("subj=" + (("1p" if subj.lower_ in _FIRST else "pron") if subj is not None and
                               subj.pos_ == "PRON" else subj.pos_ if subj is not None else "none"))
            if any(k.dep_ == "ccomp" for k in t.children):
                out.add("root:ccomp")
    out.add("num=" + ("0" if nums == 0 else "1" if nums == 1 else "2+"))
    n = len(doc)
    out.add("len=" + ("short" if n < 12 else "mid" if n < 30 else "long"))
    return sorted(out)


def features(sents: Sequence[_Sent], i: int, opinion_doc: bool) -> list[str]:
    """Every feature of sentence i: its parse features and the rules' outputs around it."""
    s = sents[i]
    out = list(s.feats or ())
    rule = _sentence_status(s)
    out.append(f"rule={rule}")
    for c in s.clauses:
        if c.status:
            out.append(f"rule:clause={Status(c.status).value}")
        for cue in c.cues:
            out.append(f"cue={Status(cue.status).value}")
            out.append(f"cue:w={cue.text.lower()}")
        for a in c.attrs:
            out.append(f"attr={Status(a.status).value if a.status else 'neutral'}")
            out.append(f"attr:kind={a.kind}")
            if a.anonymous:
                out.append("attr:anonymous")
            if a.quote_adjacent:
                out.append("attr:quote")
            if a.inherit:
                out.append("attr:inherit")
            form = s.text[a.start:a.end]
            if form in _VERB_FORMS:
                out.append("verb=" + _VERB_FORMS[form][0])
    if not any(c.attrs for c in s.clauses):
        out.append("attr=none")
    speaker = next((c.speaker for c in s.clauses if c.speaker), None)
    out.append("spk=" + ("none" if not speaker else "anonymous" if s.anonymous else s.kind))
    share = s.masked.count(_MASK) / max(1, len(s.text))
    out.append("quote=" + ("none" if share == 0 else "only" if s.quote_only else "most" if share > 0.5 else "part"))
    if s.text.lstrip()[:1] in "“\"‘'":
        out.append("quote:opens")
    if opinion_doc:
        out.append("doc=opinion")
    if s.caption:
        out.append("pos=caption")
    body = [t for t in sents[:i] if not t.none]
    out.append("pos=" + ("lead" if not body else "early" if len(body) < 3 else "body"))
    prev = next((t for t in reversed(sents[:i]) if not t.none), None)
    if prev is None:
        out.append("prev=none")
    else:
        same = "same" if prev.para == s.para else "new"
        out.append(f"prev:para={same}")
        out.append(f"prev={_sentence_status(prev)}")
        out.append(f"prev:{same}={_sentence_status(prev)}")
        prev_attr = any(a.speaker for c in prev.clauses for a in c.attrs)
        out.append("prev:attr=" + ("anonymous" if prev.anonymous else "yes" if prev_attr else "no"))
        if prev.quoted:
            out.append("prev:quoted")
    nxt = next((t for t in sents[i + 1:] if not t.none), None)
    if nxt is not None and nxt.para == s.para and any(a.speaker for c in nxt.clauses for a in c.attrs):
        out.append("next:attr")
    if _verbs(s.masked, 0, len(s.masked)):
        out.append("verb:any")
    return out


def _sentence_status(s: _Sent) -> str:
    known = [c.status for c in s.clauses if c.status]
    return Status(max(known, key=lambda x: _RANK[x])).value if known else "none"


@lru_cache(maxsize=4)
def _model(path: str) -> dict | None:
    p = Path(path)
    if not p.exists():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def model() -> dict | None:
    """The fitted weights, or None when switched off (VERBATIM_CLAIMS_LEARNED=off) or absent."""
    if os.environ.get("VERBATIM_CLAIMS_LEARNED", "").strip().lower() in ("off", "none", "0"):
        return None
    return _model(str(WEIGHTS))


def active() -> bool:
    """Whether the correction will run (fitted weights with at least one enabled target, or a fit recording)."""
    if RECORD is not None:
        return True
    m = model()
    return bool(m and m.get("thresholds"))


def probabilities(m: dict, feats: Sequence[str]) -> dict[str, float]:
    """Softmax over the statuses for a feature list (unknown features carry no weight)."""
    scores = dict(m["bias"])
    weights = m["weights"]
    for f in set(feats):
        for cls, w in weights.get(f, {}).items():
            scores[cls] += w
    top = max(scores.values())
    exp = {k: math.exp(v - top) for k, v in scores.items()}
    z = sum(exp.values())
    return {k: v / z for k, v in exp.items()}


def decide(m: dict, rule: str, probs: dict[str, float]) -> str | None:
    """The status the model moves a sentence to, or None to keep the rules' reading. Only to a status no
    higher in tier than `rule`, probable enough (its threshold) and ahead of the rules' own status by a
    margin."""
    if rule not in probs:
        return None
    tier = Status(rule).tier
    best = None
    for cls, p in sorted(probs.items(), key=lambda kv: -kv[1]):
        if cls == rule or Status(cls).tier > tier:
            continue
        th = m["thresholds"].get(f"{rule}>{cls}", m["thresholds"].get(cls))
        if th is None:
            continue
        if p >= th["p"] and p - probs[rule] >= th["margin"]:
            best = cls
        break  # only the most probable eligible status is considered
    return best


def reason(m: dict, feats: Sequence[str], cls: str, rule: str) -> str:
    """The feature group that pushed hardest from the rules' status towards cls, in words."""
    groups: dict[str, float] = {}
    for f in set(feats):
        w = m["weights"].get(f)
        if not w:
            continue
        groups[_group(f)] = groups.get(_group(f), 0.0) + w.get(cls, 0.0) - w.get(rule, 0.0)
    top = max(groups.items(), key=lambda kv: kv[1], default=(None, 0.0))[0]
    return REASONS.get(top or "", "the sentence's wording")


def _group(feature: str) -> str:
    """ "q:md=will" -> "q:md", "prev:same=reported" -> "prev", "rule=stated" -> "rule"."""
    key = feature.split("=")[0]
    if key in REASONS:
        return key
    return key.split(":")[0]


def correct(sents: list[_Sent], opinion_doc: bool, record: list | None = None) -> None:
    """Move body sentences down the tiers where the model is confident (after the rules and passes).
    `record`, when given, collects (sentence, features, rule status) for fitting instead of deciding."""
    record = RECORD if record is None else record
    m = None if record is not None else model()
    if m is None and record is None:
        return
    plans = []
    for i, s in enumerate(sents):
        if s.none or s.feats is None:
            continue
        rule = _sentence_status(s)
        if rule == "none":
            continue
        feats = features(sents, i, opinion_doc)
        if record is not None:
            record.append((s, feats, rule))
            continue
        new = decide(m, rule, probabilities(m, feats))
        if new:
            plans.append((s, new, f"learned: {new} ({reason(m, feats, new, rule)})"))
    for s, new, cue in plans:  # decided on the rules' reading of every sentence, then applied
        tier = Status(new).tier
        for c in s.clauses:
            if c.status and (Status(c.status).tier > tier or (Status(c.status).tier == tier and c.status != new)):
                c.status, c.cue = new, cue
