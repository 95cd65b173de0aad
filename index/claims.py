
"""Framing analysis: how an article itself presents each of its claims.

    analyse(text, paragraphs, sentences) -> [Framing, ...]

One pass over a whole article at indexing time; pure (no I/O, no model). Every sentence
yields one Framing, or several when it carries differently framed clauses
("…, NIS reported, | and warned that more were expected soon."). The labels and their
order are those of CLAIM-STATUS.md; when cues conflict the lowest commitment wins:

    denied > unverified > forecast > opinion > reported > confirmed > stated

How a sentence is read:

1. Captions, headlines, bylines and questions assert nothing: status None.
2. Quotations are found per paragraph (curly or straight marks; an unclosed quote runs to the
   end of its paragraph). Attribution verbs count only outside quotations; evaluative words
   only inside them (a quoted assessment), or anywhere in an opinion piece.
3. Attribution: a reporting verb and its subject, found by rules rather than a parser:
   "X said", "“…,” said X, a …", "X, <apposition>, said", "according to X", "confirmed by X",
   "X, who said"; participles and coordinated verbs ("…, saying", "and warned") take the
   sentence subject; "he/she/it said" and "the agency said" are resolved backwards. Unnamed
   sources and officials make a claim `unverified`.
4. Cues: lexicon phrases for each label, with negation ("did not confirm" is no
   confirmation), conditionals ("if …"), inflections, and typo-tolerant hedge adverbs
   ("purporetdly": optimal string alignment distance 1, or 2 for hedges of 11+ letters).
5. Across sentences: a paragraph that is only a quotation continues the previous speaker;
   "Although the reports could not be independently verified" turns the reports before it
   `unverified`; "confirming a report by X" turns X's later reported claims `confirmed`.

Speed: regular expressions and lexicons only (no model), about 0.15 ms per sentence;
`python bench/claims_accuracy.py <articles.jsonl>` measures it, with the accuracy.

Lexicons: the reporting verbs merge the quote-verb list of the GenderGapTracker
(github.com/sfu-discourse-lab/GenderGapTracker, MIT licence) and textacy's reporting verbs
(textacy.extract.triples, Apache-2.0), written out here and grouped by the framing they carry.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from index.models import Paragraph, Role, Sentence

STATUSES = ("denied", "unverified", "forecast", "opinion", "reported", "confirmed", "stated")
_RANK = {s: len(STATUSES) - i for i, s in enumerate(STATUSES)}  # denied 7 … stated 1


@dataclass(frozen=True)
class Framing:
    start: int  # claim span in the article text: a sentence, or a clause of one
    end: int
    status: str | None  # one of STATUSES; None asserts nothing (caption, headline, question)
    cue: str | None  # the words of the text that decided it, verbatim
    speaker: str | None  # who the claim is attributed to; None = the outlet's own voice


def lowest_commitment(statuses: Sequence[str | None]) -> str | None:
    """The label that wins when several apply (None when none applies)."""
    known = [s for s in statuses if s]
    return max(known, key=_RANK.__getitem__) if known else None


def analyse(text: str, paragraphs: Sequence[Paragraph], sentences: Sequence[Sentence]) -> list[Framing]:
    """Framing of every claim of one article, in document order (one or more per sentence)."""
    pstarts = [p.start for p in paragraphs]
    quotes: dict[int, list[tuple[int, int]]] = {}
    opinion_doc = bool(_OPINION_DOC.search(text[:3000]))
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
        sents.append(_read_sentence(text, s0, s1, pi, para.role, quotes[pi], opinion_doc))
    names = _Names(text)
    _Speakers(sents, names).resolve()
    for s in sents:
        for prev, c in zip([None, *s.clauses], s.clauses, strict=False):
            _decide(s, c, opinion_doc)
            if prev and prev.speaker and not (c.cues or c.attrs):  # "…; there are less than 30,000 …"
                c.status, c.cue, c.speaker = prev.status, prev.cue, prev.speaker
    _fragments(sents)
    _scope_pass(sents, paragraphs, opinion_doc)
    _confirm_pass(sents, paragraphs, names)
    return _emit(sents)


# =============================================================================== lexicons


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_IRREGULAR = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "write": ("write", "writes", "wrote", "written", "writing"),
    "think": ("think", "thinks", "thought", "thinking"),
    "find": ("find", "finds", "found", "finding"),
    "feel": ("feel", "feels", "felt", "feeling"),
    "put it": ("put it", "puts it", "putting it"),
}


def _inflect(lemma: str) -> tuple[str, ...]:
    """say -> says/said/saying; deny -> denies/denied/denying; point out -> points out …"""
    if lemma in _IRREGULAR:
        return _IRREGULAR[lemma]
    head, _, rest = lemma.partition(" ")
    rest = f" {rest}" if rest else ""
    if head in ("admit", "rebut", "concur"):
        forms = (head, head + "s", head + head[-1] + "ed", head + head[-1] + "ing")
    elif head.endswith("ee"):
        forms = (head, head + "s", head + "d", head + "ing")
    elif head.endswith("e"):
        forms = (head, head + "s", head + "d", head[:-1] + "ing")
    elif head.endswith("y") and head[-2] not in "aeiou":
        forms = (head, head[:-1] + "ies", head[:-1] + "ied", head + "ing")
    elif head.endswith(("sh", "ch", "ss", "x")):
        forms = (head, head + "es", head + "ed", head + "ing")
    else:
        forms = (head, head + "s", head + "ed", head + "ing")
    return tuple(f + rest for f in forms)


# Reporting verbs (GenderGapTracker quote verbs, MIT; textacy REPORTING_VERBS, Apache-2.0), by the
# framing they carry. "Strong" verbs attribute on their own. "Weak" ones ("added", "announced",
# "noted") only next to a quotation, before "that" or a pronoun, or at a clause end, so that
# "announced a $500 million aid package" stays the outlet's own statement.
_STRONG = ("say", "tell", "report", "testify", "put it")
_WEAK = (*_words("""add note state write explain comment remark mention reply respond answer recall tweet
    post announce disclose reveal share declare indicate stress emphasize emphasise observe ask insist
    maintain assert contend agree complain recount inform caution warn rule conclude find signal describe
    call brand promise vow pledge"""), "point out", "point to")
_VERB_STATUS = {
    **dict.fromkeys(_words("confirm acknowledge verify admit concede concur corroborate"), "confirmed"),
    **dict.fromkeys(_words("deny refute rebut reject dismiss dispute"), "denied"),
    **dict.fromkeys(_words("claim allege suggest purport speculate accuse charge"), "unverified"),
    **dict.fromkeys(_words("predict forecast estimate expect anticipate hope"), "forecast"),
    **dict.fromkeys(_words("believe think feel argue doubt"), "opinion"),
}
_ACTIVE_ONLY = _words("believe think feel doubt expect charge hope")  # framing only with a subject
_VERB_FORMS: dict[str, tuple[str, bool]] = {}  # form -> (lemma, strong)
for _lemma in (*_STRONG, *_VERB_STATUS):
    _VERB_FORMS.update(dict.fromkeys(_inflect(_lemma), (_lemma, True)))
for _lemma in _WEAK:
    for _form in _inflect(_lemma):
        _VERB_FORMS.setdefault(_form, (_lemma, False))
_MULTIWORD: dict[str, list[str]] = {}  # first word -> multi-word forms ("point out", "according to")
for _form in _VERB_FORMS:
    if " " in _form:
        _MULTIWORD.setdefault(_form.split()[0], []).append(_form)
_MULTIWORD["According"] = _MULTIWORD["according"] = ["According to", "according to"]

# Words around attributions.
_NEGATORS = _words("not never no neither nor cannot unable failed declined refused without")
_AUX = _words("has have had did does do was were is are be been yet ever also to would will could can may "
              "might "
              "should must being")
_DETERMINERS = _words("a an the one this that these those his her its their our my your any every each no "
                      "another "
                      "such first latest new recent initial final earlier previous whose same own")
_LEADING_DETS = _words("a an the one its his her their our my your this that these those many some several "
                       "multiple both")
_BOUNDARY_WORDS = _words("that as while when because which who after before since if but whereas although "
                         "though where and so or than whom whose until unless by amid despite about")
_TRAILING = _words("""also previously later earlier then now again already once still first recently has
    have had was were is are would will could may might did does do not never further too just been be since
    initially reportedly allegedly on last this late early week month year night morning afternoon evening
    day monday tuesday wednesday thursday friday saturday sunday for his her part their own in a statement
    flat-out himself herself itself
    themselves""")  # between a speaker and the verb: "X also said", "X, for his part,"
_LY_WORDS = _words("family rally ally italy july supply reply assembly anomaly monopoly only holy belly "
                   "bully ugly "
                   "daily weekly monthly elderly friendly likely early lonely costly deadly orderly fly "
                   "apply imply "
                   "comply")
_PRONOUNS = {"he": "person", "she": "person", "it": "org", "they": "group", "we": "self", "i": "self"}

# Who can speak without a proper name ("South Korean lawmakers say", "the agency said").
_GROUP_NOUNS = _words("""officials official lawmakers lawmaker legislators analysts analyst experts expert
    sources source researchers researcher scientists scientist police authorities prosecutors prosecutor
    investigators witnesses witness residents diplomats diplomat observers critics supporters advocates
    economists economist doctors activists leaders commanders spokesperson spokesman spokeswoman media
    reports report government ministry military army agency administration court judge judges committee
    council campaign organizers organisers people voters aides aide insiders insider officers officer member
    members adviser advisers advisor advisors staffers employees company firm group statement study survey
    poll polls polling data department office service broadcaster outlet newspaper network engineer
    engineers lawyers lawyer attorneys attorney team managers manager executives executive regulators
    governments ministries agencies forces troops intelligence watchdog authority union spokespeople
    documents filings records family families kremlin-watchers""")
_PERSON_ROLES = _words("""official source diplomat aide insider member officer adviser advisor staffer
    employee engineer judge spokesperson spokesman spokeswoman lawyer attorney expert analyst economist
    executive manager witness prosecutor scientist researcher""")
_ANON_HEADS = _words("official officials source sources diplomat diplomats aide aides insider insiders "
                     "person "
                     "people member officer adviser advisor staffer employee")
_ANON_DETS = _words("a an one two three several multiple some the this another")
_ORG_WORDS = _words("""ministry agency service department office council committee party army forces force
    command bank fund institute university company corp inc group news times post journal press reuters
    kremlin pentagon house government court commission organization organisation union association network
    media foundation center centre centers centres board police guard administration congress senate
    parliament federation embassy authority laboratory lab tass ratings power motors electric dynamics mills
    trust airlines""")
_ORG_DESCRIPTORS = _words("""broadcaster broadcasters agency newspaper outlet network company firm group
    channel website daily magazine ministry organization party union council service tabloid station
    automaker retailer""")
_TITLES = _words("""president minister secretary spokesperson spokesman spokeswoman chancellor senator sen
    rep representative gov governor general gen chief director ambassador mayor prime premier leader
    commander adviser advisor officer ceo chairman chairwoman chair judge justice dr mr mrs ms professor
    prof king queen prince princess pope attorney speaker deputy vice colonel col lt maj capt captain
    admiral sgt sergeant commissioner envoy lieutenant marshal sheriff chairperson head founder coordinator
    fellow defense defence foreign interior state us u.s uk u.k un eu nato former acting then-president
    president-elect vp-elect white national security council republican democratic democrat independent
    candidate first lady""")
_NATIONALITIES = _words("""american british russian ukrainian chinese korean japanese german french dutch
    polish italian spanish turkish iranian israeli palestinian syrian indian pakistani afghan canadian
    mexican brazilian australian european swedish finnish norwegian danish belgian swiss austrian greek
    hungarian czech slovak romanian bulgarian serbian croatian belarusian georgian armenian azerbaijani
    kazakh uzbek saudi emirati qatari egyptian lebanese iraqi jordanian yemeni african nigerian kenyan
    ethiopian taiwanese vietnamese thai filipino indonesian estonian latvian lithuanian moldovan irish
    scottish welsh english western eastern arab asian soviet chechen crimean kurdish kyrgyz tajik mongolian
    us u.s uk u.k un eu nato""")
_STOP_CAPS = _words("""meanwhile but and however still yet also then now today later earlier last on in at
    the a an this that these those separately speaking asked when while after before since although though
    if as so thirdly secondly firstly finally instead moreover shortly afterwards all one that's it's there
    here what many some both most several other others such his her their its our according despite unlike
    like even only just overall indeed how why who where whether dig more read watch listen video
    photos""")  # capitalised non-names
_CONNECTORS = _words("of for the and & de von van der al bin on da del to")  # inside names
_POST_MODIFIERS = _words("familiar close briefed with at in from of for on operating based who")
_AGENT_NOUN = re.compile(r"[a-z]{3,}(?:er|or|ist|ian|ant|ent)s?$")  # "appraiser", "prosecutor", "president"

# Content cues, each (status, anchor words, pattern); a pattern runs only on a clause holding one of
# its anchors ("x*" = a prefix, "*x" = a suffix), which keeps the whole analysis fast.
_W = r"[\w’'-]+"
_HEDGES = ("purportedly", "allegedly", "reportedly", "supposedly", "reputedly", "ostensibly", "apparently",
           "seemingly", "unconfirmed", "unverified", "unverifiable")
_NEG_VERIFY = (
    r"\b(?:could not|couldn[’']t|cannot|can[’']t|can not|has not|have not|had not|hasn[’']t|haven[’']t|was "
    r"not|"
    r"were not|wasn[’']t|weren[’']t|is not|are not|not yet|not|unable to|(?:has|have|had) not been able to|"
    r"(?:was|were) unable to|not able to)\s+(?:be\s+|been\s+)?(?:\w+ly\s+)?"
    r"(?:verif(?:y|ied)|confirm(?:ed)?|corroborated?|authenticated?)\b"
)
_REJECT_PATTERN = (
    r"\b(?:reject|dismiss|refut|rebut|disput|contest|derid|brush)\w*\s+(?:off\s+)?(?:" + _W + r"\s+){0,4}?"
    r"(?:claims?|allegations?|reports?|accusations?|suggestions?|assertions?|notion|idea|characteri[sz]ation|"
    r"findings?|as\s+(?:a\s+)?(?:false|baseless|fake|nonsense|untrue|propaganda|lies?|fabricat\w+|absurd|"
    r"ridiculous|groundless|unfounded|hoax))\b"
)
_CUE_TABLE: list[tuple[str, str, str]] = [
    ("denied", "evidence",
     r"(?<!offered )(?<!provided )(?<!presented )(?<!produced )(?<!gave )(?<!cited )(?<!shown )(?<!showed )"
     r"\b(?:no|(?:not|n[’']t|never) (?:\w+ ){0,3}?any) (?:credible |hard |concrete |real )?evidence\b"),
    ("denied", "true untrue false falsely baseless unfounded groundless fake fabricat* debunked hoax "
               "misleading",
     r"\bnot true\b|\buntrue\b|\bfalse(?:ly)? (?:claims?|statements?|assertions?|information|stor(?:y|ies)|"
     r"reports?|narrative)|\bfalsely\b|\bbaseless\b|\bunfounded\b|\bgroundless\b|\bfake(?: news)?\b|"
     r"\bfabricat(?:ed|ion|ions)\b|\bdebunked\b|\ba hoax\b|\bmisleading\b"),
    ("denied", "reject* dismiss* refut* rebut* disput* contest* derid* brush*", _REJECT_PATTERN),
    ("unverified", "verif* confirm* corroborat* authenticat*", _NEG_VERIFY),
    ("unverified", " ".join(_HEDGES), r"\b(?:" + "|".join(_HEDGES) + r")\b"),
    ("unverified", "verify confirm confirmed verified",
     r"\b(?:hard|difficult|impossible) to (?:independently )?(?:verify|confirm)\b|"
     r"\bneither (?:confirmed|verified) nor (?:denied|disavowed)\b"),
    ("unverified", "alleged purported unsubstantiated rumored rumoured rumor rumors rumour rumours "
                   "speculation "
                   "allegation allegations accusation accusations suspected",
     r"\b(?:alleged|purported|unsubstantiated|rumou?red|rumou?rs?|speculation|allegations?|accusations?)\b|"
     r"\bsuspected (?:of|to)\b|\b(?:a|the) suspected\b"),
    ("unverified", "accus* indicted charged",
     r"\baccus(?:e|es|ed|ing)\b(?:\s+" + _W + r"){1,8}?\s+of\b|\bindicted\b|"
     r"\bcharged\s+(?:" + _W + r"\s+){0,5}?(?:with|for|in connection)\b"),
    ("unverified", "evidence",
     r"\bwithout (?:providing |offering |any )?evidence\b|"
     r"\b(?:offered|provided|presented|gave|cited|shown|showed) no evidence\b"),
    ("unverified", "believed thought said reported rumored rumoured understood suspected alleged theorized "
                   "theorised presumed assumed",
     r"\b(?:(?:is|are|was|were|been|being) (?:widely |generally |also )?|(?<=[,–—(] ))(?:believed|thought|"
     r"said|"
     r"reported|rumou?red|understood|suspected|alleged|theori[sz]ed|presumed|assumed) to\b"),
    ("unverified", "understood believed thought said reported alleged claimed rumored rumoured",
     r"\bit (?:is|was|has been|had been) (?:widely )?(?:understood|believed|thought|said|reported|alleged|"
     r"claimed|rumou?red)\b"),
    ("unverified", "appear appears appeared seem seems seemed",
     r"\b(?:appears?|appeared|seems?|seemed) to\b|\bit (?:appears|seems|seemed|appeared)\b"),
    ("unverified", "unclear clear unknown", r"\b(?:unclear|not clear|unknown)\b"),
    ("unverified", "unnamed anonymous source sources familiar close briefed knowledge reports",
     r"\b(?:unnamed|anonymous) (?:\w+ )?(?:sources?|officials?|persons?|people|diplomats?)\b|"
     r"\bsources? (?:said|say|says|told|tell|close to|familiar|briefed|with knowledge)\b|"
     r"\b(?:people|persons?|officials?) (?:familiar with|close to|briefed on|with knowledge of)\b|"
     r"\b(?:according to|citing) (?:\w+ ){0,3}?(?:sources|(?:media )?reports)\b(?! (?:in|by|from) (?:the "
     r")?[A-Z])|"
     r"\bmedia reports\b"),
    ("unverified", "too", r"\btoo \w+(?: \w+){0,5} to be (?:confirmed|verified)\b"),
    ("forecast", "will shall won’t won't would wouldn’t wouldn't might may could going gonna about *’ll *'ll",
     r"\b(?:will|shall|won[’']t|would|wouldn[’']t|might|may|could|going to|gonna|about to)\b|"
     r"(?<=\w)[’']ll\b"),
    ("forecast", "expect* likely unlikely probably probable probability possibly potentially perhaps plan "
                 "plans "
                 "planned planning intend* aim aims aimed set poised bound track scheduled slated forecasts "
                 "predict* projected projection projections estimat* anticipat* imminent next coming hope "
                 "hopes "
                 "hoped hopefully vow vows vowed pledge pledges pledged promise promises promised threaten* "
                 "risk "
                 "risks",
     r"\b(?:expect(?:s|ed|ing|ation|ations)?|likely|unlikely|probably|probable|probability|possibly|"
     r"potentially|"
     r"perhaps|plans? to|planned to|planning to|intends? to|intended to|aims? to|aimed to|set to|poised to|"
     r"bound to|on track to|scheduled to|slated to|forecasts? that|predict(?:s|ed|ion|ions)?|projected|"
     r"projections?|estimat(?:e|es|ed|ion|ions)|anticipat(?:e|es|ed)|imminent|next (?:week|month|year)|"
     r"in the coming|hopes? to|hoped to|hopes that|hopefully|vow(?:s|ed)? to|pledg(?:e|es|ed) to|"
     r"promis(?:e|es|ed) to|threaten(?:s|ed)? to|risks? of)\b"),
    ("forecast", "if unless should",  # conditions, also inverted: "… should that be part of the deal"
     r"\b(?:if|unless)\b|(?<=[a-z,] )should (?:the|a|an|it|they|that|this|there|(?-i:[A-Z][\w.]*)) "
     r"(?-i:[a-z]+)"),
    ("opinion", "think believe feel doubt view opinion frankly honest i’d i'd sense denying lie good "
                "miscalculation mistake should shouldn’t shouldn't ought fortunately unfortunately sadly "
                "regrettably thankfully",
     r"\b(?:I|we|We) (?:really |still |do |don[’']t |do not )?(?:think|believe|feel|doubt)\b|"
     r"\bin (?:my|our) (?:view|opinion)\b|\b(?:quite )?frankly\b|\bto be honest\b|\bI[’']d say\b|"
     r"\bmy sense is\b|\bno denying\b|\ba lie\b|\bnot a good\b|\bmiscalculation\b|\bmistake\b|"
     r"\bshould(?:n[’']t)?\b|\bought to\b|\b(?:un)?fortunately\b|\bsadly\b|\bregrettably\b|\bthankfully\b"),
    ("confirmed", "confirmed", r"\b(?:a|an) confirmed (?!cases?\b|deaths?\b|fatalit|infections?\b|"
                               r"dead\b)[a-z]+"),
    ("confirmed", "evidence intelligence",
     r"\bthere (?:is|was|are|were) (?:\w+ )?evidence\b|\b(?:has|have|had|found|uncovered|obtained|gathered|"
     r"with) "
     r"(?:\w+ ){0,2}?(?:evidence|intelligence) (?:of|that)\b|\b(?:has|have|had) (?:clear |strong "
     r")?evidence\b|"
     r"\bevidence (?:shows|showed|proves|proved|confirms|confirmed)\b"),
]


@dataclass(frozen=True)
class _CuePattern:
    status: str
    anchors: frozenset[str]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    regex: re.Pattern[str]

    def applies(self, words: set[str]) -> bool:
        return bool(self.anchors & words) or any(w.startswith(self.prefixes) or w.endswith(self.suffixes)
                                                 for w in words if self.prefixes or self.suffixes)


_CUES = [
    _CuePattern(status, frozenset(w for w in anchors.split() if "*" not in w),
                tuple(w[:-1] for w in anchors.split() if w.endswith("*")),
                tuple(w[1:] for w in anchors.split() if w.startswith("*")),
                re.compile(pattern, re.IGNORECASE))
    for status, anchors, pattern in _CUE_TABLE
]
_REJECTS = re.compile(_REJECT_PATTERN, re.IGNORECASE)  # "rejected the claims", "dismissed … as false"

# Look-alikes: modals that state no expectation, "confirmed cases", "denied bail", "claimed lives".
_FORECAST_NOT = re.compile(
    r"\bcould not be reached|\bwould not (?:comment|say|elaborate|disclose|discuss)|"
    r"\b(?:the|his|her|their|its|political|free|good|ill|own|popular) will\b|"
    r"\b(?:military|economic|its|their|full) might\b|\b(?:as|than) (?:previously )?(?:expected|predicted|"
    r"forecast|estimated|projected)|\bwould have (?:\w+ed|been|had|made|taken|led|seen|done|gone)\b|"
    r"\bcould(?: not|n[’']t) (?!be\b|have\b)\w+|\bas \w+ as (?:\w+ ){0,2}(?:could|can)\b|"
    r"\bmay (?:well )?have \w+[^.;]{0,80}, but\b", re.IGNORECASE)
_GOING_TO_NOUN = re.compile(r"going to (?:(?i:the|a|an|my|his|her|their|our|school|church|work|court|war)\b|"
                            r"[A-Z])")
_NOUN_FORECASTS = re.compile(r"estimates?|forecasts?|predictions?|projections?|expectations?", re.IGNORECASE)
_OPENER = re.compile(  # an indirect question: "about whether he will …", "asked if the US would …"
    r"\b(?:whether|what)\b|\b(?:ask|asks|asked|asking|wonder\w*|know|knows|see|sure|unclear|question\w*|"
    r"decide\w*)\b[^.;]{0,30}?\bif\b", re.IGNORECASE)
_CONFIRM_NOT_CLAIM = re.compile(
    r"confirmed (?:cases?|deaths?|fatalit\w+|infections?|dead|kills?|sightings?)\b|"
    r"^confirm\w* (?:\w+ ){0,4}?as (?:the |a |an )?(?:next |new )?[a-z]*(?:secretary|judge|justice|director|"
    r"ambassador|chair\w*|head|nominee)\b|^confirm\w* (?:\w+ )?(?:judges|nominees?|appointees?)\b",
    re.IGNORECASE)
_DENY_NOT_CLAIM = re.compile(  # "denied bail", "denied them permission", "deny Russian forces a victory"
    r"^deni?\w*\s+(?:\S+\s+){0,6}?(?:bail|entry|access|permission|visas?|requests?|motions?|applications?|"
    r"appeals?|petitions?|parole|benefits|coverage|service|treatment|victory|(?:improper|fraudulent|"
    r"insurance|"
    r"tax|benefits?) claims)\b", re.IGNORECASE)
_CLAIM_NOT_CLAIM = re.compile(
    r"^claim(?:s|ed)? (?:the )?(?:lives?|life|\d|victory|title|seat|crown|win|gold|prize|top|championship)",
    re.IGNORECASE)
_ANONYMITY = re.compile(
    r"\b(?:on|under) (?:the )?condition of anonymity\b|\b(?:asked|requested) not to be (?:named|"
    r"identified)\b|"
    r"\bnot authori[sz]ed to (?:speak|discuss|comment)\b", re.IGNORECASE)
_ANONYMITY_ANCHORS = _words("anonymity authorized authorised identified named")

# Judgements: evaluative words, intensifiers and obligations count inside a quotation (somebody's
# assessment), or anywhere in an opinion piece.
_EVALUATIVE = _words("""good bad great best worst better worse terrible horrible awful excellent wonderful
    amazing incredible fantastic brilliant outrageous unacceptable ridiculous absurd shameful disgraceful
    disgusting offensive tragic devastating crucial vital wrong unfair stupid foolish foolishness smart wise
    crazy insane sad unfortunate disappointing embarrassing pathetic corrupt crooked evil unjust inhumane
    barbaric cruel heroic courageous brave beautiful ugly nice lovely impressive remarkable extraordinary
    mistake miscalculation lie lies nonsense failure disaster catastrophe catastrophic shame pity hopeless
    injustice pathological fantasy sophistry witch concerning alarming troubling worrying shocking
    deplorable despicable heinous appalling abhorrent scandalous shameless hypocritical cowardly invincible
    illegitimate unprovoked genius perfect flawless proud mess innovative champ discipline undisciplined
    stubborn leaner meaner luxury irrelevant acceptable toughest greatest strongest provocation outrage
    atrocity travesty farce sham disgrace insult scandal""")
_QUOTED_OPINION = re.compile(
    r"\b(?:very|really|extremely|incredibly|absolutely|totally|truly|deeply|highly|far too|so much|"
    r"plain and simple|like an? \w+|must(?! have)|(?:have|has|need|needs|got) to)\b", re.IGNORECASE)
_QUOTED_ANCHORS = _words("very really extremely incredibly absolutely totally truly deeply highly far so "
                         "plain "
                         "like must have has need needs got")
_OPINION_DOC = re.compile(r"Opinion contributor|(?:views|opinions) expressed in this (?:commentary|article|"
                          r"column|piece)|^Opinion\b|\bOp-Ed\b", re.MULTILINE)

# Sentence structure.
_SPLIT = re.compile(  # where a sentence may split into differently framed clauses (outside quotations)
    r",\s+(?=(?:and\s+)?(?:adding|noting|saying|warning|referring|pointing|explaining|arguing|insisting|"
    r"stressing|calling|claiming|denying|confirming|acknowledging|predicting)\b)|"
    r",\s+(?=and\s+(?:that|warned|said|added|noted|stressed|insisted|pointed|argued|predicted|vowed|promised|"
    r"claimed|denied|confirmed|acknowledged|says|told|expects?|expected)\b)|"
    r",\s+(?=(?:but|while|whereas)\s+)|;\s+")
_PLURAL_REF = re.compile(r"\b(?:reports|claims|accounts|allegations|videos|images|figures|numbers|statements|"
                         r"assertions|they|these|those|both|either side|each side)\b", re.IGNORECASE)
_CONFIRM_REPORT = re.compile(
    r"\bconfirm(?:s|ed|ing)?\s+(?:an?\s+|the\s+|earlier\s+)?(?:[\w’'-]+\s+){0,4}?reports?\s+"
    r"(?:by|from|of|in)\s+(?P<src>[^,;]+?)(?=\s+that\b|,|;|\.$|$)", re.IGNORECASE)
_ACRONYM_DEF = re.compile(r"((?:[A-Z][\w’'.-]*[ \t]+)(?:(?:of|for|the|and|on)[ \t]+|[A-Z][\w’'.-]*[ "
                          r"\t]+){0,6})"
                          r"\(([A-Z][A-Z0-9&]{1,7})\)")
_CREDIT = re.compile(r"©|\((?:Photo|Image)\b")
_FRAGMENT = re.compile(r"^[“\"]?(?:For|And|Or|Nor|Not|Neither|But|Only|Just|Even|Especially|Including|Like|"
                       r"Unlike|With|Without|Never|Perhaps|Maybe)\b")
_INTRO = re.compile(r"^(?:On|In|At|Last|Earlier|Later|However|Meanwhile|But|And|Now|Then|Still|Also|"
                    r"Separately|"
                    r"After|During|Since|Over|Just|This|Before|Shortly)\b")
_MASK = "\u2592"  # stands in for quoted characters, so that rules about the outlet's words skip quotations
_TOKEN = re.compile(r"\([A-Z][A-Z0-9&]{1,7}\)|[^\s,;:—–“”\"()" + _MASK + r"]+|[,;:—–“”\"()" + _MASK + r"]")
_ALPHA = re.compile(r"[A-Za-z]+")
_WORD = re.compile(r"[a-z]+(?:[’'][a-z]+)?")
_LONG_WORD = re.compile(r"\b[A-Za-z]{7,}(?:ly|ed)\b")
_NOT_TYPOS = _words("repeatedly reconfirmed supposed apparent purposely unconfined allegedly")


# =============================================================================== text helpers

def _osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=8192)
def _typo_hedge(word: str) -> bool:
    """A misspelt hedge: "purporetdly", "supposidly", "unconfimred" (same first letter)."""
    w = word.lower()
    if w in _NOT_TYPOS or w in _HEDGES:
        return False
    return any(w[0] == h[0] and _osa(w, h, 2) <= (1 if len(h) <= 10 else 2) for h in _HEDGES)


def _quote_spans(p: str) -> list[tuple[int, int]]:
    """Quoted regions (interiors) of one paragraph, tolerant of mixed and unclosed quote marks."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(p):
        if ch not in '"“”':
            continue
        before = p[i - 1] if i else " "
        after = p[i + 1] if i + 1 < len(p) else " "
        if ch == "“":  # a “ followed by a space closes a quote opened with a straight mark
            opener = not (start >= 0 and (after.isspace() or after in ".,;:!?"))
        elif ch == "”":
            opener = False
        else:
            opener = start < 0 and (before.isspace() or before in "([—–-:;,") and not after.isspace()
        if opener and start < 0:
            start = i + 1
        elif not opener and start >= 0:
            spans.append((start, i))
            start = -1
    if start >= 0:
        spans.append((start, len(p)))
    return spans


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper()


