"""Korean: text with Han characters (hanja) is cut by jieba; otherwise word tokens.

Hangul text is Korean. Nothing else yet: its numerals and scale words are Hangul
(120만 원), which no stage reads.
"""

from stages.lang import Language

LANGUAGE = Language(code="ko", name="Korean", word_segmentation="jieba-for-han", script="hangul", script_default=True)
