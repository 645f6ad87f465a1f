"""English: word tokens, number words, months, scale words, how English cites divisions,
the words that head them and attachments, the words that make a number a reference.

English is also the language every other one is translated into and the one the
alignment stage compares against (`stages.translate.TARGET`).
"""

from stages.lang import Language

_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth".split()
# The Latin adverbs that number an insertion after its base (`5bis`, `3ter`): Swiss, French,
# Italian and Spanish laws, and their English translations, write them.
LATIN_INSERTIONS = ("bis", "ter", "quater", "quinquies", "sexies", "septies", "octies", "novies", "decies")
_MONTHS = "january february march april may june july august september october november december".split()
# Words that make a following number a reference, not a label ("see Section 3.01"): the
# clause parser reads no misplaced label after them.
REFERENCE_WORDS = frozenset(
    """section sections clause clauses article articles paragraph paragraphs subsection
    subsections subclause subclauses subparagraph subparagraphs subregulation subregulations
    principle principles item items schedule exhibit annex appendix part chapter point points see
    under in per of to and or through from by with version v no no. number rule rules § §§""".split()
)

LANGUAGE = Language(
    code="en",
    name="English",
    number_words={**{w: n for n, w in enumerate(_CARDINALS)}, "thirty": 30, "forty": 40, "fifty": 50,
                  "sixty": 60, "ninety": 90, "hundred": 100},  # fmt: skip
    ordinal_words={w: n for n, w in enumerate(_ORDINALS, 1)},
    month_names={m: n for n, m in enumerate(_MONTHS, 1)},
    # "thirty (30) business days", "five percent": a number word that counts something
    # (not "one of the following").
    counted_nouns=(r"days?", r"weeks?", r"months?", r"years?", r"hours?", r"times", r"persons?", r"percent",
                   r"per cent", r"copies", r"parties"),  # fmt: skip
    ordinal_nouns=(r"paragraph", r"article", r"item", r"clause", r"section", r"chapter", r"sub-?paragraph"),
    scale_words={"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000},
    # A capital for the divisions that head a text, lower case inside a citation
    # ("Article 5, paragraph 2").
    structure_words={
        "book": "Book", "part": "Part", "chapter": "Chapter", "section": "Section", "article": "Article",
        "division": "Division", "subdivision": "Subdivision",
        "paragraph": "paragraph", "item": "item", "schedule": "Schedule", "annex": "Annex", "exhibit": "Exhibit",
    },  # fmt: skip
    # `Article 5`, `ARTICLE V`, `ARTICLE FIVE` (a number word), `Art. 44a`, `Chapter 2`, `Title II`;
    # statutes of the common-law tradition group their sections in `Part IIIA`, `Division 2`,
    # `Subdivision A` (R11).
    division_words={
        "book": "book", "part": "part", "title": "title", "chapter": "chapter", "section": "section",
        "article": "article", "art.": "article", "division": "division", "subdivision": "subdivision",
    },  # fmt: skip
    attachment_words={"exhibit": "exh", "schedule": "sch", "annex": "annex", "appendix": "app", "attachment": "att"},
    # R13: the back matter of a consolidated statute. Justice Laws (Canada) ends an Act with blocks
    # its XML makes schedules, ids `NifProvs` and `RelatedProvs` (the anchors of its pages too); an
    # Australian compilation ends with `Endnotes` (abbreviation key, legislation and amendment history).
    back_matter_blocks={"AMENDMENTS NOT IN FORCE": "schNifProvs", "RELATED PROVISIONS": "schRelatedProvs"},
    endnote_headings=("endnotes",),
    # R12: an act's recitals run from `Whereas:` to its enacting formula; a contract's from
    # `RECITALS` / `BACKGROUND` / its first `WHEREAS` to `NOW, THEREFORE` or `agree as follows`.
    recital_openers=("whereas", "recitals", "background", "witnesseth"),
    recital_words=("whereas", "and whereas"),
    enacting_formulas=(
        "have adopted this regulation", "have adopted this directive", "have adopted this decision",
        "has adopted this regulation", "has adopted this directive", "has adopted this decision",
        "be it therefore enacted", "be it enacted", "now, therefore", "now therefore", "agree as follows",
        "agreed as follows", "agrees as follows",
    ),  # fmt: skip
    # Inserted numbers of a law translated from one of the Latin tradition (`5bis`, `3ter`).
    insertion_words=LATIN_INSERTIONS,
    sentence_ends=".!?",
    sentence_closers="\"'”’)]",
    abbreviations=frozenset(
        """co corp inc ltd llc llp plc pte pty gmbh ag bv nv sa sarl srl kk no nos nr art arts sec secs s ss para paras
        cl cls ch chap sch p pp vol fig e.g i.e eg ie etc cf vs v viz al ibid id op cit approx dept est govt
        mr mrs ms dr prof st jr sr u.s u.k u.n e.u jan feb mar apr jun jul aug sep sept oct nov dec ref tel fax attn
        ave blvd rd""".split()
    ),
    reference_words=REFERENCE_WORDS,
    supplementary_headings=("Supplementary Provisions", "Final Provisions"),
)
