"""Chinese: jieba segmentation, Han numerals, 万/亿 scales, 第…条 structure words.

What the stages know of Chinese text. The numeral characters are the clause parser's
(`stages.numbering.HAN_DIGITS`), so a numeral the parser reads as a label is one the
numbers module reads in running text.
"""

from stages.lang import Language
from stages.numbering import HAN_DIGITS

LANGUAGE = Language(
    code="zh",
    name="Chinese",
    word_segmentation="jieba",
    topic_patterns="zh",
    dictionary_gloss=True,
    numeral_chars=HAN_DIGITS,
    ordinal_prefix="第",
    counters="条款项章节日月年个次倍人周元",
    # 千 and 百 are scale words after digits too (5千元), as 万 and 亿 are (120万, 3亿).
    scale_words={"百": 100, "千": 1_000, "万": 10_000, "亿": 100_000_000},
    structure_words={
        "编": "book", "分编": "part", "章": "chapter", "节": "section", "条": "article",
        "款": "paragraph", "项": "item", "目": "item",
    },  # fmt: skip
    # Half-width ! ? ; end a sentence in Chinese text too (mixed-width input).
    sentence_ends="。！？；!?;",
    sentence_closers="”’」』）)】",
)
