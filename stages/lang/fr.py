"""French: the words of a French, Swiss or EU act's structure (in French).

`Article premier` / `Article 1er` is article 1; `Art. 44a`, `5bis` are insertions. Everything
else is the default (word tokens, English topic patterns, digits only).
"""

from stages.lang import Language
from stages.lang.en import LATIN_INSERTIONS

LANGUAGE = Language(
    code="fr",
    name="French",
    division_words={
        "livre": "book", "partie": "part", "titre": "title", "chapitre": "chapter", "section": "section",
        "article": "article", "art.": "article",
    },  # fmt: skip
    attachment_words={"annexe": "annex", "appendice": "app"},
    # R13: the French pages of Justice Laws (Canada) name the same back-matter blocks, with the same ids.
    back_matter_blocks={"MODIFICATIONS NON EN VIGUEUR": "schNifProvs", "DISPOSITIONS CONNEXES": "schRelatedProvs"},
    label_numbers={"premier": 1, "première": 1, "1er": 1, "1re": 1},
    insertion_words=LATIN_INSERTIONS,
    # R12: an EU act's recitals, `considérant ce qui suit:` ... `ONT ADOPTÉ LE PRÉSENT RÈGLEMENT`;
    # a contract's `ATTENDU QUE` ... `IL A ÉTÉ CONVENU CE QUI SUIT`.
    recital_openers=("considérant ce qui suit", "préambule", "exposé préalable", "attendu que"),
    recital_words=("attendu que", "considérant que"),
    enacting_formulas=(
        "ont adopté le présent règlement", "ont adopté la présente directive", "ont adopté la présente décision",
        "a adopté le présent règlement", "a adopté la présente directive", "a adopté la présente décision",
        "il a été convenu ce qui suit", "il est convenu ce qui suit",
    ),  # fmt: skip
    supplementary_headings=("Dispositions finales",),
)
