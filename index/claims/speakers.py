"""Who says it: speaker phrases inside a sentence, and speakers across sentences.

Phrase level: the subject noun phrase of a reporting verb ("South Korea's intelligence agency (NIS)",
"a senior State Department official"), the phrase after "according to" or a passive "by", inverted
attributions ("…,” said Nick Carlsen, analyst at …"). Article level (`_Names`, `_Speakers`): names
completed from their first full mention, acronyms, "the Russian president" -> the president named
earlier, pronouns resolved to the nearest compatible speaker keeping whether it is named or anonymous,
and unattributed quotations continued.
"""

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING

from index.claims.lexicon import (
    _ACRONYM_DEF,
    _AGENT_NOUN,
    _ANON_DETS,
    _ANON_GROUPS,
    _ANON_HEADS,
    _BOUNDARY_WORDS,
    _CONNECTORS,
    _GROUP_NOUNS,
    _INTRO,
    _LEADING_DETS,
    _MASK,
    _ORG_DESCRIPTORS,
    _ORG_WORDS,
    _PERSON_ROLES,
    _PLACE_HEADS,
    _POST_MODIFIERS,
    _PRONOUNS,
    _STOP_CAPS,
    _TOKEN,
    _VERB_FORMS,
    _words,
)
from index.claims.lexicon import _TITLES as _LEXICON_TITLES
from index.claims.text import (
    _adverb,
    _bare,
    _is_cap,
    _nationality,
    _osa,
    _possessive,
)

if TYPE_CHECKING:
    from index.claims.sentence import (
        _Attr,
        _Sent,
    )


# Titles before a name, beyond the lexicon's: local-government and legislative ones ("Councillor Edna
# Vossberg", "Congresswoman …", "Alderman …"), descriptions of a person ("nominee", "businessman").
_TITLES = _LEXICON_TITLES | _words("""councillor councilor councilman councilwoman alderman alderwoman
    congressman congresswoman assemblyman assemblywoman assemblymember lawmaker legislator mep mp msp
    nominee businessman businesswoman sir dame lord baroness pontiff""")

# Titles that are nouns (a person's role), for "a former cabinet minister" / "a senior general".
_ROLE_NOUNS = _words("""minister president secretary senator governor mayor ambassador envoy commander general
    chief director judge official spokesman spokeswoman spokesperson mp lawmaker legislator diplomat""")

# What a body issues in its own name: "OPEC's statement said" is OPEC's word.
_DOCUMENTS = _words("statement report website blog letter filing tweet release announcement")

# Words before a capitalised plural that leave its members unnamed ("senior Republicans", "some Democrats").
_UNNAMED_QUANTIFIERS = _words("""senior some several many few two three four five dozens numerous other leading
    top prominent""")

# What sort of body a name is, written after it in lowercase ("the Harbour Kind foundation"): the name alone
# is the body. Not "administration", "government" or "campaign", which make a person's name a body.
_BODY_TYPES = _words("""foundation company firm group charity club bank institute trust organisation organization
    association network airline carrier insurer retailer automaker manufacturer brand startup consortium""")

# What a body publishes and a later "the …" refers back to ("The research reveals", "the study found").
_STUDIES = _words("research study survey poll analysis findings figures data census")

Who = tuple[str, str, bool]  # (speaker as written, kind, anonymous); kind: person/org/group/unknown/pronoun


