"""One Cyrillic→Latin transliteration and a folded skeleton where spelling variants meet."""

from __future__ import annotations

import re
import unicodedata

# One scheme (close to the passport/ICAO practice most Russians see in their names).
CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
    # Ukrainian and Belarusian letters seen in names of Russian-speaking clients.
    "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u",
}  # fmt: skip
TRANSLIT_TABLE = str.maketrans(CYRILLIC_TO_LATIN)

# Ordered: longer spellings first, so "shch" is folded before "sh" and "ch".
SKELETON_RULES: tuple[tuple[str, str], ...] = (
    ("shch", "s"), ("sch", "s"), ("tch", "c"), ("zh", "z"), ("kh", "h"), ("ch", "c"),
    ("sh", "s"), ("ts", "c"), ("tz", "c"), ("ck", "k"), ("ph", "f"), ("th", "t"),
    ("x", "ks"), ("q", "k"), ("w", "v"), ("yu", "u"), ("iu", "u"), ("ju", "u"),
    ("ya", "a"), ("ia", "a"), ("ja", "a"), ("ye", "e"), ("je", "e"), ("yo", "e"),
    ("jo", "e"), ("ie", "e"), ("y", "i"), ("j", "i"), ("c", "k"),
)  # fmt: skip
NOT_LETTERS = re.compile(r"[^a-z]+")
REPEATS = re.compile(r"(.)\1+")
VOWELS_AFTER_FIRST = re.compile(r"(?<=.)[aeiou]")


def fold_case(text: str) -> str:
    """Unicode casefold with ё→е (SQLite's lower() is ASCII-only, so we never rely on it)."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def to_latin(text: str) -> str:
    """Casefolded Latin spelling of Cyrillic text (Latin passes through, accents dropped)."""
    folded = fold_case(text).translate(TRANSLIT_TABLE)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def skeleton(text: str) -> str:
    """A coarse key where transliteration variants meet: Yuriy/Yuri/Iurii/Юрий → "ur".

    Transliterate, fold digraphs that different schemes spell differently, collapse doubled
    letters, then drop vowels after the first letter (variants differ mostly in vowels).
    """
    latin = NOT_LETTERS.sub("", to_latin(text))
    for spelling, folded in SKELETON_RULES:
        latin = latin.replace(spelling, folded)
    latin = REPEATS.sub(r"\1", latin)
    return VOWELS_AFTER_FIRST.sub("", latin)
