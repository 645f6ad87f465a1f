"""Spanish: the words of a Spanish or Latin-American statute's structure (`Artículo 5`,
`Capítulo III`, `Título II`, `Libro 1`, `Anexo I`). Everything else is the default."""

from stages.lang import Language
from stages.lang.en import LATIN_INSERTIONS

LANGUAGE = Language(
    code="es",
    name="Spanish",
    division_words={
        "libro": "book", "parte": "part", "título": "title", "capítulo": "chapter", "sección": "section",
        "artículo": "article", "art.": "article",
    },  # fmt: skip
    attachment_words={"anexo": "annex", "apéndice": "app"},
    label_numbers={"primero": 1, "único": 1},
    insertion_words=LATIN_INSERTIONS,
    supplementary_headings=("Disposiciones finales",),
)
