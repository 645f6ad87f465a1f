"""German: the words of a German or Swiss statute's structure.

Articles are `Artikel 5` or `Art. 5` (Swiss law, with insertions `Art. 44a` and paragraphs
`5bis`); chapters and sections print their number first (`1. Kapitel:`, `2. Abschnitt:`) or
after the word (`KAPITEL III`, `Abschnitt 2` in EU acts). Everything else is the default
(word tokens, English topic patterns, digits only).
"""

from stages.lang import Language
from stages.lang.en import LATIN_INSERTIONS

LANGUAGE = Language(
    code="de",
    name="German",
    division_words={
        "buch": "book", "teil": "part", "titel": "title", "kapitel": "chapter", "abschnitt": "section",
        "artikel": "article", "art.": "article",
    },  # fmt: skip
    number_first_words=("buch", "teil", "titel", "kapitel", "abschnitt"),
    attachment_words={"anhang": "annex", "anlage": "annex"},
    insertion_words=LATIN_INSERTIONS,
    # R12: an EU act's recitals, `in Erwägung nachstehender Gründe:` ... `HABEN FOLGENDE VERORDNUNG ERLASSEN`.
    recital_openers=("in erwägung nachstehender gründe", "in erwägung folgender gründe", "präambel", "vorbemerkung"),
    enacting_formulas=(
        "haben folgende verordnung erlassen", "haben folgende richtlinie erlassen",
        "haben folgenden beschluss erlassen", "hat folgende verordnung erlassen", "hat folgende richtlinie erlassen",
        "hat folgenden beschluss erlassen", "wird folgendes vereinbart", "vereinbaren die parteien folgendes",
    ),  # fmt: skip
    supplementary_headings=("Schlussbestimmungen",),
)
