"""Coupon codes: short, read aloud and typed at a counter without confusion.

Eight characters from 32 that cannot be mistaken for one another (no 0/O, 1/I):
40 bits, so with a million coupons out a new draw clashes about once in a million;
a clash is drawn again (and the unique index has the last word). What a customer
types is read generously: lower case, spaces and dashes are fine, and O and I are
read as the 0 and 1 they cannot be (so they match nothing rather than another code).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8
MAX_INPUT = 64


def _draw(count: int) -> list[str]:
    """``count`` codes from one read of the system's random source: each byte's low
    five bits pick a character (256 is a multiple of 32, so every one is as likely)."""
    data = secrets.token_bytes(count * LENGTH)
    text = "".join(ALPHABET[byte & 31] for byte in data)
    return [text[i : i + LENGTH] for i in range(0, len(text), LENGTH)]


def code_new() -> str:
    return _draw(1)[0]


def codes_new(count: int, *, taken: set[str] | None = None) -> list[str]:
    """``count`` distinct new codes, none of them in ``taken``."""
    taken = taken or set()
    codes: dict[str, None] = {}
    while len(codes) < count:
        for code in _draw(count - len(codes)):
            if code not in taken:
                codes[code] = None
    return list(codes)


def code_normalize(text: str) -> str:
    """What the user typed, as stored: upper case, without spaces and dashes."""
    return re.sub(r"[\s\-_—–]", "", text[:MAX_INPUT]).upper()
