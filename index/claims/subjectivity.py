"""Evaluative adjectives: words that judge what they describe, for quoted assessments.

Derived from the English subjectivity lexicon of Pattern (Tom De Smedt and Walter Daelemans,
`en-sentiment.xml`, licence PDDL: public domain; the same file ships in TextBlob, MIT, as
textblob/en/en-sentiment.xml): every adjective whose mean subjectivity over its senses is at least 0.75
and whose mean absolute polarity is at least 0.35, less the ones that report a fact or a feeling in news
copy ("confirmed", "fake", "guilty", "latest", "dangerous", "disappointed", …; feelings are read by the
parse as predicates instead). Written out here, so there is no runtime dependency.

Read only inside quotations (somebody's assessment) and in opinion pieces, as an adjective or as the
adverb made from one ("exceptionally", "brilliantly"), by index.claims.parse.
"""

from __future__ import annotations

from index.claims.lexicon import _words

SUBJECTIVE = _words("""
    abhorrent absurd abundant acute addled adept adorable adventurous affable affluent aghast agile airheaded
    alas alleviated amateurish amazing amusing annoying appalled appalling applaudable apposite appreciative apt
    arduous artificial ascetic assumptive astonishing astounding astute atrocious attention-getting attentive
    attractive authentic awesome awful awkward barbarian beautiful beloved bewitching bland bleak bloodthirsty
    boring brainsick brave breathtaking bright brilliant brutal cacophonous candid captivating careless casual
    challenging charismatic charitable charming cheerful cheery cheesy chilling civilized claustrophobic clever
    comfortable comical complicated confident consummate contestable contrived controversial convincing corrupt
    corruptible courteous cozy crafty crazy creative creepy cruddy crude cruel crushing cushy cute cynical
    dainty dazzling deadpan debauched defenseless deft delicious delightful deluxe deplorable depressing
    deserving devastating didactic difficult dim-witted dirty disastrous discourteous disgusting disturbing
    doubtful dowdy dreadful easy eerie effective egoistic elaborate elegant enormous enthusiastic erotic evil
    exaggerated excellent exceptional exhilarating exotic expressive exquisite exuberant fabled fabulous faint
    fair fantastic far-out fascinating faultless fearful feeble felicitous filthy fine-looking flawless flippant
    forcible frightening full-fledged gawky godforsaken goody-goody goofy gorgeous gory grand grandiloquent
    gratuitous great greatest grievous grim gripping grotesque grudging gruesome handsome handy haphazard
    hapless heroic hilarious honest honest-to-god horrible horrific horrifying huge humorous hysterical ideal
    idiot idiotic imbecile impassive impeccable important impossible impressive inapposite inauspicious
    inconvenient incorruptible incredible indispensable inexpedient inexplicable infuriating ingenious inhumane
    innovative insane insecure inspirational inspiring insulting intelligent inventive irritating justified kind
    lame laughable lenient licentious light-hearted lively lovely loving mad magical magnificent maladroit
    malevolent mannerly marvelous masterful meager meaningless measly mediocre memorable menacing merciless
    mighty mind-boggling miserable moron motley mouth-watering nasty needless nerve-racking nice noble nostalgic
    obedient optimum outrageous outstanding over-the-top overwhelming painful pathetic perfect pivotal pleasant
    pleonastic poetic precious pretty priceless prolix proud psychotic questionable rancorous raunchy
    redoubtable refreshing remarkable repellent reputable resourceful rewarding ridiculous riveting ruthless
    satisfying scarey scary scathing selfish sexy shocking sickening silly sinister skittish sloppy solicitous
    sophisticated spectacular spirited splendid spontaneous steadfast stereotypical striking stunning stupid
    stupidity stylish subnormal suitable superb superfine superior supportive sympathetic tasteless tedious
    terrible terrific terrifying tidy tiresome tough tragic trendy twisted ugly unappetizing unashamed
    unbefitting unchaste uncivil uncomfortable undignified unexcelled unfair unfaithful unfocused unforgettable
    unfortunate unfruitful unhappy unimportant uninspired unintelligent unnecessary unpleasant unpropitious
    unrealistic vicious vulgar wacky weird well-advised wise witty wonderful worst worthless wrong
""")


def judges(word: str, tag: str) -> bool:
    """Whether a token (lower-cased text, Penn tag) is an evaluative adjective or adverb of one."""
    if tag.startswith("JJ"):
        return word in SUBJECTIVE
    if tag == "RB" and word.endswith("ly") and len(word) > 5:
        stem = word[:-2]
        return stem in SUBJECTIVE or stem[:-1] + "y" in SUBJECTIVE or stem + "le" in SUBJECTIVE or \
            (stem.endswith("al") and stem[:-2] in SUBJECTIVE)
    return False