def _np_speaker(words: list[str]) -> Who | None:
    """Who a candidate subject phrase names, or None if it names nobody."""
    if len(words) > 1 and words[-1].lower() in _DOCUMENTS and _possessive(words[-2]) and _is_cap(words[-2]):
        return _np_speaker([*words[:-2], re.sub(r"[’']s$", "", words[-2])])  # "OPEC's statement": OPEC
    while words and _adverb(words[-1]) and not (len(words) > 1 and words[-1] in ("May", "Will", "Can")):
        words = words[:-1]  # "X also", "X on Tuesday", but "Theresa May" keeps her surname
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
    if lower[-1] in ("report", "reports", "statement", "article", "analysis", "data", "figures", "statistics",
                     "numbers", "survey", "poll", "website", "blog") and len(words) > 1 and \
            _is_cap(words[-2]) and not (len(words) <= 3 and _nationality(words[-2])):
        return _np_speaker(words[:-1])  # "a Wall Street Journal report", "the Harbour Park website"; not "a US report"
    if len(words) >= 2 and words[-1][:1].islower() and lower[-1] in _BODY_TYPES and \
            _is_cap(words[-2]) and lower[-2] not in _LEADING_DETS and lower[-2] not in _STOP_CAPS and \
            not _possessive(words[-2]) and lower[0] in ("the", "its", "their") and not _nationality(words[-2]):
        hit = _np_speaker(words[:-1])  # "the Harbour Kind foundation", "the Ostland Rail company": the name
        if hit and hit[1] != "pronoun":
            return hit[0], "org", False
    owner = next((i for i, w in enumerate(words[:-1]) if _possessive(w)), None)
    if owner is not None and all(w in _TITLES for w in lower[owner + 1:]) and \
            lower[-1] not in _ANON_GROUPS:  # "the alliance's secretary general"
        while words and words[0].lower() in _LEADING_DETS:  # a role its owner pins down: a person, as written
            words, owner = words[1:], owner - 1
        return (" ".join(words), "person", False) if owner >= 0 else None
    if len(words) >= 2 and lower[0] in _UNNAMED_QUANTIFIERS and re.fullmatch(r"[A-Z][a-z]+s", words[-1]) and \
            all(w in _UNNAMED_QUANTIFIERS or w in ("senior", "leading", "top", "prominent") for w in lower[:-1]):
        return " ".join(words), "group", True  # "senior Conservatives", "several Democrats": nobody named
    role = _role_of(words, lower)
    if role:  # "The prosecutor of the International Criminal Court in The Hague": a person, not "Hague"
        return role, "person", False
    anonymous = lower[0] in _ANON_DETS and any(w in _ANON_HEADS for w in lower) and not any(
        _is_cap(w) and _bare(w) not in _TITLES and not _nationality(w) for w in words[1:])
    if _is_cap(words[-1]) and not (len(words) == 1 and lower[0] in _GROUP_NOUNS) and \
            not (lower[-1] in _ANON_GROUPS and len(words) > 1):  # "A Defense Ministry Spokesman": a role, no name
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
        if tail and all(t in _TITLES for t in tail):
            w = lower[-1]  # "Defense Ministry Spokesman": the head is the role at the end
        if w in _ANON_GROUPS and not (lower[0] in ("the", "these", "those") and len(lower) == 2) and \
                not (w == "officials" and i > 0 and _nationality(words[i - 1])):  # "U.S. officials": a government
            anonymous = True  # "officials said", "CDC officials said", "a senior State Department official"
        if lower[0] in ("a", "an", "one", "another") and not w.endswith("s") and not tail and \
                not any(_is_cap(x) for x in words[1:]) and \
                (w in _PERSON_ROLES or w in _ROLE_NOUNS or (agent and w.endswith(("er", "or", "ist", "ian")))):
            anonymous = True  # "a former cabinet minister", "one expert": a person described, never named
        if w in _PERSON_ROLES or (agent and not w.endswith("s") and w not in _GROUP_NOUNS):
            kind = "person"
        elif w in _ORG_DESCRIPTORS or w in _ORG_WORDS:
            kind = "org"
        else:
            kind = "group"
        return " ".join(words), kind, anonymous
    return None


def _role_of(words: list[str], lower: list[str]) -> str | None:
    """ "the prosecutor of the International Criminal Court (in The Hague)" -> "prosecutor of the International
    Criminal Court": a lowercase role before "of" and a name, up to a place after the name."""
    start = next((i for i, w in enumerate(lower) if w not in _LEADING_DETS), len(lower))
    if "of" not in lower[start + 1:]:
        return None
    k = lower.index("of", start + 1)
    head = lower[k - 1]
    if any(_is_cap(w) for w in words[start:k]) or not (
            head in _TITLES or (head in _PERSON_ROLES and not head.endswith("s")) or
            (_AGENT_NOUN.match(head) and not head.endswith("s"))):
        return None
    rest = words[k + 1:]
    if not any(_is_cap(w) for w in rest):
        return None
    for j, w in enumerate(rest):
        if j and w.lower() in ("in", "at", "on", "from", "who") and any(_is_cap(x) for x in rest[:j]):
            rest = rest[:j]
            break
    return " ".join(words[start:k + 1] + rest)