def _bare(tok: str) -> str:
    return re.sub(r"[’']s?$", "", tok).lower().rstrip(".")


def _possessive(tok: str) -> bool:
    return bool(re.search(r"[’']s$", tok))


def _nationality(w: str) -> bool:
    return _bare(w) in _NATIONALITIES


def _adverb(w: str) -> bool:
    lw = w.lower()
    return lw in _TRAILING or (lw.endswith("ly") and w[:1].islower() and len(lw) > 4 and lw not in _LY_WORDS)


def _verbs(masked: str, c0: int, c1: int) -> list[tuple[int, int, str]]:
    """Reporting-verb forms in a span, case-sensitive ("the United States" holds no verb)."""
    out = []
    for m in _ALPHA.finditer(masked, c0, c1):
        w = m.group()
        for full in _MULTIWORD.get(w, ()):
            end = m.start() + len(full)
            if masked.startswith(full, m.start()) and (end == len(masked) or not masked[end].isalpha()):
                out.append((m.start(), end, full))
                break
        else:
            if w in _VERB_FORMS:
                out.append((m.start(), m.end(), w))
    return out


# =============================================================================== speaker phrases

Who = tuple[str, str, bool]  # (speaker as written, kind, anonymous); kind: person/org/group/unknown/pronoun


def _np_speaker(words: list[str]) -> Who | None:
    """Who a candidate subject phrase names, or None if it names nobody."""
    while words and _adverb(words[-1]):
        words = words[:-1]
    if not words or len(words) > 10:
        return None
    lower = [w.lower() for w in words]
    if len(words) == 1 and lower[0] in _PRONOUNS:
        return lower[0], "pronoun", False
    acr = re.fullmatch(r"\(([A-Z][A-Z0-9&]{1,7})\)", words[-1])
    if acr:  # "South Korea's intelligence agency (NIS)"
        return acr.group(1), "org", False
    if "named" in lower[:-1] and _is_cap(words[lower.index("named") + 1]):  # "… programmer named Sergei"
        return " ".join(words[lower.index("named") + 1:]), "person", False
    for i, w in enumerate(lower):  # "reports in Ukrainian media"
        if w in ("report", "reports", "statement", "article", "post", "posts") and i + 2 < len(words) and \
                lower[i + 1] in ("in", "by", "from", "of"):
            return _np_speaker(words[i + 2:])
    if lower[-1] in ("report", "reports", "statement", "article", "analysis") and len(words) > 1 and \
            _is_cap(words[-2]):  # "a Wall Street Journal report"
        return _np_speaker(words[:-1])
    anonymous = lower[0] in _ANON_DETS and any(w in _ANON_HEADS for w in lower) and not any(
        _is_cap(w) and _bare(w) not in _TITLES and not _nationality(w) for w in words[1:])
    if _is_cap(words[-1]) and not (len(words) == 1 and lower[0] in _GROUP_NOUNS):
        return _name_run(words, lower)
    for i, w in enumerate(lower):  # "South Korean lawmakers", "source familiar with the situation"
        agent = bool(_AGENT_NOUN.match(w)) and i > 0 and (lower[0] in _LEADING_DETS or _is_cap(words[i - 1]))
        if not (w in _GROUP_NOUNS or agent):
            continue
        tail = lower[i + 1:]
        if tail and tail[0] not in _POST_MODIFIERS and not all(t in _TITLES for t in tail):
            continue
        while words and words[0].lower() in _LEADING_DETS:
            words = words[1:]
        if not words:
            return None
        if w in _PERSON_ROLES or (agent and not w.endswith("s") and w not in _GROUP_NOUNS):
            kind = "person"
        elif w in _ORG_DESCRIPTORS or w in _ORG_WORDS:
            kind = "org"
        else:
            kind = "group"
        return " ".join(words), kind, anonymous
    return None


