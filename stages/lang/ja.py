"""Japanese: for now it borrows Chinese knowledge, as lexnorm has always treated it.

Han numerals and scale words, counters, structure words, sentence ends and the Chinese
topic patterns are Chinese's (Japanese statutes write 第十三条 and 三十日 alike). Text with
Han characters is cut by jieba, kana-only text into word tokens; there is no dictionary
gloss (CC-CEDICT is a Chinese dictionary). Japanese patterns of its own go here.
"""

from stages.lang import borrowing, zh

# Its own script: text with kana is Japanese (Han text without kana stays Chinese's).
LANGUAGE = borrowing(
    zh.LANGUAGE, "ja", "Japanese", word_segmentation="jieba-for-han", dictionary_gloss=False, script="kana",
    script_default=True,
)  # fmt: skip
