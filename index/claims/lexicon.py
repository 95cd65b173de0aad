"""Lexicons and cue patterns: the data the framing rules read, grouped by the status they carry.

Sources (written out here, no runtime dependency):
- reporting/quote verbs: the Gender Gap Tracker's quote verbs (github.com/sfu-discourse-lab/GenderGapTracker,
  MIT licence) and textacy's REPORTING_VERBS (textacy.extract.triples, Apache-2.0 licence), grouped by the
  framing they carry;
- hedges: the hedge adverbs and "appears to / is believed to" phrases follow the categories of the hedge
  list wooorm/hedges (MIT) and write-good's weasel words (btford/write-good, MIT), restricted to the ones
  that distance a news claim; no list is copied whole;
- denials, refusals, legal denials, unnamed-source heads: written for this project from CLAIM-STATUS.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.models import Status


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
    call brand promise vow pledge show"""), "point out", "point to")
_JUDGING = (*_words("condemn denounce criticise criticize castigate decry deplore lament applaud commend urge"),
            "call for")
_VERB_STATUS = {
    **dict.fromkeys(_words("confirm acknowledge verify admit concede concur corroborate"), Status.CONFIRMED),
    **dict.fromkeys(_words("deny refute rebut reject dismiss dispute repudiate disavow"), Status.DENIED),
    **dict.fromkeys(_words("claim allege suggest purport speculate accuse charge"), Status.UNVERIFIED),
    **dict.fromkeys(_words("predict forecast estimate expect anticipate hope"), Status.FORECAST),
    **dict.fromkeys(_words("believe think feel argue doubt"), Status.OPINION),
    # Verbs of judgement and of appeal (condemn, praise, urge, call for: GenderGapTracker's quote verbs hold
    # several of them): what the speaker thinks ought to be, not a checkable fact.
    **dict.fromkeys(_JUDGING, Status.OPINION),
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
    documents filings records family families kremlin-watchers think-tank watchdog charity regulator alliance
    cartel magazine paper forecasters citizens locals commentators pundits research analysis images
    opposition campaigners protesters demonstrators ministers unions site website publication tabloid
    broadsheet channel station board""")
_PERSON_ROLES = _words("""official source diplomat aide insider member officer adviser advisor staffer
    employee engineer judge spokesperson spokesman spokeswoman lawyer attorney expert analyst economist
    executive manager witness prosecutor scientist researcher""")
_ANON_HEADS = _words("official officials source sources diplomat diplomats aide aides insider insiders "
                     "person "
                     "people member officer adviser advisor staffer employee")
# Heads that name nobody in particular: a claim from "officials", "analysts" or "a senior State Department
# official" is an unnamed source's, however precisely the body it comes from is named.
_ANON_GROUPS = _words("""official officials source sources diplomat diplomats aide aides insider insiders
    analysts experts observers forecasters residents witnesses critics people persons economists researchers
    scientists staffers employees members officers advisers advisors insiders kremlin-watchers citizens
    locals commentators pundits onlookers bystanders spokesman spokeswoman spokesperson""")
_ANON_DETS = _words("a an one two three several multiple some the this another")
_ORG_WORDS = _words("""ministry agency service department office council committee party army forces force
    command bank fund institute university company corp inc group news times post journal press reuters
    kremlin pentagon house government court commission organization organisation union association network
    media foundation center centre centers centres board police guard administration congress senate
    parliament federation embassy authority laboratory lab tass ratings power motors electric dynamics mills
    trust airlines""")
_ORG_DESCRIPTORS = _words("""broadcaster broadcasters agency newspaper outlet network company firm group
    channel website daily magazine ministry organization party union council service tabloid station
    automaker retailer think-tank watchdog cartel paper alliance body regulator charity commission committee
    club bank insurer carrier airline manufacturer site website publication broadsheet""")
# Last words that make a capitalised name a place or a body, not a person ("United States", "Royal Navy").
_PLACE_HEADS = _words("""states kingdom nations republic union emirates islands island city county province
    region coast valley navy kremlin""")
_TITLES = _words("""president minister secretary spokesperson spokesman spokeswoman chancellor senator sen
    rep representative gov governor general gen chief director ambassador mayor prime premier leader
    commander adviser advisor officer ceo chairman chairwoman chair judge justice dr mr mrs ms professor
    prof king queen prince princess pope attorney speaker deputy vice colonel col lt maj capt captain
    admiral sgt sergeant commissioner envoy lieutenant marshal sheriff chairperson head founder coordinator
    fellow defense defence foreign interior state us u.s uk u.k un eu nato former acting then-president
    president-elect vp-elect white national security council republican democratic democrat independent
    candidate first lady coach captain skipper striker midfielder defender goalkeeper boss""")
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
    photos nevertheless nonetheless furthermore additionally ultimately likewise similarly thus hence
    january february march april june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday soon""")  # capitalised non-names
