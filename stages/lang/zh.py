"""Chinese: jieba segmentation, Han numerals, 万/亿 scales, 第…条 structure words, in
Simplified and Traditional characters.

What the stages know of Chinese text. The clause parser reads its labels (第十三条) with
these numeral characters and heading units, so a numeral the parser reads as a label is
one the numbers module reads in running text. Traditional text (Taiwan, Hong Kong) writes
the same structure words in other characters (第一條, 第二節, 附則): they are `variants` of
the Simplified ones, so one table of heading units reads both. An article inserted by an
amendment is numbered after its base with 之 (第十七条之一, 第 三 章之一); Taiwanese law
also prints it with a hyphen (第 1-1 條), which the parser reads with digits. This module
imports no stage: the parser and the numbers module import it.
"""

from stages.lang import Language

# The characters of a Han numeral: digits and the units below 万 (万 and 亿 are scale words).
HAN_DIGITS = "零〇一二两三四五六七八九十百千"

LANGUAGE = Language(
    code="zh",
    name="Chinese",
    word_segmentation="jieba",
    topic_patterns="zh",
    dictionary_gloss=True,
    numeral_chars=HAN_DIGITS,
    ordinal_prefix="第",
    counters="条款项章节日月年次倍人周元",
    general_measures="个",
    ordinal_roles="方人者",
    # 千 and 百 are scale words after digits too (5千元), as 万 and 亿 are (120万, 3亿).
    scale_words={"百": 100, "千": 1_000, "万": 10_000, "亿": 100_000_000},
    structure_words={
        "编": "book", "分编": "part", "章": "chapter", "节": "section", "条": "article",
        # Hong Kong ordinances: 第1部 (Part 1), 第2分部 (Division 2) (R11)
        "部": "part", "分部": "division",
        "款": "paragraph", "项": "item", "目": "item",
    },  # fmt: skip
    # 第三编 .. 第十三条 head divisions; 款, 项 and 目 only cite one inside an article.
    heading_units=("编", "分编", "部", "分部", "章", "节", "条"),
    insertion_marks="之",
    # 第五条至第八条 (删去): a range of articles named by one stub.
    range_words={"至": ""},
    attachment_words={"附件": "annex", "附录": "app", "附表": "sch"},
    variants={"條": "条", "節": "节", "編": "编", "項": "项", "則": "则", "錄": "录"},
    # Half-width ! ? ; end a sentence in Chinese text too (mixed-width input).
    sentence_ends="。！？；!?;",
    sentence_closers="”’」』）)】",
    # Han text without kana or Hangul is Chinese.
    script="han",
    script_default=True,
    supplementary_headings=("附则",),
)