def _name_run(words: list[str], lower: list[str]) -> Who | None:
    """The capitalised name that ends a phrase: "US Defense Minister Lloyd Austin" -> "Lloyd Austin"."""
    run = [words[-1]]
    body_name = words[-1] in _ORG_HEADS  # "Online Sellers in Retail Group": "in" inside the name
    for k in range(len(words) - 2, -1, -1):
        w = words[k]
        inside = body_name and w == "in" and k > 0 and _is_cap(words[k - 1]) and \
            words[k - 1].lower() not in _ANON_GROUPS
        if not (_is_cap(w) or w in _CONNECTORS or inside):
            break
        run.insert(0, w)
    while run and (run[0].lower() in _CONNECTORS or _STOP_CAPS & {_bare(run[0]), run[0].lower()}):
        run = run[1:]
    if not run:
        return None
    descriptor = lower[len(words) - len(run) - 1] if len(words) > len(run) else ""
    if descriptor in ("to", "for", "in", "at", "from") and len(run) >= 3 and all(
            not _possessive(w) and w.lower() not in _CONNECTORS for w in run[-2:]):
        run = run[-2:]  # "envoy to Yemen Anna Berg" -> "Anna Berg", not "Yemen Anna Berg"
    head = re.sub(r"[’']s$", "", run[-1])
    of_body = any(w.lower() in ("of", "for") and run[k - 1].lower() in _ORG_WORDS for k, w in enumerate(run) if k)
    if head.lower() in _ORG_WORDS or head.lower() in _PLACE_HEADS or (head.isupper() and len(head) > 1) or \
            descriptor in _ORG_DESCRIPTORS or of_body \
            or "&" in run:  # "Public Health Agency of Canada", "Bank of England": a body
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
    masked = _PARTY_TAG.sub(lambda m: " " * len(m.group()), masked)  # "Sen. Elizabeth Warren (D-MA) said"
    if _inverted(masked, vstart):
        return None  # "…, said the BBC.": the speaker follows the verb, whatever names the content holds
    masked = _DIGIT_COMMA.sub(_FIGURE_COMMA, masked)  # "which represents 20,000 firms": one phrase, not two
    segs: list[list[str]] = [[]]  # comma-separated phrases, nearest first
    relative = False  # the phrase after the nearest comma is a relative clause ("X, which represents …, said")
    closed = False  # the phrase next to the verb ends at a boundary word ("as", "that")
    quoted = False  # the walk stopped at a quotation
    ended = False  # the walk reached the start of the clause
    toks = _TOKEN.findall(masked, 0, vstart)
    for k in range(len(toks) - 1, -1, -1):
        tok = toks[k]
        if tok == "and" and segs[-1] and _is_cap(segs[-1][0]) and k and _is_cap(toks[k - 1]) and \
                toks[k - 1].lower() not in _STOP_CAPS:
            segs[-1].insert(0, tok)  # inside a name: "the Public and Commercial Services Union"
            continue
        if tok in ",—–()" or tok == "-":  # a spaced hyphen sets off an apposition like a dash
            if len(segs) >= 4:
                break
            segs.append([])
            closed = False
            continue
        if tok in ";:“”\"" + _MASK:
            if len(segs) == 1 or segs[-1]:
                ended = True
                quoted = tok in "“”\"" + _MASK
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
                relative = relative or (len(segs) == 2 and tok.lower() in ("which", "who") and
                                        k > 0 and toks[k - 1] == ",")
                closed = True
                continue
        segs[-1].insert(0, tok)
    else:
        ended = True
    segs = [[w.replace(_FIGURE_COMMA, ",") for w in seg] for seg in segs]
    segs = segs[:1] + [seg[1:] if len(seg) > 1 and seg[0] in _VERB_FORMS else seg for seg in segs[1:]]  # "…, said X,
    # who added": the apposition names X (the phrase next to the verb keeps its words: "said she hopes" is no "she")
    if len(segs[0]) >= 2 and segs[0][0] in _VERB_FORMS and segs[0][-1].lower() in _PRONOUNS:
        return None  # "X, director of …, said she hopes …": reported content; X's attribution covers it
    if segs[0] and not _only_adverbs(segs[0]):
        if segs[0][0][:1].islower() and len(segs) >= 2 and 2 <= len(segs[1]) <= 4 and \
                all(_is_cap(w) and _bare(w) not in _TITLES and _bare(w) not in _STOP_CAPS for w in segs[1]):
            person = _np_speaker(segs[1])  # "Will Davies, senior research fellow at the IPPR, told": the person
            if person and person[1] == "person":
                return person
        if segs[0][0][:1].islower() and len(segs) == 2 and ended and len(segs[1]) == 1 and \
                re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?", segs[1][0]) and not _nationality(segs[1][0]) and \
                _bare(segs[1][0]) not in _TITLES | _STOP_CAPS:
            role = _np_speaker(segs[0])  # "Karimi, director of Harbour Paths to Peace, said": a surname, then a role
            if role and role[1] == "person" and role[0][:1].islower():
                return segs[1][0], "unknown", False
        hit = _np_speaker(segs[0])
        if hit is None and len(segs) >= 2 and 2 <= len(segs[1]) <= 6 and _is_cap(segs[1][-1]):
            # an apposition that names nobody ("…, Borussia Dortmund's largest investor -"): the name before it
            person = _np_speaker(segs[1])
            return person if person and person[1] == "person" else None
        return hit
    named = [seg for seg in segs[1:]
             if seg and len(seg) <= 8 and all(_is_cap(w) or w in _CONNECTORS for w in seg)]
    if ended and named and named[-1] is segs[-1]:  # prefer the phrase that opens the clause:
        named = [named[-1], *named[:-1]]  # "NOAA’s National Centers …, headquartered in Asheville, N.C., has"
    found = next(filter(None, map(_np_speaker, named)), None)
    if found is None and not segs[0] and len(segs) == 2 and quoted and not closed and segs[1] and \
            _is_cap(segs[1][-1]) and masked[:vstart].rstrip().endswith(","):
        hit = _np_speaker(segs[1])  # "“…,” DonorKind chairman Ties van der Meer, told the paper": a stray comma
        if hit and hit[1] in ("person", "org"):
            return hit
    if found is None and not segs[0] and relative and len(segs) >= 3 and 1 <= len(segs[2]) <= 8:
        hit = _np_speaker(segs[2])  # "The trade body Make UK, which represents 20,000 firms, said"
        if hit and hit[1] != "pronoun":
            return hit
    if found is None and not segs[0] and len(segs) >= 3 and 2 <= len(segs[2]) <= 6:
        person = _np_speaker(segs[2])  # "Florian Hamm - Borussia Dortmund's largest investor - said"
        if person and person[1] == "person":
            return person
    return found


# "…, said Hamish Brody for the i news site.", "…”, said the BBC.", "…, said Politico, a move that …":
# after a comma, a speech verb, then a name that ends the sentence or its clause.
_INVERTED_NAME = re.compile(r"[ \t]+(?:[Tt]he[ \t]+)?(?:[A-Z][\w’'.&-]*[ \t]*){1,5}(?:[ \t]+(?:for|of|at|in|from)[ \t]+"
                            r"[^,.;:" + _MASK + r"“”\"]{1,40})?(?:[.,;]|\s*$)")