_CONNECTORS = _words("of for the and & de von van der al bin on da del to")  # inside names
_POST_MODIFIERS = _words("familiar close briefed with at in from of for on operating based who")
_AGENT_NOUN = re.compile(r"[a-z]{3,}(?:er|or|ist|ian|ant|ent)s?$")  # "appraiser", "prosecutor", "president"

# Content cues, each (status, anchor words, pattern); a pattern runs only on a clause holding one of
# its anchors ("x*" = a prefix, "*x" = a suffix), which keeps the whole analysis fast.
_W = r"[\w’'-]+"
_HEDGES = ("purportedly", "allegedly", "reportedly", "supposedly", "reputedly", "ostensibly", "apparently",
           "seemingly", "unconfirmed", Status.UNVERIFIED, "unverifiable")
_NEG_VERIFY = (
    r"\b(?:could not|couldn[’']t|cannot|can[’']t|can not|has not|have not|had not|hasn[’']t|haven[’']t|was "
    r"not|"
    r"were not|wasn[’']t|weren[’']t|is not|are not|not yet|not|unable to|(?:has|have|had) not been able to|"
    r"(?:was|were) unable to|not able to)\s+(?:be\s+|been\s+)?(?:\w+ly\s+)?"
    r"(?:verif(?:y|ied)|confirm(?:ed)?|corroborated?|authenticated?)\b"
)
_REJECT_PATTERN = (
    r"\b(?:reject|dismiss|refut|rebut|disput|contest|derid|brush|shrug|shrugg|rubbish|ridicul|scoff|laugh|wav)\w*\s+"
    r"(?:off\s+|aside\s+|away\s+|at\s+)?(?:" + _W + r"\s+){0,4}?"
    r"(?:claims?|allegations?|reports?|accusations?|charges?|criticism|suggestions?|assertions?|notion|idea|"
    r"characteri[sz]ation|"
    r"findings?|as\s+(?:a\s+)?(?:false|baseless|fake|nonsense|untrue|propaganda|lies?|fabricat\w+|absurd|"
    r"ridiculous|groundless|unfounded|hoax))\b"
)
_CUE_TABLE: list[tuple[str, str, str]] = [
    (Status.DENIED, "evidence",
     r"(?<!offered )(?<!provided )(?<!presented )(?<!produced )(?<!gave )(?<!cited )(?<!shown )(?<!showed )"
     r"\b(?:no|(?:not|n[’']t|never) (?:\w+ ){0,3}?any) (?:[a-z]+ ){0,2}?evidence\b"),
    # Denials the verb lexicon misses: legal denials, witnesses who saw nothing, "we see no indications".
    (Status.DENIED, "pleaded pleads pleading innocence none indications indication signs sign",
     r"\bplead(?:ed|s|ing)?\s+not\s+guilty\b|\bpled\s+not\s+guilty\b|"
     r"\b(?:protest|maintain|insist|assert)\w*\s+(?:on\s+)?(?:his|her|their|its|our|my)\s+innocence\b|"
     r"\bnone\s+of\s+(?:our|the|their|his|her)\s+(?:\w+\s+){0,2}(?:saw|witnessed|noticed|heard)\b|"
     r"\b(?:see|saw|seen|found|find|have|has|had)\s+no\s+(?:\w+\s+)?(?:indications?|signs?)\s+(?:of|that)\b"),
    (Status.DENIED, "true untrue false falsely baseless unfounded groundless fake fabricat* debunked hoax "
               "misleading",
     r"\bnot true\b|\buntrue\b|\bfalse(?:ly)? (?:claims?|statements?|assertions?|information|stor(?:y|ies)|"
     r"reports?|narrative)|\bfalse[”\"’]?\s+(?:claims?|statements?|assertions?|information|reports?)|"
     r"\bfalsely\b|\bbaseless\b|\bunfounded\b|\bgroundless\b|\bfake(?: news)?\b|"
     r"\bfabricat(?:ed|ion|ions)\b|\bdebunked\b|\ba hoax\b|\bmisleading\b"),
    (Status.DENIED, "reject* dismiss* refut* rebut* disput* contest* derid* brush* shrug* rubbish* ridicul* "
                    "scoff* laugh* wav*", _REJECT_PATTERN),
    # Denials in other words: "did nothing wrong", "there is no truth in", "never happened", "a denial",
    # "the report was false"; written for this project from CLAIM-STATUS.md's examples.
    (Status.DENIED, "wrong wrongdoing truth basis foundation happened happen case denial denials false incorrect "
                    "inaccurate involvement part role such isn’t isn't wasn’t wasn't aren’t aren't",
     r"\b(?:did|done|does|do|doing)\s+nothing\s+wrong\b|\bno\s+wrongdoing\b|"
     r"\bno\s+(?:\w+\s+)?truth\s+(?:in|to|whatsoever|at\s+all)\b|\b(?:no|without)\s+(?:\w+\s+)?(?:basis|foundation)\s+"
     r"(?:in|for|whatsoever|at\s+all)\b|\bwithout\s+(?:any\s+)?foundation\b|"
     r"\bnever\s+happened\b|\b(?:did|does|do)\s+not\s+happen\b|\b(?:didn|doesn)[’']t\s+happen\b|\b(?:is|was)\s+(?:simply\s+)?not\s+the\s+case\b|"
     r"\b(?:a|an|its|his|her|their|the)\s+(?:\w+\s+)?denials?\b(?!-)|"
     r"\b(?:is|was|are|were|be|been)\s+(?:completely\s+|totally\s+|entirely\s+|simply\s+)?(?:false|incorrect|"
     r"inaccurate)\b|\b(?:isn|wasn|aren|weren)[’']t\s+(?:\w+\s+)?true\b|"
     r"\b(?:had|played)\s+no\s+(?:\w+\s+)?(?:part|role|involvement)\s+in\b|"
     r"\bthere\s+(?:is|was|were|are)\s+no\s+such\b"),
    (Status.UNVERIFIED, "verif* confirm* corroborat* authenticat*", _NEG_VERIFY),
    # Refusals and non-confirmation: "declined to confirm", "no official confirmation".
    (Status.UNVERIFIED, "declined declining refused refusing declines refuses confirmation confirmations yet",
     r"\b(?:declin|refus)(?:ed|es|e|ing)\s+to\s+(?:\w+ly\s+)?(?:confirm|verify|corroborate|authenticate)\b|"
     r"\b(?:has|have|had|is|are|was|were)\s+yet\s+to\s+(?:\w+ly\s+)?(?:confirm|verify|corroborate)\b|"
     r"\bno\s+(?:\w+\s+)?(?:confirmation|verification|corroboration)\b|"
     r"\bwithout\s+(?:\w+\s+)?(?:confirmation|verification)\b"),
    (Status.UNVERIFIED, " ".join(_HEDGES), r"\b(?:" + "|".join(_HEDGES) + r")\b"),
    (Status.UNVERIFIED, "verify confirm confirmed verified",
     r"\b(?:hard|difficult|impossible) to (?:independently )?(?:verify|confirm)\b|"
     r"\bneither (?:confirmed|verified) nor (?:denied|disavowed)\b"),
    (Status.UNVERIFIED, "alleged purported unsubstantiated rumored rumoured rumor rumors rumour rumours "
                   "speculation "
                   "allegation allegations accusation accusations suspected",
     r"\b(?:alleged|purported|unsubstantiated|rumou?red|rumou?rs?|speculation|allegations?|accusations?)\b|"
     r"\bsuspected (?:of|to)\b|\b(?:a|the) suspected\b"),
    (Status.UNVERIFIED, "accus* indicted charged blamed blames blaming",
     r"\baccus(?:e|es|ed|ing)\b(?:\s+" + _W + r"){1,8}?\s+of\b|\bindicted\b|"
     r"\bblam(?:ed|es|ing)\b(?:\s+" + _W + r"){1,8}?\s+for\b|"
     r"\bcharged\s+(?:" + _W + r"\s+){0,5}?(?:with|for|in connection)\b"),
    (Status.UNVERIFIED, "evidence",
     r"\bwithout (?:providing |offering |any )?evidence\b|"
     r"\b(?:offered|provided|presented|gave|cited|shown|showed) no evidence\b"),
    (Status.UNVERIFIED, "believed thought said reported rumored rumoured understood suspected alleged theorized "
                   "theorised presumed assumed",
     r"\b(?:(?:is|are|was|were|been|being) (?:widely |generally |also )?|(?<=[,–—(] ))(?:believed|thought|"
     r"said|"
     r"reported|rumou?red|understood|suspected|alleged|theori[sz]ed|presumed|assumed) to\b"),
    (Status.UNVERIFIED, "understood believed thought said reported alleged claimed rumored rumoured",
     r"\bit (?:is|was|has been|had been) (?:widely )?(?:understood|believed|thought|said|reported|alleged|"
     r"claimed|rumou?red)\b"),
    (Status.UNVERIFIED, "appear appears appeared seem seems seemed",
     r"\b(?:appears?|appeared|seems?|seemed) to\b|\bit (?:appears|seems|seemed|appeared)\b|"
     r"\b(?:appears?|appeared|seems?|seemed) (?:determined|poised|set|ready|likely|unlikely|keen|intent|"
     r"willing|unwilling|certain|close|unaware|reluctant)\b"),
    (Status.UNVERIFIED, "unclear clear unknown", r"\b(?:unclear|not clear|unknown)\b"),
    (Status.UNVERIFIED, "unnamed anonymous source sources familiar close briefed knowledge reports",
     r"\b(?:unnamed|anonymous) (?:\w+ )?(?:sources?|officials?|persons?|people|diplomats?)\b|"
     r"\bsources? (?:said|say|says|told|tell|close to|familiar|briefed|with knowledge)\b|"
     r"\b(?:people|persons?|officials?) (?:familiar with|close to|briefed on|with knowledge of)\b|"
     r"\b(?:according to|citing) (?:[\w+.&’'-]+ ){0,3}?(?:sources|(?:media )?reports)\b(?! (?:in|by|from) (?:the "
     r")?[A-Z])|"
     r"\bmedia reports\b"),
    (Status.UNVERIFIED, "too", r"\btoo \w+(?: \w+){0,5} to be (?:confirmed|verified)\b"),
    (Status.FORECAST, "will shall won’t won't would wouldn’t wouldn't might may could going gonna about *’ll *'ll",
     r"\b(?:will|shall|won[’']t|would|wouldn[’']t|might|may|could|going to|gonna)\b|"
     r"\b(?:is|are|was|were|am|be|been|[’']s|[’']re)\s+(?:just\s+)?about to\b|"
     r"(?<=\w)[’']ll\b"),
    # Possibility, schedules and intentions: "are also possible", "is due to be released", "wants to return".
    (Status.FORECAST, "possible due braced brace bracing hoping",
     r"\b(?:is|are|was|were|be|remain|remains|remained)\s+(?:also\s+|still\s+|now\s+|quite\s+)?possible\b|"
     r"\b(?:is|are|was|were)\s+(?:\w+ly\s+)?due\s+(?:to\s+(?!the\b|a\b|an\b|his\b|her\b|its\b|their\b|"
     r"this\b|that\b|(?-i:[A-Z0-9]))[a-z]+|out|back|in\s+court)\b|"
     r"\b(?:is|are|was|were)\s+braced\s+for\b|\bbracing\s+for\b|\bhoping\s+for\b"),
    (Status.FORECAST, "expect* likely unlikely probably probable probability possibly potentially perhaps plan "
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
     r"promis(?:e|es|ed) to|threaten(?:s|ed)? to|(?:at|the|a|high|low) risks? of)\b"),
    (Status.FORECAST, "without", r"\b(?:can[’']t|cannot|won[’']t|will\s+not)\s+(?:\w+\s+){1,6}?without\b"),
    (Status.FORECAST, "if unless should provided long event condition assuming were had",
     # conditions, also inverted: "… should that be part of the deal", "were the talks to fail"
     r"\b(?:if|unless)\b|\bprovided\s+that\b|\bin\s+the\s+event\s+(?:of|that)\b|"
     r"(?<!for )\bas\s+long\s+as\s+(?![\d$£€]|(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|"
     r"many)\s+(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|miles?|kilomet\w+|met\w+|feet)\b)[a-z]|"
     r"\bon\s+(?:the\s+)?condition\s+that\b|\bassuming\s+(?:that\s+)?(?:the|a|it|they|he|she|we)\b|"
     r"(?:^|(?<=, ))(?-i:Were|were)\s+(?:the|a|an|it|they|he|she|we|(?-i:[A-Z]\w+))\s+(?:\w+\s+){0,3}?to\s+[a-z]+|"
     r"^(?-i:Had)\s+(?:the|a|an|it|they|he|she|we|(?-i:[A-Z]\w+))\s+(?:\w+\s+){0,3}?"
     r"(?:been|[a-z]+ed)\b|(?<=[a-z,] )should (?:the|a|an|it|they|that|this|there|(?-i:[A-Z][\w.]*)) "
     r"(?-i:[a-z]+)"),
    (Status.OPINION, "think believe feel doubt view opinion frankly honest i’d i'd sense denying lie good "
                "miscalculation mistake should shouldn’t shouldn't ought fortunately unfortunately sadly "
                "regrettably thankfully deserve deserves deserved deserving guess reckon suppose suspect imagine "
                "convinced",
     r"\b(?:I|we|We) (?:really |still |do |don[’']t |do not )?(?:think|believe|feel|doubt|guess|reckon|suppose|"
     r"suspect|imagine)\b|\b(?:I[’']m|I am|we[’']re|we are) (?:absolutely |fully |totally )?convinced\b|"
     r"\bin (?:my|our) (?:view|opinion)\b|\b(?:quite )?frankly\b|\bto be honest\b|\bI[’']d say\b|"
     r"\bmy sense is\b|\bno denying\b|\ba lie\b|\bnot a good\b|\bmiscalculation\b|\bmistake\b|"
     r"\bshould(?:n[’']t)?\b|\bought to\b|\bdeserv(?:e|es|ed|ing)\s+|"
     r"\b(?:un)?fortunately\b|\bsadly\b|\bregrettably\b|\bthankfully\b"),
    # A judgement named by its noun ("maintained his view that …", "received criticism that …") and the
    # passive of perception ("is widely seen as", "can be viewed as"; write-good's weasel words, MIT, list
    # "is considered" and "is regarded" among them): somebody's assessment, not a checked fact.
    (Status.OPINION, "view belief opinion conviction criticism criticisms impression assessment verdict "
                     "judgment judgement seen viewed regarded considered perceived hailed touted",
     r"\b(?:his|her|their|its|our|my|your|the|[\w-]+[’']s)\s+(?:[\w-]+\s+)?(?:view|belief|opinion|conviction|"
     r"impression|assessment|verdict|judge?ment)\s+that\b|\bcriticisms?\s+that\b|"
     r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+ly\s+|also\s+|now\s+|still\s+){0,2}"
     r"(?:seen|viewed|regarded|considered|perceived|hailed|touted)\s+(?:by\s+(?:\w+\s+){1,4}?)?as\b"),
    # Judgement and appeal verbs whose forms double as nouns ("praise", "a blast", "demand for oil"): past and
    # progressive forms only, and "welcomed" only of a decision or a move, not of visitors.
    # The progressive forms of the judgement verbs above ("…, calling for", "urging") are cues here.
    (Status.OPINION, "praised praising hailed hailing slammed slamming blasted lambasted lambasting demanded "
                     "demanding welcomed welcoming calling urging condemning denouncing criticising criticizing "
                     "castigating decrying deploring lamenting applauding commending",
     r"\b(?:calling\s+for|urging|condemning|denouncing|criticis(?:ing)|criticizing|castigating|decrying|deploring|"
     r"lamenting|applauding|commending)\b|"
     r"\b(?:prais(?:ed|ing)|hail(?:ed|ing)|slamm(?:ed|ing)|(?<!sand )blasted|lambast(?:ed|ing)|demand(?:ed|ing))\s+"
     r"(?!by\b)(?:(?:the|a|an|his|her|their|its|our|him|them|it|this|that)\b|(?-i:[A-Z]))|"
     r"\bwelcom(?:ed|ing)\s+(?:the|a|an|this|his|her|their|its)\s+(?:[\w“”\"’'-]+\s+){0,4}?(?:decision|move|news|"
     r"announcement|step|deal|agreement|ruling|verdict|plan|proposal|initiative|progress|commitment|statement|"
     r"resolution|vote|report|findings?|outcome)\b"),
    # A ranking only a judge can make: "one of the best center-backs", "among the greatest players".
    (Status.OPINION, "best greatest finest worst",
     r"\b(?:one of|among) the (?:very )?(?:best|greatest|finest|worst)\b(?!-)"),
    (Status.CONFIRMED, Status.CONFIRMED, r"\b(?:a|an) confirmed (?!cases?\b|deaths?\b|fatalit|infections?\b|"
                               r"dead\b)[a-z]+"),
    (Status.CONFIRMED, "evidence intelligence",
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
    r"forecast|estimated|projected)|"
    r"\bcould(?: not|n[’']t) (?!be\b|have\b)\w+|\bas \w+ as (?:\w+ ){0,2}(?:could|can)\b|"
    r"\bmay (?:well )?have \w+[^.;]{0,80}, but\b", re.IGNORECASE)