def _name_run(words: list[str], lower: list[str]) -> Who | None:
    """The capitalised name that ends a phrase: "US Defense Minister Lloyd Austin" -> "Lloyd Austin"."""
    run = [words[-1]]
    for w in reversed(words[:-1]):
        if not (_is_cap(w) or w in _CONNECTORS):
            break
        run.insert(0, w)
    while run and (run[0].lower() in _CONNECTORS or _STOP_CAPS & {_bare(run[0]), run[0].lower()}):
        run = run[1:]
    if not run:
        return None
    descriptor = lower[len(words) - len(run) - 1] if len(words) > len(run) else ""
    head = re.sub(r"[’']s$", "", run[-1])
    if head.lower() in _ORG_WORDS or (head.isupper() and len(head) > 1) or descriptor in _ORG_DESCRIPTORS \
            or "&" in run:
        for i in range(len(run) - 1, 0, -1):  # "Russia's Kremlin" -> "Kremlin"
            if _possessive(run[i - 1]) and not re.match(r"General|Attorney", run[i - 1]):
                run = run[i:]
                break
        return " ".join(run), "org", False
    cut = 0  # a person: drop owners ("Trump's VP-elect") and titles ("US Defense Minister")
    for i, w in enumerate(run[:-1]):
        if _possessive(w) or _bare(w) in _TITLES or _bare(w).endswith("-elect") or _nationality(w):
            cut = i + 1
    run = run[cut:]
    return " ".join(run), ("person" if len(run) >= 2 else "unknown"), False