def _inverted(masked: str, vstart: int) -> bool:
    verb = re.match(r"[a-z]+", masked[vstart:])
    if not verb or verb.group() in ("tell", "tells", "told", "telling") or \
            not re.search(r"[,”\"" + _MASK + r"]\s*$", masked[:vstart]):
        return False
    m = _INVERTED_NAME.match(masked, vstart + verb.end())
    if not m:
        return False
    first = re.findall(r"[\w’'.&-]+", m.group())[0]
    return first.lower() not in _STOP_CAPS or first in ("The", "the")


_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_FIGURE_COMMA = "\u2063"  # stands in for a thousands separator during the walk (a word character to _TOKEN)
_PARTY_TAG = re.compile(r"\((?:[DRI]|Dem|Rep|Ind)\.?[-–][A-Za-z. ]{2,16}\)")


def _only_adverbs(words: list[str]) -> bool:
    return all(_adverb(w) for w in words)


def _subject_after(masked: str, vend: int) -> Who | None:
    """Inverted attribution: "“…,” said Nick Carlsen, analyst at …"."""
    if re.search(r"\b(?:tell|tells|told|telling)$", masked[:vend]):
        return None  # "told the Telegraph": whom it was said to, never who said it
    m = re.match(r"[ \t]+((?:[^\s,;“”\"" + _MASK + r"]+[ \t]*){1,10})", masked[vend:])
    if not m:
        return None
    words = m.group(1).split()
    for i, w in enumerate(words):
        if i and (w.lower() in _AFTER_NAME or (w == "for" and i + 1 < len(words) and words[i + 1][:1].islower())):
            words = words[:i]  # "said Hamish Brody for the i news site"
            break
    if words and words[-1].endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+", words[-1]):
        words[-1] = words[-1][:-1]
    return _np_speaker(words) if words else None


# Capitalised last words of a body's name that may hold "in" ("the Interactive Media in Retail Group").
_ORG_NAME_HEADS = "Group|Association|Alliance|Institute|Foundation|Council|Federation|Society|Union|Trust|Forum"
_ORG_HEADS = frozenset(_ORG_NAME_HEADS.split("|"))