_GOING_TO_NOUN = re.compile(r"(?i:going) to (?:(?i:the|a|an|my|his|her|their|our|school|church|work|court|war)\b|"
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
    r"^claim(?:s|ed|ing)? (?:(?:the|a|an|its|his|her|their|only|first|second|third|ever|maiden|famous|record|"
    r"narrow|[\w-]+th|\d+\w*)\s+){0,4}(?:lives?|life|\d|victory|victories|title|seat|crown|win|gold|prize|top|"
    r"championship|medal|lead|point|points|spot|place|trophy|cup|pole|stage|scalp)",
    re.IGNORECASE)
_ANONYMITY = re.compile(
    r"\b(?:on|under) (?:the )?condition of anonymity\b|\b(?:asked|requested) not to be (?:named|"
    r"identified)\b|"
    r"\bnot authori[sz]ed to (?:speak|discuss|comment)\b", re.IGNORECASE)
_ANONYMITY_ANCHORS = _words("anonymity authorized authorised identified named")
# Denials in a party's own words, outside the verb list: what an attributed speaker says they did not do
# ("said he had not broken any rules", "insists she never misled parliament", "says it was not involved",
# "maintains he is innocent"). Read only in an attributed clause: in the outlet's voice "was not involved"
# is a plain fact. Written for this project from CLAIM-STATUS.md's denial examples.
_DENIAL_CONTENT = re.compile(  # the party itself ("he", "we") or its own people ("its staff") deny
    r"\b(?:he|she|it|they|we|I|(?:his|her|its|their|our|my)\s+(?:[a-z]+\s+)?[a-z]+)(?:[’'](?:d|ve|s|re|m))?\s+"
    r"(?:(?:had|has|have|was|were|is|are|am|did|does|do|"
    r"would|could)\s+)?(?:not|never|(?:did|does|do|was|were|is|are|has|have|had|could|would)n[’']t)\s+"
    r"(?:(?:have|has|had|been|be|ever|knowingly|deliberately|intentionally|in any way)\s+)*"
    r"(?:broken|broke|break|breached?|breaching|violated?|violating|lied|lie|lying|misled|mislead|misleading|"
    r"involved|(?:responsible|to blame)\s+for|guilty\s+of|committed|stolen|stole|cheated|harassed|assaulted|"
    r"abused|bribed|colluded|done\s+anything\s+wrong)\b|"
    r"\b(?:he|she|it|they|we|I)(?:[’'](?:s|re|m))?\s+(?:(?:is|was|are|were|am|had been|has been|have been)\s+)?"
    r"(?:completely\s+|entirely\s+|totally\s+)?innocent\b", re.IGNORECASE)