def _subject_before(masked: str, vstart: int) -> Who | None:
    """The speaker written before a verb: "NIS reported", "Hugh Griffiths, a …, said"."""
    segs: list[list[str]] = [[]]  # comma-separated phrases, nearest first
    closed = False  # the phrase next to the verb ends at a boundary word ("as", "that")
    ended = False  # the walk reached the start of the clause
    for tok in reversed(_TOKEN.findall(masked, 0, vstart)):
        if tok in ",—–()":
            if len(segs) >= 4:
                break
            segs.append([])
            closed = False
            continue
        if tok in ";:“”\"" + _MASK:
            if len(segs) == 1 or segs[-1]:
                ended = True
                break
            continue  # a quotation that ends an apposition ("author of “North Korea and …”,")
        if closed:
            continue
        if tok.lower() in _BOUNDARY_WORDS:
            if len(segs) == 1:
                if tok == "who" and _only_adverbs(segs[0]):  # "Zelensky, who on Tuesday accused …"
                    segs.append([])
                    closed = True
                    continue
                break
            if tok.lower() != "and":
                closed = True
                continue
        segs[-1].insert(0, tok)
    else:
        ended = True
    if segs[0] and not _only_adverbs(segs[0]):
        return _np_speaker(segs[0])
    named = [seg for seg in segs[1:]
             if seg and len(seg) <= 8 and all(_is_cap(w) or w in _CONNECTORS for w in seg)]
    if ended and named and named[-1] is segs[-1]:  # prefer the phrase that opens the clause:
        named = [named[-1], *named[:-1]]  # "NOAA’s National Centers …, headquartered in Asheville, N.C., has"
    return next(filter(None, map(_np_speaker, named)), None)