def _described(speaker: str, connectors: bool = True) -> bool:
    """Whether a speaker is written as a description (a lowercase word in it: "the Russian president"), not a
    name; a name's connectors ("Bank of England", with `connectors`) and the "in" of a body's name ("Online
    Sellers in Retail Group") are no description."""
    words = speaker.split()
    inside = words[-1] in _ORG_HEADS
    return any(w[:1].islower() and not (connectors and w in _CONNECTORS) and not (inside and w == "in")
               for w in words)


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
    via = re.match(r"[ \t]+(?:an? |the )?(?:\w+ )?(?:reports?|statements?|articles?|posts?|interviews?|research|"
                   r"stud(?:y|ies)|surveys?|figures|data|polls?|analysis)(?:[ \t]+(?:carried[ \t]+out|conducted|"
                   r"published|released|commissioned|compiled|collected|gathered))? (?:in|by|from|with|on)(?= )", rest)
    if via:  # "according to reports in the Washington Post", "according to research carried out by X"
        return _np_after(masked, end + via.end())
    close = re.match(r"[^,;]*?\b(?:familiar|close|closest)[ \t]+(?:with|to)[ \t]+[^,;.]+", m.group(1))
    if close:  # "according to a person familiar with the matter", "sources close to the talks"
        words = close.group().split()
        hit = _np_speaker(words)
        if hit:
            return hit
    np = re.split(r"\s+(?:that|which|who|released|published|conducted|issued|obtained|seen|filed|posted|"
                  r"dated|on|"
                  r"in(?![ \t]+(?:[A-Z][\w&-]*[ \t]+){0,3}(?:" + _ORG_NAME_HEADS + r")\b)|"  # not "X in Retail Group"
                  r"near|at|during|after|before|amid|last|this|as of|when|with|to)\b|"
                  r"\s+for\b(?![ \t]+[A-Z])|"  # "the Centers for Disease Control", not "for the year"
                  r"(?<![A-Z])(?<!\b(?:Mr|Ms|Dr|St|Jr|Sr))(?<!\bMrs|\bSen|\bRep|\bGov|\bGen|\bCol|\bSgt)"
                  r"(?<!\bProf)\.(?:\s|$)",  # "according to Mr. Reyes" keeps the name after the title
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
        if re.search(r"-(?:based|born|led|owned|backed|run|funded)$", w) or \
                (n == 1 and w.lower() in _NUMBER_WORDS and nxt.lower() in _TIME_UNITS):
            continue  # "New York-based merchant bank Raine", "Two years later, he …": no name
        hit = _np_speaker(words[:n])
        if hit and hit[1] != "pronoun":
            best = hit
    return best


_NUMBER_WORDS = _words("one two three four five six seven eight nine ten eleven twelve several many some few")
_TIME_UNITS = _words("years year months month weeks week days day hours hour decades decade minutes")


def _pronoun_subject(before: str) -> Who | None:
    """A personal pronoun that opens the sentence and is the subject of its verb ("And he issued a warning
    that …", "Later, she added …"): resolved by the speaker pass like "he said"."""
    m = re.match(r"(?:(?:And|But|Yet|So|Then|Later|Earlier|Now|Still)[, ]\s*(?=[hst]))?([Hh]e|[Ss]he|[Tt]hey)\s+"
                 r"(?:also\s+|then\s+|later\s+|again\s+)?[a-z]+(?:ed|s)\b", before)
    return (m.group(1).lower(), "pronoun", False) if m else None


def _first_phrase(s: str) -> str:
    return re.split(r"[,;“”\"" + _MASK + r"]", s)[0]


def _last_phrase(s: str) -> str:
    return re.split(r"[,;“”\"" + _MASK + r"]", s)[-1]


def _definite(phrase: str) -> bool:
    """ "the agency", "the 28-year-old engineer": a description that may name an earlier speaker."""
    return bool(re.search(r"(?:^|\s)(?i:the|this)\s+\w[\w\s-]*$", phrase.strip()) or
                re.match(r"\s*(?i:the|this)\s+\w", phrase))



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

    def mentioned(self, name: str) -> bool:
        """Whether a name is written as a name (not "the …") somewhere: "The Australian" is a newspaper."""
        return bool(re.search(r"(?<![Tt]he )\b" + re.escape(name) + r"\b(?!\s+[a-z])", self.text))

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
        for m in re.finditer(r"\b" + re.escape(speaker) + r"\b", head):  # no given name before it: after it?
            given = self._surname_first(head, m.start(), m.end())
            if given:
                return f"{speaker} {given}", "person"
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
        if len(run) == 1 and right and "-" in right[0]:  # surname first: "Kim" -> "Kim Jong-Un", not
            for w in right[:2]:  # a Title Case headline's next word ("Gorka Slams …")
                if not _is_cap(w) or _bare(w) in _STOP_CAPS or w.lower() in _ORG_WORDS:
                    break
                run.append(w.rstrip(".’'"))
                if w.endswith("."):
                    break
        return run

    @staticmethod
    def _surname_first(head: str, a: int, b: int) -> str | None:
        """ "Taxation head Xie Xuren said" -> "Xuren": a given name after the surname, the name set off by a
        lowercase role before it and a lowercase word after it (Chinese, Korean, Hungarian order)."""
        left = head[max(0, a - 30):a].split()
        right = re.split(r"[,;:()“”\"\n]", head[b:b + 40])[0].split()
        if len(right) >= 2 and left and re.fullmatch(r"[a-z]+", left[-1]) and \
                re.fullmatch(r"[A-Z][a-z]+", right[0]) and right[1][:1].islower() and \
                _bare(right[0]) not in _STOP_CAPS and right[0].lower() not in _ORG_WORDS | _COMPANY_SUFFIXES:
            return right[0]
        return None


_COMPANY_SUFFIXES = _words("ltd plc llc inc co corp group holdings ag sa gmbh")


# Words that cannot sit inside a body's name ("Faced with the committee" is no name of the committee).
_GLUE = "the|a|an|with|to|by|from|at|in|on|as|that|this|its|his|her|their|of|for|is|was|has|had|said|says|its"


# Words that make a capitalised name an outlet, never a "he" or "she" ("the Daily Express", "Rest of World").
_OUTLET = re.compile(r"\b(?:Daily|Times|Post|News|Express|Journal|Telegraph|Guardian|Herald|Tribune|Gazette|"
                     r"Standard|Mail|Mirror|Observer|Economist|Politico|Reuters|Bloomberg|Press|World|Review|"
                     r"Magazine|Radio|TV|Television|BBC|CNN|NBC|CBS|ABC|Fox|Agency|Independent|Spectator|Atlantic|"
                     r"Vox|Axios|Insider|Chronicle|Examiner|Weekly|Online|AP|AFP|Xinhua|Interfax|"
                     r"TASS|Yonhap|Kyodo|Al Jazeera|Sky|ITV|Channel \d|NPR|PBS|MSNBC)\b")
# A definite description of a news outlet ("the paper added", "said the news agency", "the site said"): it
# names the outlet quoted last, never a government agency or a company.
_MEDIA_NOUNS = _words("""paper newspaper daily tabloid broadsheet site website outlet publication magazine
    broadcaster channel network station title weekly""")


# A person called by nationality or origin ("the Brazilian", "the Frenchman", "the Scot"); suffixes of
# English demonyms, so the list of countries need not be complete.
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:ian|ean|ese|ish|ard|ani|i|man|woman)|Scot|Swede|Dane|Finn|Pole|Turk|Czech|Thai|"
                      r"Argentine|Greek|Swiss|Kiwi|Aussie|Brit|Yank")


# A pronoun right after a relative word or a coordinating ", and" ("passengers that he said …", "a letter, in
# which she said …", "Lint sailed on Monday, and he said …").
_RELATIVE_BEFORE = re.compile(r"(?:\b(?:that|which|whom)|,\s+and)\s+(?:he|she|it)\s+"
                              r"(?:\w+ly\s+|also\s+|had\s+|has\s+)?$")


_APPOSED = re.compile(r"\b([A-Z][\w’'-]+(?:[ \t]+[A-Z][\w’'-]+){1,2}),[ \t]+(?:a|an|the)[ \t]+[a-z]")


