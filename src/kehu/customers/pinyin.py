"""Pinyin for names: full spelling and initials, with surname readings.

pypinyin reads characters by their most common reading; as surnames many are
read differently (曾 zēng, 单 shàn, 仇 qiú...). For a person's name the first
character (or a compound surname) takes its surname reading, and the common
reading is kept as an alternative so a search by either finds the customer.
"""

from __future__ import annotations

import functools
from itertools import chain

from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.seg.simpleseg import seg

# Surname readings that differ from pypinyin's default (and compound surnames).
SURNAME_READINGS: dict[str, list[str]] = {
    "曾": ["zeng"],
    "单": ["shan"],
    "仇": ["qiu"],
    "解": ["xie"],
    "区": ["ou"],
    "查": ["zha"],
    "朴": ["piao"],
    "盖": ["ge"],
    "乐": ["yue"],
    "种": ["chong"],
    "召": ["shao"],
    "缪": ["miao"],
    "翟": ["zhai"],
    "覃": ["qin"],
    "繁": ["po"],
    "员": ["yun"],
    "纪": ["ji"],
    "牟": ["mou"],
    "折": ["she"],
    "秘": ["bi"],
    "黑": ["he"],
    "冼": ["xian"],
    "任": ["ren"],
    "尉": ["yu"],
    "长": ["chang"],
    "华": ["hua"],
    "沈": ["shen"],
    "柏": ["bai"],
    "薄": ["bo"],
    "卜": ["bu"],
    "藏": ["zang"],
    "晟": ["cheng"],
    "隗": ["wei"],
    "句": ["gou"],
    "宓": ["mi"],
    "万俟": ["mo", "qi"],
    "尉迟": ["yu", "chi"],
    "单于": ["chan", "yu"],
    "长孙": ["zhang", "sun"],
    "欧阳": ["ou", "yang"],
    "令狐": ["ling", "hu"],
}
_COMPOUND = sorted((s for s in SURNAME_READINGS if len(s) > 1), key=len, reverse=True)


# pypinyin's lazy_pinyin(text, style=NORMAL) is its segmenter's words, each converted
# on its own (no tone sandhi): converting a word once and remembering it gives the same
# syllables (tests/customers/test_pinyin.py) in a quarter of the time — names share
# their words (小明, 建国) and every character is a word somewhere.
_CONVERTER = UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False)


@functools.lru_cache(maxsize=100_000)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(
        chain.from_iterable(_CONVERTER.convert(word, Style.NORMAL, False, "default", strict=True))
    )


def lazy_pinyin(text: str) -> list[str]:
    """``pypinyin.lazy_pinyin(text, style=Style.NORMAL, errors="default")``."""
    return [syllable for word in seg(text) for syllable in _word_pinyin(word)]


def _clean(syllables: list[str]) -> list[str]:
    out: list[str] = []
    for syllable in syllables:
        word = "".join(c for c in syllable.lower() if c.isascii() and c.isalnum())
        if word:
            out.append(word)
    return out


def pinyin_readings(name: str, *, person: bool) -> list[list[str]]:
    """Syllable lists for ``name``: the preferred reading first, then alternatives."""
    return [list(r) for r in _readings(name.strip(), person)]


@functools.lru_cache(maxsize=200_000)
def _readings(name: str, person: bool) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(r) for r in _compute_readings(name, person=person))


def _compute_readings(name: str, *, person: bool) -> list[list[str]]:
    if not name:
        return []
    default = _clean(lazy_pinyin(name))
    if not person:
        return [default] if default else []
    surname = next((s for s in _COMPOUND if name.startswith(s)), name[0])
    reading = SURNAME_READINGS.get(surname)
    if reading is None:
        return [default] if default else []
    rest = _clean(lazy_pinyin(name[len(surname) :]))
    preferred = reading + rest
    return [preferred] if preferred == default else [preferred, default]


def pinyin_sort_key(name: str, *, person: bool) -> str:
    readings = pinyin_readings(name, person=person)
    return " ".join(readings[0])[:400] if readings else ""