def _only_adverbs(words: list[str]) -> bool:
    return all(_adverb(w) for w in words)


def _subject_after(masked: str, vend: int) -> Who | None:
    """Inverted attribution: "“…,” said Nick Carlsen, analyst at …"."""
    m = re.match(r"[ \t]+((?:[^\s,;“”\"" + _MASK + r"]+[ \t]*){1,10})", masked[vend:])
    if not m:
        return None
    words = m.group(1).split()
    for i, w in enumerate(words):
        if i and w.lower() in _AFTER_NAME:
            words = words[:i]
            break
    if words and words[-1].endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+", words[-1]):
        words[-1] = words[-1][:-1]
    return _np_speaker(words) if words else None


_AFTER_NAME = _words("in on at during after before when as last this to that who told late early")


def _np_after(masked: str, end: int) -> Who | None:
    """The noun phrase after "according to" or a passive "by"."""
    rest = masked[end:]
    m = re.match(r"[ \t]+([^,;“”\"" + _MASK + r"]+)", rest)
    if not m:
        return None
    acr = re.match(r"[ \t]+[^,;.]{0,80}?\(([A-Z][A-Z0-9&]{1,7})\)", rest)
    if acr:
        return acr.group(1), "org", False
    via = re.match(r"[ \t]+(?:an? |the )?(?:\w+ )?(?:reports?|statements?|articles?|posts?|interviews?) "
                   r"(?:in|by|from|with|on)(?= )", rest)
    if via:  # "according to reports in the Washington Post"
        return _np_after(masked, end + via.end())
    np = re.split(r"\s+(?:that|which|who|released|published|conducted|issued|obtained|seen|filed|posted|"
                  r"dated|on|"
                  r"in|near|at|during|after|before|amid|last|this|as of|when|with|for|to)\b|"
                  r"(?<![A-Z])\.(?:\s|$)",
                  m.group(1))[0]
    words = np.strip().rstrip(".").split()
    return _np_speaker(words) if words else None


