"""Quality flags for machine translation output, recorded in a clause's `anomalies`.

- translation_truncated: the output reached the decoding length limit;
- translation_loop: the output repeats a word or phrase three times or more in a row;
- translation_numbers: numbers, amounts or dates in the source are missing from the output
  (1,200,000 and 120万 and 1.2 million are the same number: every known language's
  scale words, `stages.lang.numbers`);
- translation_empty: a source sentence with words produced no output.
"""

from __future__ import annotations

import re
import unicodedata

from stages.lang import numbers

_NUMBER = re.compile(numbers.DIGITS)


def numbers_in(text: str) -> set[float]:
    """Numbers in the text, with their written scale applied (120万 -> 1200000)."""
    text = unicodedata.normalize("NFKC", text)
    found = {float(m.group().replace(",", "")) for m in _NUMBER.finditer(text)}
    for digits, value in numbers.scaled(text):
        found.discard(digits)
        found.add(float(value))
    return found


def missing_numbers(source: str, output: str) -> list[str]:
    src = numbers_in(source)
    out = numbers_in(output)
    return [f"{n:g}" for n in sorted(src) if n not in out]


def repeated_phrase(words: list[str], times: int = 3, longest: int = 6) -> str | None:
    """A phrase of 1..`longest` words repeated `times` times in a row, if any."""
    for n in range(1, longest + 1):
        for i in range(len(words) - n * times + 1):
            phrase = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == phrase for k in range(1, times)):
                return " ".join(phrase)
    return None


def sentence_flags(index: int, source: str, output: str, output_tokens: int, limit: int) -> list[str]:
    """Anomalies for one translated sentence (`index` counts from 1 within the clause)."""
    flags = []
    if not output.strip():
        if re.search(r"\w", source):
            flags.append(f"translation_empty: sentence {index} produced no text")
        return flags
    if output_tokens >= limit:
        flags.append(f"translation_truncated: sentence {index} stopped at the {limit}-token decoding limit")
    loop = repeated_phrase(output.split())
    if loop:
        flags.append(f"translation_loop: sentence {index} repeats {loop[:40]!r}")
    missing = missing_numbers(source, output)
    if missing:
        flags.append(f"translation_numbers: sentence {index} lacks {', '.join(missing[:5])} from the source")
    return flags
