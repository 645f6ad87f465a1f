"""Japanese: it borrows Chinese knowledge where it has nothing of its own.

Han numerals and scale words, counters, structure words and sentence ends are Chinese's
(Japanese statutes write 第十三条 and 三十日 alike; 第二節 and 附則 are the Traditional
variants Chinese knows). Its own: the mark of an inserted number, の (第百五条の二の二 is
inserted after 第百五条の二, 第三章の二 after 第三章), 別表 as a schedule, and its topic
patterns (`patterns_ja` in stages/data/topics.json). Text with Han characters is cut by
jieba, kana-only text into word tokens; there is no dictionary gloss (CC-CEDICT is a
Chinese dictionary).
"""

from stages.lang import borrowing, zh

# Its own script: text with kana is Japanese (Han text without kana stays Chinese's).
LANGUAGE = borrowing(
    zh.LANGUAGE, "ja", "Japanese", word_segmentation="jieba-for-han", dictionary_gloss=False, script="kana",
    script_default=True, insertion_marks="の", range_words={"から": "まで", "及び": ""}, attachment_words={**zh.LANGUAGE.attachment_words, "別表": "sch"},
)  # fmt: skip