_DOER = re.compile(r"((?:[A-Z][\w’'.-]*\s+){0,3}[A-Z][\w’'.-]*)\s+(?:\w+ly\s+|also\s+|then\s+)?"
                   r"(?:[a-z]+ed|has|had|was|is)\b")


def _last(regex: re.Pattern[str], s: str, a: int, b: int) -> re.Match[str] | None:
    """The last match of `regex` in s[a:b]."""
    found = deque(regex.finditer(s, a, b), maxlen=1)
    return found[0] if found else None


def _verb_subject(masked: str, end: int) -> Who | None:
    """The last name that does something before `end`: "then-President Petro Poroshenko also addressed …"."""
    last = _last(_DOER, masked, 0, end)
    return _np_speaker(last.group(1).split()) if last else None


def _sentence_subject(masked: str) -> Who | None:
    """The subject that opens a sentence, after an introductory phrase ("Last week, South Korea …")."""
    body = re.sub(r"^[A-Z][^,]{0,50},\s+(?=\S)", "", masked, count=1) if _INTRO.match(masked) else masked
    body = re.sub(r"^(?:But|And|Yet|So)\s+", "", body)
    words = _TOKEN.findall(body[:200])
    best = None
    for n in range(1, min(len(words), 9) + 1):
        w = words[n - 1]
        if w in ",;:—–“”\"()" + _MASK or (w[:1].islower() and w not in _LEADING_DETS and w not in _GROUP_NOUNS
                                            and w not in _CONNECTORS and not _nationality(w)
                                            and w not in ("former", "senior", "top", "chief")):
            break
        nxt = words[n] if n < len(words) else ""
        if nxt and not (nxt[:1].islower() or nxt == ","):
            continue
        hit = _np_speaker(words[:n])
        if hit and hit[1] != "pronoun":
            best = hit
    return best


def _first_phrase(s: str) -> str:
    return re.split(r"[,;“”\"" + _MASK + r"]", s)[0]


def _last_phrase(s: str) -> str:
    return re.split(r"[,;“”\"" + _MASK + r"]", s)[-1]


def _definite(phrase: str) -> bool:
    """ "the agency", "the 28-year-old engineer": a description that may name an earlier speaker."""
    return bool(re.search(r"(?:^|\s)(?:the|this)\s+\w[\w\s-]*$", phrase.strip()) or
                re.match(r"\s*(?:the|this)\s+\w", phrase))


# =============================================================================== one sentence

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
    status: str | None  # the framing the verb itself carries ("denied"), or None for "said"
    speaker: str | None  # as written, a pronoun, or None
    kind: str
    anonymous: bool = False
    quote_adjacent: bool = False
    definite: bool = False  # "the agency said": may name an earlier speaker
    inherit: bool = False  # "…, saying", "and warned": the subject of the sentence speaks


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
    if role is not Role.BODY or _CREDIT.search(sent) or sent.rstrip(" \"”’)]*").endswith("?"):
        return _Sent(s0, s1, pi, sent, masked, quote_only, quoted, True, [_Clause(0, len(sent))])
    cuts = [0, *(m.end() for m in _SPLIT.finditer(masked) if 25 <= m.start() <= len(sent) - 15), len(sent)]
    clauses = [_Clause(a, len(sent[:b].rstrip())) for a, b in pairwise(cuts)]
    for c in clauses:
        c.attrs = _find_attrs(sent, masked, c.start, c.end)
        c.cues = _find_cues(sent, masked, c.start, c.end, opinion_doc)
        inner = masked[c.start:c.end]
        q_end = inner.rfind(_MASK)
        if q_end >= 0 and sent[c.start:c.start + q_end + 1].rstrip().endswith("?") and c.attrs and \
                len(re.findall(r"\w+", inner[q_end + 1:])) <= 6:
            c.question = True  # “And how has North Korea dealt with defections before?” he asked
    return _Sent(s0, s1, pi, sent, masked, quote_only, quoted, False, clauses)


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
        return "opinion"
    status = _VERB_STATUS.get(lemma)
    if status in ("confirmed", "denied") and _negated(before):
        return "unverified"  # "did not confirm", "has not denied"
    return status