_DENIAL_ANCHORS = _words("not never innocent")  # with "n't" forms, checked by the caller

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
    atrocity travesty farce sham disgrace insult scandal imperative essential pleasing admirable encouraging
    heartening dismal woeful""")
_QUOTED_OPINION = re.compile(
    r"\b(?:very|really|extremely|incredibly|absolutely|totally|truly|deeply|highly|far too|so much|"
    r"plain and simple|like an? \w+|must(?! have)|(?:have|has|need|needs|got) to|"
    r"(?:the|our|their|my|his|her) only (?:option|way|choice|solution|answer|hope)|"
    r"no (?:other )?(?:choice|alternative))\b",
    re.IGNORECASE)
_QUOTED_ANCHORS = _words("very really extremely incredibly absolutely totally truly deeply highly far so "
                         "plain like must have has need needs got only choice alternative")
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
# A promotion or a pointer to more content, not a claim: "Sign up here", "Watch …", "Here's what we know".
_PROMO = re.compile(r"^[(\[]?(?:Sign up|Subscribe|Click|Tap|Watch|Listen|Read more|Read the|Follow|Download|"
                    r"Find (?:out|specific|more)|Here[’']s what|Here is what|Here are (?:the|some|a few|\d+)|"
                    r"Here are \w+ (?:tips|things|ways|facts|questions|takeaways))(?=[\s:.])")
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


# Read with the parse (index.claims.parse).
_MODALS = _words("will would could may might can shall should ’ll 'll won’t won't wouldn’t wouldn't")
_EMBEDDED = _words("relcl acl")  # a clause that describes a noun, not the claim itself
# Nouns whose "that" clause is their content ("a warning that …", "the view that …"), and the dependents
# that show such a clause is complete (a relative clause has a gap where "that" sits).
_CONTENT_NOUNS = _words("""warning warnings view views belief beliefs claim claims fear fears hope hopes
    expectation expectations prediction predictions promise promises pledge threat threats assurance
    assurances suggestion suggestions idea notion possibility prospect risk chance likelihood danger sign
    signs indication indications evidence concern concerns criticism complaint statement message news
    report reports speculation assessment conviction opinion impression argument forecast estimate""")
_COMPLEMENTS = _words("dobj attr acomp prep ccomp xcomp dative oprd agent advcl prt auxpass nsubjpass")
# "fake" describes a thing ("fake passports") unless it qualifies a claim ("fake news", "fake reports").
_FAKE_CLAIMS = _words("news claim claims report reports story stories narrative information video videos images "
                      "footage")
# Predicate adjectives that state a fact rather than a judgement inside a quotation.
_FACTUAL_ADJ = _words("""available open closed ready able unable aware due present absent dead alive
    responsible eligible free full empty sure certain likely unlikely possible impossible new old
    alone safe injured missing married single pregnant unclear clear known unknown
    separate similar different same ill sick public private""")
_BE = _words("is are was were be been being ’s 's am seems seem seemed looks look looked feels feel felt remains "
             "remain remained")
_FORECAST_NOUNS = _words("estimate estimates forecast forecasts prediction predictions projection projections "
                         "expectation expectations")
