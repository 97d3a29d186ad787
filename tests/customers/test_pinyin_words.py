"""Kehu's word-at-a-time pinyin gives pypinyin's lazy_pinyin, syllable for syllable."""

from __future__ import annotations

import random

from pypinyin import Style
from pypinyin import lazy_pinyin as pypinyin_lazy

from kehu.customers.pinyin import lazy_pinyin
from kehu.demo import names


def _texts() -> list[str]:
    rng = random.Random(3)
    surnames = [s for s, _weight in names.SURNAMES]
    given = list(names.GIVEN_CHARS)
    texts = [
        rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.randint(1, 2)))
        for _ in range(4000)
    ]
    brand = names.BRAND_CHARS
    texts += [
        rng.choice(brand) + rng.choice(brand) + rng.choice(names.COMPANY_SUFFIXES)
        for _ in range(1000)
    ]
    cjk = [chr(c) for c in range(0x4E00, 0x9FA6)]
    texts += ["".join(rng.choice(cjk) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    texts += [
        "重庆长安汽车",
        "银行行长",
        "张三 Zhang San",
        "A股 2024年",
        "ÖZIL·奥",
        "上海星辰科技有限公司（浦东）",
        "",
        " ",
        "单于",
        "尉迟恭",
        "〇一二",
    ]
    return texts


def test_the_same_syllables_as_pypinyin() -> None:
    for text in _texts():
        assert lazy_pinyin(text) == pypinyin_lazy(text, style=Style.NORMAL, errors="default"), text