class _Speakers:
    """Each sentence's speaker, in document order: names completed, pronouns and descriptions
    ("he said", "the agency said") resolved backwards, unattributed quotations continued."""

    def __init__(self, sents: list[_Sent], names: _Names) -> None:
        self.sents, self.names = sents, names
        self.history: list[tuple[str, str, int]] = []  # (speaker, kind, sentence index)
        self.para_speaker: dict[int, tuple[str, bool]] = {}
        self.para_first: dict[int, int] = {}
        self.para_size: dict[int, int] = {}
        for s in sents:
            self.para_size[s.para] = self.para_size.get(s.para, 0) + 1
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
        self._lead_description()

    def _lead_description(self) -> None:
        """A news lead often names its source by description and the next sentences by name ("…, the UK
        elections watchdog has said." then "The Electoral Commission says …"; "…, the new head of the Army
        has warned." then "General Sir Patrick Sanders, who took over …"): a description the lead sentence
        could not resolve backwards is the first body or person of its sort named in the three sentences
        after it (outlets excepted)."""
        lead = next((i for i, s in enumerate(self.sents) if not s.none), None)
        if lead is None:
            return
        s = self.sents[lead]
        for a in (a for c in s.clauses for a in c.attrs):
            if not (a.speaker and a.definite and a.kind in ("person", "org", "group") and
                    _described(a.speaker)):  # a description
                continue
            found = None
            for j in range(lead + 1, min(len(self.sents), lead + 4)):
                t = self.sents[j]
                if t.none:
                    continue
                self.current = j
                for name, kind in ((t.speaker, t.kind), self._subject(j) or (None, None)):
                    if not name or not name[:1].isupper() or _OUTLET.search(name):
                        continue
                    if (a.kind == "person" and kind == "person" and " " in name) or \
                            (a.kind != "person" and kind == "org"):
                        found = found or (name, kind)
                if found:
                    break
            if found:
                if s.speaker == a.speaker:
                    s.speaker, s.kind = found
                a.speaker, a.kind = found
    def _sentence(self, i: int, s: _Sent) -> None:
        earlier: list[_Attr] = []
        for a in (a for c in s.clauses for a in c.attrs):
            own = self._same_sentence(a, earlier)
            if own:  # "Signal said …, a claim the company flatly denied": the sentence's own speaker
                a.speaker, a.kind, a.anonymous = own.speaker, own.kind, own.anonymous
            else:
                self._resolve_attr(a)
            earlier.append(a)
        attrs = [a for c in s.clauses for a in c.attrs if a.speaker]
        pending = [a for c in s.clauses for a in c.attrs if a.inherit]
        if not attrs and pending:  # "Fitch Ratings slashed … and warned that …": the subject speaks
            hit = _sentence_subject(s.masked) or _verb_subject(s.masked, pending[0].start) or pending[0].subject or \
                _pronoun_subject(s.masked[:pending[0].start])  # "And he issued a warning that …"
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
        for a in attrs:  # a second person the sentence quotes ("X pointed to comments from Y, who warned"):
            if a.speaker and a.speaker != s.speaker and a.kind == "person" and a.start > (main.start if main else 0):
                self.history.append((a.speaker, a.kind, i))  # the nearer antecedent of a later "he"

    def _resolve_attr(self, a: _Attr) -> None:
        if a.kind == "pronoun" and a.speaker:
            a.speaker, a.kind = self._own_subject(a) or self._pronoun(a.speaker)
            a.anonymous = a.anonymous or any(  # "he said" of an unnamed officer is still unnamed
                sp == a.speaker and self.sents[si].anonymous for sp, _, si in self.history)
        elif a.speaker and a.definite and (_described(a.speaker, connectors=False) or
                                           (" " not in a.speaker and _bare(a.speaker) in _TITLES)):
            a.speaker, a.kind = self._description(a) or (a.speaker, a.kind)
        elif a.speaker and a.definite and _DEMONYM.fullmatch(a.speaker) and not _OUTLET.search(a.speaker) and \
                not self.names.mentioned(a.speaker):
            person = self._last_person()  # "the Brazilian" -> the person last named
            if person:
                a.speaker, a.kind = person, "person"

    def _own_subject(self, a: _Attr) -> tuple[str, str] | None:
        """A pronoun that speaks inside a relative clause (or a clause coordinated with ", and") of its own
        sentence is that sentence's subject: "Ivo Lint has picked eight passengers that he said will join him",
        "Tom Reyes published a letter, in which he said …". The subject must be of the pronoun's sort (a
        person written with a full name for "he"/"she", a body for "it")."""
        s = self.sents[self.current]
        if not _RELATIVE_BEFORE.search(s.masked[:a.start]):
            return None
        want = _PRONOUNS.get(a.speaker.lower(), "unknown")
        for hit in (_sentence_subject(s.masked), _verb_subject(s.masked, a.start)):
            if hit is None or hit[1] == "pronoun":
                continue
            name, kind = self.names.normalise(re.sub(r"[’']s$", "", hit[0]), hit[1], s.start)
            if (want == "person" and kind == "person" and " " in name and not _OUTLET.search(name)) or \
                    (want == "org" and kind == "org"):
                return name, kind
        return None

    @staticmethod
    def _same_sentence(a: _Attr, earlier: list[_Attr]) -> _Attr | None:
        """A definite description ("the company") that names a speaker named earlier in its sentence."""
        if not (a.speaker and a.definite and a.kind in ("org", "group") and a.speaker.split()[-1].lower()
                in _ORG_DESCRIPTORS):
            return None
        return next((e for e in reversed(earlier) if e.speaker and e.kind in ("org", "unknown") and
                     not e.definite), None)

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
        if want == "org":  # "OPEC's statement did not refer to … “…,” it added": the last subject, if it spoke
            prev = next((j for j in range(self.current - 1, max(-1, self.current - 3), -1)
                         if not self.sents[j].none), None)
            t = self.sents[prev] if prev is not None else None
            hit = self._subject(prev) if t is not None and not any(
                a.speaker for c in t.clauses for a in c.attrs) else None
            if hit and hit[1] in ("person", "unknown") and hit[0][:1].isupper() and " " in hit[0]:
                hit = hit[0], "org"  # "Harbour United posted a loss. It said …": a name "it" speaks for is a body
            if hit and hit[1] == "org":
                noun = hit[0].split()[-1].lower()
                named = self._named_as(noun) if hit[0][:1].islower() and noun in _ORG_DESCRIPTORS else None
                return (named, "org") if named else hit  # "The committee reached …. It warned …"
        if want == "person":
            introduced = self._introduced()
            if introduced:
                return introduced, "person"
        cand, at = None, -1
        for spk, kind, si in reversed(self.history):
            if want == "person" and kind in ("person", "unknown") and not _OUTLET.search(spk):
                cand, at = spk, si
                break
            if want in ("org", "group") and kind in ("org", "unknown", "group"):
                return spk, kind
        if want == "person":  # "Rep. Mike Turner … sent a letter. On Wednesday, he said …"
            for j in range(self.current - 1, at, -1):
                t = self.sents[j]  # a short paragraph counts as a whole; a BBC line of several, by sentence
                own_para = t.para == self.sents[self.current].para  # its attribution may be this very "she said"
                attributed = self.para_attributed.get(t.para) if self.para_size[t.para] <= 3 and not own_para \
                    else any(a.speaker for c in t.clauses for a in c.attrs)
                hit = None if attributed else self._subject(j)
                if hit and hit[1] == "person" and " " in hit[0]:
                    return hit
        return cand, "person"

    def _last_person(self) -> str | None:
        """The person named last within ten sentences, as a speaker or as the subject of a sentence."""
        for j in range(self.current - 1, max(-1, self.current - 11), -1):
            t = self.sents[j]
            if t.none:
                continue
            spoke = t.speaker if t.kind == "person" and t.speaker and " " in t.speaker and \
                not _OUTLET.search(t.speaker) else None
            subject = self._subject(j)
            if subject and subject[1] == "person" and " " in subject[0] and not _OUTLET.search(subject[0]):
                return subject[0]
            if spoke:
                return spoke
        return None

    def _introduced(self) -> str | None:
        """A person the sentence before introduces with an apposition while someone or something else is its
        subject ("The paper pointed to comments from Ada Brandt, a retired colonel, who …" / "Another
        researcher is Ivo Lint, an arms expert …"): the "he" or "she" that follows is that person."""
        j = next((j for j in range(self.current - 1, max(-1, self.current - 3), -1) if not self.sents[j].none), None)
        if j is None or any(a.speaker and a.kind != "org" for c in self.sents[j].clauses for a in c.attrs):
            return None
        subject = self._subject(j)
        if subject and subject[1] in ("person", "unknown") and " " in subject[0]:
            return None  # "Kim Jong Un met Ada Brandt, the envoy. He said …": the subject stays the likelier "he"
        names = [m.group(1) for m in _APPOSED.finditer(self.sents[j].masked)]
        names = [n for n in names if not _OUTLET.search(n) and _bare(n.split()[0]) not in _TITLES and
                 not _nationality(n.split()[0]) and n.split()[0].lower() not in _STOP_CAPS]
        return names[-1] if len(names) == 1 else None

    def _description(self, a: _Attr) -> tuple[str, str] | None:
        words = [w.lower() for w in a.speaker.split()]
        for spk, kind, _ in reversed(self.history):  # "the official" -> "a senior U.S. military official"
            known = spk.lower().split()
            at = known.index(words[-1]) if words[-1] in known else -1  # the head: "Health Agency of Canada"
            if at >= 0 and (at == len(known) - 1 or known[at + 1] in ("of", "for", "on")):
                return spk, kind
        if words[-1] in _STUDIES and len(words) <= 3:  # "according to research by Ostland Software. The research
            for spk, kind, si in reversed(self.history):  # reveals …": the body whose study it is, named just before
                if si < self.current - 3:
                    break
                if spk[:1].isupper() and kind in ("org", "unknown", "group") and not self.sents[si].anonymous:
                    return spk, kind
        if a.kind in ("org", "group") and words[-1] in _ORG_DESCRIPTORS:  # "the magazine" -> "Rolling Stone"
            found = self._named_as(words[-1])
            if found:
                return found, "org"
            found = self._earlier_body(words)
            if found:  # "the paper added" -> "The Times"; "the think-tank" -> "IPPR"
                return found
        role = words[-1] in _TITLES or (words[-1] in _PERSON_ROLES and words[-1] not in _ANON_HEADS)
        if a.kind in ("person", "unknown") and len(words) <= 3 and role and \
                words[-1] not in _ANON_GROUPS and not any(_possessive(w) for w in a.speaker.split()):
            # "the minister" -> the person last quoted: "Ruth Kelly" (not "the alliance's secretary general");
            # "the project manager" -> "Tom Harrow"; "the Pontiff" -> "Pope Anselm" (written "Anselm")
            people = [(spk, kind) for spk, kind, _ in reversed(self.history) if kind in ("person", "unknown") and
                      spk[:1].isupper() and not _OUTLET.search(spk)]
            if people and people[0][1] == "unknown" and self._titled(people[0][0]):
                return people[0][0], "person"  # the last speaker, a title and one name ("Pope Anselm says")
            found = next(((spk, kind) for spk, kind in people if kind == "person" and " " in spk), None)
            if found:
                return found
        if a.kind == "org" and words[-1] in _ORG_DESCRIPTORS:  # "the automaker" -> "GM"
            for j in range(self.current - 1, max(-1, self.current - 30), -1):
                hit = self._subject(j)
                if hit and hit[1] == "org":
                    return hit
        if re.search(r"\d+-year-old", a.speaker):  # "the 28-year-old engineer" -> "Vadim"
            people = ((spk, kind) for spk, kind, _ in reversed(self.history) if kind in ("person", "unknown"))
            return next(people, None)
        return None

    def _titled(self, name: str) -> bool:
        """Whether a one-word name is written after a title somewhere before this sentence ("Pope Anselm")."""
        head = self.names.text[:self.sents[self.current].start]
        return " " not in name and _bare(name) not in _TITLES and any(
            _bare(m.group(1)) in _TITLES for m in re.finditer(r"([\w.]+)[ \t]+" + re.escape(name) + r"\b", head))

    def _earlier_body(self, words: list[str]) -> tuple[str, str] | None:
        """The body a description ("the paper", "the news agency", "the think-tank", "the health agency")
        names: the nearest earlier speaker of its sort within the last 20 sentences, an outlet for a media
        noun, otherwise a named organisation that is no outlet. None when there is none of that sort."""
        media = words[-1] in _MEDIA_NOUNS or (words[-1] in ("agency", "service") and "news" in words)
        for spk, kind, si in reversed(self.history):
            if si < self.current - 20:
                break
            if self.sents[si].anonymous or not spk[:1].isupper():
                continue
            outlet = bool(_OUTLET.search(spk.replace("Agency", "")))  # "Public Health Agency …" is no outlet
            if media and outlet:
                return spk, "org"
            if not media and kind == "org" and not outlet:
                return spk, kind
        return None

    def _named_as(self, noun: str) -> str | None:
        """The body an earlier mention calls `noun`, the mention ending last: "magazine Rolling Stone",
        "the Commons work and pensions committee", "the Electoral Commission … the watchdog" is not
        guessed (no shared noun)."""
        head = self.names.text[:self.sents[self.current].start]
        noun = re.escape(noun)
        named = r"((?:[A-Z][\w&.-]*(?:[’']s)?[ \t]){0,3}[A-Z][\w&.-]*)"
        found = [(m.end(), m.group(1)) for m in re.finditer(rf"\b{noun}[ \t]+{named}", head)]  # "magazine X"
        found += [(m.end(), m.group(1) + (m.group(2) + " " + noun if m.group(2) else "")) for m in re.finditer(
            rf"{named}((?:[ \t]+(?!(?:{_GLUE})\b)[a-z]+){{0,4}})[ \t]+{noun}\b", head)]  # "X committee"
        for _, name in sorted(found, reverse=True):
            name = re.sub(r"[’']s$", "", name.strip())
            if not re.search(r"\b(?:[A-Z]\.){2,}$", name):
                name = name.rstrip(".")
            first, last = name.split()[0], name.split()[-1]
            if first.lower() in _STOP_CAPS or first.lower() in _LEADING_DETS or _nationality(first) or \
                    last.lower() in _PLACE_HEADS or _nationality(last):
                continue
            return name
        return None

    def _continued(self, i: int, s: _Sent) -> tuple[str | None, bool]:
        """Who speaks in an unattributed quotation: the rest of its paragraph, or the paragraph before."""
        if s.masked.rstrip(" .").endswith(_MASK) and not s.text.rstrip(" .").endswith(("”", '"')):
            for t in self.sents[i + 1:]:  # the quotation goes on: “A. B,” she told CNN.
                if t.para != s.para:
                    break
                attr = next((a for c in t.clauses for a in c.attrs if a.speaker), None)
                if attr and not attr.quote_adjacent:
                    break  # “…. In our view ….” Lint is not the only bidder, the Herald reported: not the quote's
                if attr:
                    self._resolve_attr(attr)
                    if attr.speaker:
                        return attr.speaker, attr.anonymous
                if not t.masked.startswith(_MASK) or t.text.rstrip(" .").endswith(("”", '"')):
                    break  # the quotation closed with no attribution of its own
        for t in reversed(self.sents[self.para_first[s.para]:i]):
            if t.speaker:
                return t.speaker, t.anonymous
        first = self.sents[self.para_first[s.para]]
        if first.masked.lstrip()[:1] in (_MASK, "“", '"'):  # a paragraph that is only a quotation
            earlier = [p for p in self.para_speaker if p < s.para]
            if earlier:
                return self.para_speaker[max(earlier)]
        return None, False
