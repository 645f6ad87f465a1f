"""Italian: the words of an Italian statute's structure (`Articolo 5`, `Art. 5-bis`, `Capo III`,
`Titolo II`, `Sezione 2`, `Allegato A`). Everything else is the default."""

from stages.lang import Language
from stages.lang.en import LATIN_INSERTIONS

LANGUAGE = Language(
    code="it",
    name="Italian",
    division_words={
        "libro": "book", "parte": "part", "titolo": "title", "capo": "chapter", "capitolo": "chapter",
        "sezione": "section", "articolo": "article", "art.": "article",
    },  # fmt: skip
    attachment_words={"allegato": "annex"},
    insertion_words=LATIN_INSERTIONS,
    supplementary_headings=("Disposizioni finali",),
)