def _weak_context(lemma: str, after: str) -> bool:
    """A weak verb reports speech: "noted that", "added.", "announced they have evidence"."""
    return bool(re.match(r"(?:\s+(?:on|in|at|during|throughout|last|this|the|\w+day|week|month|year|trial|"
                         r"interview|"
                         r"statement|earlier|later|again|repeatedly|publicly|previously|recently|also)){0,5}"
                         r"\s+that\b|\s*(?:[,.;]|$)|\s+(?:he|she|it|they|we|I|there)\b", after)) or \
        lemma in ("point out", "point to") or \
        (lemma in ("promise", "vow", "pledge") and bool(re.match(r"\s+to\b", after)))


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
        if prev and prev[-1].lower() in ("by", "for", "of", "about", "from") and form.endswith("ing") and \
                lemma in _VERB_STATUS:
            continue  # a described act: "including by denying he committed …"
        status = _verb_status(lemma, form, sent, masked, vs, ve, before)
        if status == "":
            continue
        quote_adj = bool(re.search(r"[" + _MASK + r"”\"],?\s*(?:[\w’'.&-]+\s+){0,8}$", before)) or \
            bool(re.match(r"[:,]?\s*[“\"]", after))
        if re.search(r"\b(?:is|are|was|were|been|be|being)\s+(?:\w+ly\s+)?$|\w[’']s\s+$", before):  # passive
            agent = re.match(r"\s+by\b", after)
            hit = _np_after(masked, ve + agent.end()) if agent else None
            if status and lemma not in _ACTIVE_ONLY and not re.search(r"\bto\s+be\s+$", before):
                out.append(_Attr(vs, ve, status, *(hit or (None, "unknown", False))))  # "… by Ukraine"
            continue
        if re.search(r"\bto\s+(?:\w+ly\s+)?$", before):
            continue  # "trying to confirm", "asked to verify"
        rel = re.search(r"((?:[A-Z][\w’'.-]*\s+){0,4}[A-Z][\w’'.-]*),\s+who\s+(?:\w+ly\s+|has\s+|had\s+)?$",
                        masked[:vs])
        hit = _np_speaker(rel.group(1).split()) if rel else _subject_before(masked, vs)  # "X, who said"
        if hit is None and re.search(r"(?:^|[,“”\"" + _MASK + r"])\s*$", before):
            hit = _subject_after(masked, ve)
        inherit = hit is None and (form.endswith("ing") or bool(re.search(r"\band\s+(?:\w+ly\s+)?$", before)))
        if not (strong or quote_adj or status or _weak_context(lemma, after)):
            continue
        if lemma in _ACTIVE_ONLY and hit is None and not inherit:
            continue
        if hit is None and not status and not inherit and not re.search(r"(?:^|,)\s*(?:and\s+)?$", before):
            continue  # a neutral verb with no speaker and no coordination attributes nothing
        out.append(_Attr(vs, ve, status, *(hit or (None, "unknown", False)), quote_adjacent=quote_adj,
                         definite=_definite(_last_phrase(masked[:vs])), inherit=inherit))
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
            if (pattern.status == "forecast" or m.group().lower() == "should") and not _states_expectation(
                    sent, a, b):
                continue
            cues.append(_Cue(a, b, pattern.status, m.group()))
    if words & _ANONYMITY_ANCHORS:
        cues += [_Cue(c0 + m.start(), c0 + m.end(), "unverified", m.group(), needs_attr=True)
                 for m in _ANONYMITY.finditer(seg)]
    cues += [_Cue(c0 + m.start(), c0 + m.end(), "unverified", m.group())
             for m in _LONG_WORD.finditer(seg) if m.group().lower() not in _HEDGES and _typo_hedge(m.group())]
    if _MASK in masked[c0:c1] or opinion_doc:  # somebody's assessment
        if words & _EVALUATIVE:
            cues += [_Cue(c0 + m.start(), c0 + m.end(), "opinion", m.group())
                     for m in re.finditer(r"[A-Za-z’'-]+", seg) if m.group().lower() in _EVALUATIVE and
                     (opinion_doc or masked[c0 + m.start()] == _MASK)]
        if words & _QUOTED_ANCHORS:
            cues += [_Cue(c0 + m.start(), c0 + m.end(), "opinion", m.group())
                     for m in _QUOTED_OPINION.finditer(seg) if opinion_doc or masked[c0 + m.start()] == _MASK]
    return cues


def _states_expectation(sent: str, a: int, b: int) -> bool:
    """Whether a modal or expectation word at sent[a:b] frames the claim as a forecast."""
    word = sent[a:b]
    lookalikes = _FORECAST_NOT.finditer(sent, max(0, a - 25), min(len(sent), b + 25))
    if any(x.start() <= a < x.end() for x in lookalikes):
        return False  # "could not be reached", "the will of the people", "as expected"
    if word == "May" or (word.lower() == "going to" and _GOING_TO_NOUN.match(sent, a)):
        return False
    if word.lower() in ("if", "unless") and re.search(r"\bas\s+$", sent[max(0, a - 4):a]):
        return False  # "as if"
    op = _last(_OPENER, sent, max(0, a - 120), b)
    if op and (op.end() == b or not re.search(r"[,;.]", sent[op.end():a])):
        return False  # an indirect question: "asked if the US would recognize …"
    return not (_NOUN_FORECASTS.fullmatch(word) and re.search(
        r"\b(?:the|these|those|its|their|his|her|our|my|your|such)\s+$", sent[max(0, a - 8):a]))


# =============================================================================== speakers across sentences

class _Names:
    """Earlier mentions that complete a speaker: "Austin" -> "Lloyd Austin", "the Russian president"
    -> "Vladimir Putin", "National Intelligence Service" -> "NIS"."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.acronyms: dict[str, str] = {}
        for m in _ACRONYM_DEF.finditer(text):
            words = re.sub(r"[’']s\b", "", m.group(1)).split()
            for i in range(len(words)):  # also "intelligence agency (NIS)" endings
                self.acronyms.setdefault(" ".join(words[i:]).lower(), m.group(2))

    def normalise(self, speaker: str, kind: str, before: int, definite: bool = False) -> tuple[str, str]:
        key = speaker.lower()
        if key in self.acronyms and (kind != "person" or " " not in key):
            return self.acronyms[key], "org"
        head = self.text[:before]
        words = speaker.split()
        if definite and kind in ("person", "group", "org") and any(w[:1].islower() for w in words) and \
                any(_bare(w) in _TITLES for w in words):  # "the Russian president" -> "Vladimir Putin"
            title = re.compile(r"(?i:\b" + r"\s+".join(map(re.escape, words)) + r")[ \t]+"
                               r"((?:[A-Z][\w’'.-]+[ \t]?){1,3})")
            m = _last(title, head, 0, len(head))
            if m:  # "the judge" -> "Judge Engoron" -> "Arthur Engoron"
                found = m.group(1).strip()
                return self.normalise(found, "person" if " " in found else "unknown", before)
        if " " in speaker or kind not in ("unknown", "person") or not speaker[:1].isupper():
            return speaker, kind
        for m in re.finditer(r"\b" + re.escape(speaker) + r"\b", head):  # the first full mention
            run = self._name_around(head, m.start(), m.end(), speaker)
            if len(run) >= 2 and not re.fullmatch(r"Jr\.?|Sr\.?|III?", run[-1]):
                return " ".join(run), "person"
        if len(speaker) >= 6:  # a misspelt surname: "Zelenksky" -> "Volodymyr Zelensky"
            for m in re.finditer(r"\b([A-Z][\w’'-]+)[ \t]+([A-Z][\w’'-]{4,})\b", head):
                if m.group(2) != speaker and _osa(m.group(2).lower(), speaker.lower(), 1) <= 1 and \
                        _bare(m.group(1)) not in _TITLES and not _nationality(m.group(1)):
                    return f"{m.group(1)} {m.group(2)}", "person"
        return speaker, kind

    @staticmethod
    def _name_around(head: str, a: int, b: int, speaker: str) -> list[str]:
        left = re.split(r"[,;:()“”\"\n]", head[max(0, a - 60):a])[-1].split()
        right = re.split(r"[,;:()“”\"\n]", head[b:b + 60])[0].split()
        run = [speaker]
        for w in reversed(left):
            if not _is_cap(w) or (w.endswith(".") and len(w) > 3) or _bare(w) in _TITLES or \
                    _bare(w) in _STOP_CAPS or _nationality(w) or _possessive(w):
                break
            run.insert(0, w)
        if len(run) == 1:  # surname first: "Kim" -> "Kim Jong-Un"
            for w in right[:2]:
                if not _is_cap(w) or _bare(w) in _STOP_CAPS or w.lower() in _ORG_WORDS:
                    break
                run.append(w.rstrip(".’'"))
                if w.endswith("."):
                    break
        return run


class _Speakers:
    """Each sentence's speaker, in document order: names completed, pronouns and descriptions
    ("he said", "the agency said") resolved backwards, unattributed quotations continued."""

    def __init__(self, sents: list[_Sent], names: _Names) -> None:
        self.sents, self.names = sents, names
        self.history: list[tuple[str, str, int]] = []  # (speaker, kind, sentence index)
        self.para_speaker: dict[int, tuple[str, bool]] = {}
        self.para_first: dict[int, int] = {}
        self.para_attributed: dict[int, bool] = {}
        self.subjects: dict[int, tuple[str, str] | None] = {}
        self.current = 0

    def resolve(self) -> None:
        for i, s in enumerate(self.sents):  # complete names first, so continuations get the full form
            self.para_first.setdefault(s.para, i)
            for a in (a for c in s.clauses for a in c.attrs if a.speaker and a.kind != "pronoun"):
                a.speaker, a.kind = self.names.normalise(a.speaker, a.kind, s.start, a.definite)
            self.para_attributed[s.para] = self.para_attributed.get(s.para, False) or any(
                a.speaker for c in s.clauses for a in c.attrs)
        for i, s in enumerate(self.sents):
            self.current = i
            if not s.none:
                self._sentence(i, s)

    def _sentence(self, i: int, s: _Sent) -> None:
        for a in (a for c in s.clauses for a in c.attrs):
            self._resolve_attr(a)
        attrs = [a for c in s.clauses for a in c.attrs if a.speaker]
        pending = [a for c in s.clauses for a in c.attrs if a.inherit]
        if not attrs and pending:  # "Fitch Ratings slashed … and warned that …": the subject speaks
            hit = _sentence_subject(s.masked) or _verb_subject(s.masked, pending[0].start)
            if hit:
                name, kind = self._pronoun(hit[0]) if hit[1] == "pronoun" else \
                    self.names.normalise(hit[0], hit[1], s.start)
                for a in pending:
                    a.speaker, a.kind, a.anonymous = name, kind, hit[2]
                attrs = pending
        main = next((a for a in attrs if a.quote_adjacent and a.speaker), attrs[0] if attrs else None)
        if main and main.speaker:
            s.speaker, s.kind, s.anonymous = main.speaker, main.kind, main.anonymous
        elif s.quote_only or (s.masked.lstrip()[:1] == _MASK and not any(c.attrs for c in s.clauses)):
            s.speaker, s.anonymous = self._continued(i, s)
            s.kind = next((k for sp, k, _ in reversed(self.history) if sp == s.speaker), "person")
        if s.speaker:
            self.history.append((s.speaker, s.kind, i))
            self.para_speaker[s.para] = (s.speaker, s.anonymous)

    def _resolve_attr(self, a: _Attr) -> None:
        if a.kind == "pronoun" and a.speaker:
            a.speaker, a.kind = self._pronoun(a.speaker)
        elif a.speaker and a.definite and any(w[:1].islower() for w in a.speaker.split()):
            a.speaker, a.kind = self._description(a) or (a.speaker, a.kind)

    def _subject(self, j: int) -> tuple[str, str] | None:
        """The completed subject that opens sentence j, computed only when a reference needs it."""
        if j not in self.subjects:
            s = self.sents[j]
            hit = None if s.none else _sentence_subject(s.masked)
            self.subjects[j] = self.names.normalise(re.sub(r"[’']s$", "", hit[0]), hit[1], s.start) \
                if hit and hit[1] != "pronoun" else None
        return self.subjects[j]

    def _pronoun(self, p: str) -> tuple[str | None, str]:
        want = _PRONOUNS.get(p.lower(), "unknown")
        if want == "self":  # "we said", "I think": the speaker is named elsewhere, if at all
            return None, "unknown"
        cand, at = None, -1
        for spk, kind, si in reversed(self.history):
            if want == "person" and kind in ("person", "unknown"):
                cand, at = spk, si
                break
            if want in ("org", "group") and kind in ("org", "unknown", "group"):
                return spk, kind
        if want == "person":  # "Rep. Mike Turner … sent a letter. On Wednesday, he said …"
            for j in range(self.current - 1, at, -1):
                hit = None if self.para_attributed.get(self.sents[j].para) else self._subject(j)
                if hit and hit[1] == "person" and " " in hit[0]:
                    return hit
        return cand, "person"

    def _description(self, a: _Attr) -> tuple[str, str] | None:
        words = [w.lower() for w in a.speaker.split()]
        for spk, kind, _ in reversed(self.history):  # "the official" -> "a senior U.S. military official"
            known = spk.lower().split()
            shared = kind in ("org", "group") and a.kind in ("org", "group") and set(words) & set(known)
            if words[-1] in known or shared:
                return spk, kind
        if a.kind == "org" and words[-1] in _ORG_DESCRIPTORS:  # "the automaker" -> "GM"
            for j in range(self.current - 1, max(-1, self.current - 30), -1):
                hit = self._subject(j)
                if hit and hit[1] == "org":
                    return hit
        if re.search(r"\d+-year-old", a.speaker):  # "the 28-year-old engineer" -> "Vadim"
            people = ((spk, kind) for spk, kind, _ in reversed(self.history) if kind in ("person", "unknown"))
            return next(people, None)
        return None

    def _continued(self, i: int, s: _Sent) -> tuple[str | None, bool]:
        """Who speaks in an unattributed quotation: the rest of its paragraph, or the paragraph before."""
        if s.masked.rstrip(" .").endswith(_MASK) and not s.text.rstrip(" .").endswith(("”", '"')):
            for t in self.sents[i + 1:]:  # the quotation goes on: “A. B,” she told CNN.
                if t.para != s.para:
                    break
                attr = next((a for c in t.clauses for a in c.attrs if a.speaker), None)
                if attr:
                    self._resolve_attr(attr)
                    if attr.speaker:
                        return attr.speaker, attr.anonymous
                if not t.masked.startswith(_MASK):
                    break
        for t in reversed(self.sents[self.para_first[s.para]:i]):
            if t.speaker:
                return t.speaker, t.anonymous
        first = self.sents[self.para_first[s.para]]
        if first.masked.lstrip()[:1] in (_MASK, "“", '"'):  # a paragraph that is only a quotation
            earlier = [p for p in self.para_speaker if p < s.para]
            if earlier:
                return self.para_speaker[max(earlier)]
        return None, False


# =============================================================================== decisions

def _decide(s: _Sent, c: _Clause, opinion_doc: bool) -> None:
    """The clause's label: the lowest commitment among its cues, else reported or stated."""
    if s.none or c.question:
        c.status = c.cue = c.speaker = None
        return
    own = next((a for a in c.attrs if a.speaker), None)
    speaker = own.speaker if own else s.speaker
    anonymous = own.anonymous if own else s.anonymous
    attributed = any(a.speaker for cc in s.clauses for a in cc.attrs)
    cands: list[tuple[str, str, str | None]] = []  # (status, cue, speaker of that cue)
    cands += [(cue.status, cue.text, None) for cue in c.cues if attributed or not cue.needs_attr]
    cands += [(a.status, s.text[a.start:a.end], a.speaker) for a in c.attrs if a.status]
    if anonymous and speaker:
        cands.append(("unverified", speaker, speaker))
    if cands:
        top = max(_RANK[x[0]] for x in cands)
        c.status, c.cue, spk = next(x for x in cands if _RANK[x[0]] == top)
        c.speaker = spk or speaker
    elif speaker:
        verb = own or next((a for cc in s.clauses for a in cc.attrs if a.speaker == speaker), None)
        c.status, c.cue, c.speaker = "reported", (s.text[verb.start:verb.end] if verb else None), speaker
    elif opinion_doc and not re.search(r"\d", s.text[c.start:c.end]):
        c.status, c.cue, c.speaker = "opinion", None, None  # an opinion piece argues unless it counts
    else:
        c.status, c.cue, c.speaker = "stated", None, None


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
                if c.status and _RANK[c.status] <= _RANK["unverified"]:
                    c.status, c.cue = "unverified", m.group()
                    c.speaker = c.speaker or carried  # "They were later found …" continues the report
                carried = c.speaker or carried


def _confirm_pass(sents: list[_Sent], paragraphs: Sequence[Paragraph], names: _Names) -> None:
    """ "… confirming an October 18 report by … (NIS) that …" confirms what NIS reports next."""
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
            if paragraphs and paragraphs[t.para].role is Role.HEADLINE:
                break
            for c in t.clauses:
                if c.status == "reported" and c.speaker == source:
                    c.status, c.cue = "confirmed", m.group().split()[0]


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
            out.append(Framing(s.start + a, s.start + len(s.text[:b].rstrip()), c.status, c.cue, c.speaker))
    return out
