"""The Chinese lunar calendar (农历) for care plans, on top of ``lunardate``.

No Django import: plain functions, cached per date and per lunar year, so the daily
agenda over a million customers does a dictionary lookup per customer.

Birthdays are stored as the solar date (as on the ID card). A customer who celebrates
the lunar birthday celebrates on the solar date of this lunar year's day with the same
lunar month and day as the birth date. The rules for days that do not exist this year:

* **Day 30 in a 29-day month** (小月): the birthday moves to the 29th, the last day of
  that month (``Celebration.moved``); the agenda says so
  ("农历生日（本年该月无三十日，提前至廿九）").
* **Born in a leap month** (闰月): celebrated in the leap month of that number when the
  year has one, otherwise in the regular month of that number (闰六月初八 → 六月初八).
  Someone born in a regular month always celebrates in the regular month, even in a
  year that also has the leap month of that number (once a year, never twice).
* **A solar birthday on 29 February**: celebrated on 28 February in a common year
  (``solar_birthday``), and said so.

Lunar festivals use the same rules (always in the regular month); 除夕 is the last day
of the 12th lunar month, the eve of 春节, whether that month has 29 or 30 days.

``lunardate`` covers lunar years 1900–2099 (solar 1900-01-31 to 2100-02-08); dates
outside raise ``LunarRangeError`` (whatever a stored row holds: 0001-01-01, 9999-12-31).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import NamedTuple

from lunardate import LunarDate

FIRST_SOLAR = dt.date(1900, 1, 31)
LAST_SOLAR = dt.date(2100, 2, 8)  # 农历 2099 年腊月三十: the tables' last day
LAST_LUNAR_YEAR = 2099

MONTH_NAMES = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊")
_DIGITS = "一二三四五六七八九十"


class LunarRangeError(ValueError):
    """A date the lunar tables do not cover (before 1900-01-31 or after 2099)."""


class LunarDay(NamedTuple):
    year: int  # the lunar year (农历年), numbered by the solar year it mostly falls in
    month: int  # 1..12
    day: int  # 1..30
    leap: bool  # in the leap month (闰月) of that number


class BirthKey(NamedTuple):
    """What a lunar birthday is keyed on: the birth date's lunar month and day."""

    month: int
    day: int
    leap: bool


class Celebration(NamedTuple):
    date: dt.date
    moved: bool  # the day does not exist this year: moved to the month's last day


def day_name(day: int) -> str:
    """1 → 初一, 10 → 初十, 15 → 十五, 20 → 二十, 21 → 廿一, 30 → 三十."""
    if day <= 10:
        return "初" + _DIGITS[day - 1]
    if day < 20:
        return "十" + _DIGITS[day - 11]
    if day == 20:
        return "二十"
    if day < 30:
        return "廿" + _DIGITS[day - 21]
    return "三十"


def month_name(month: int, leap: bool = False) -> str:
    """1 → 正月, 11 → 冬月, 12 → 腊月, (6, leap) → 闰六月."""
    return ("闰" if leap else "") + MONTH_NAMES[month - 1] + "月"


def lunar_label(month: int, day: int, leap: bool = False) -> str:
    """(8, 15) → 八月十五; (6, 1, leap) → 闰六月初一."""
    return month_name(month, leap) + day_name(day)


@lru_cache(maxsize=65536)
def solar_to_lunar(date: dt.date) -> LunarDay:
    """The lunar date of a solar date."""
    if date < FIRST_SOLAR:
        raise LunarRangeError(f"{date} is before the lunar tables (1900-01-31)")
    if date > LAST_SOLAR:
        # ``lunardate`` does not refuse these: it answers nonsense (9999-12-31 → day
        # 2884992 of a month), which no table of birth keys has.
        raise LunarRangeError(f"{date} is after the lunar tables (2100-02-08)")
    try:
        lunar = LunarDate.from_solar_date(date.year, date.month, date.day)
    except (ValueError, IndexError) as error:  # pragma: no cover - inside the tables
        raise LunarRangeError(str(error)) from None
    return LunarDay(lunar.year, lunar.month, lunar.day, lunar.is_leap_month)


def lunar_to_solar(year: int, month: int, day: int, leap: bool = False) -> dt.date:
    """The solar date of an existing lunar date; ``ValueError`` when it does not exist
    (day 30 of a 29-day month, a leap month the year does not have)."""
    if not 1900 <= year <= LAST_LUNAR_YEAR:
        raise LunarRangeError(f"lunar year {year} is outside 1900–{LAST_LUNAR_YEAR}")
    return LunarDate(year, month, day, leap).to_solar_date()


def leap_month(year: int) -> int | None:
    """The year's leap month (闰月), or ``None``. 2025 → 6 (闰六月), 2023 → 2."""
    if not 1900 <= year <= LAST_LUNAR_YEAR:
        raise LunarRangeError(f"lunar year {year} is outside 1900–{LAST_LUNAR_YEAR}")
    return LunarDate.leap_month_for_year(year)


def month_days(year: int, month: int, leap: bool = False) -> int:
    """29 or 30: the length of a lunar month (``ValueError`` if the year lacks it)."""
    lunar_to_solar(year, month, 1, leap)
    try:
        lunar_to_solar(year, month, 30, leap)
    except LunarRangeError:  # pragma: no cover - raised above already
        raise
    except ValueError:
        return 29
    return 30


@lru_cache(maxsize=256)
def lunar_year_map(year: int) -> dict[BirthKey, Celebration]:
    """Every birth key (12 months × 30 days, regular and leap) → its celebration in lunar
    year ``year``, by the rules in the module docstring: 720 entries, built once."""
    leap = leap_month(year)
    lengths = {(m, False): month_days(year, m) for m in range(1, 13)}
    if leap:
        lengths[(leap, True)] = month_days(year, leap, True)
    table: dict[BirthKey, Celebration] = {}
    for born_leap in (False, True):
        for month in range(1, 13):
            in_leap = born_leap and leap == month
            length = lengths[(month, in_leap)]
            first = lunar_to_solar(year, month, 1, in_leap)
            for day in range(1, 31):
                moved = day > length
                table[BirthKey(month, day, born_leap)] = Celebration(
                    first + dt.timedelta(days=min(day, length) - 1), moved
                )
    return table


@lru_cache(maxsize=64)
def celebrations_on(date: dt.date) -> dict[BirthKey, Celebration]:
    """The birth keys whose lunar birthday (or lunar festival) falls on ``date``: usually
    one or two (a leap-born key, the 30th moved to the 29th)."""
    table = lunar_year_map(solar_to_lunar(date).year)
    return {key: c for key, c in table.items() if c.date == date}


@lru_cache(maxsize=65536)
def birth_key(birthday: dt.date) -> BirthKey:
    """A birth date's lunar month and day (cached: birthdays repeat a lot)."""
    lunar = solar_to_lunar(birthday)
    return BirthKey(lunar.month, lunar.day, lunar.leap)


def lunar_birthday(birthday: dt.date, lunar_year: int) -> Celebration:
    """The solar date on which someone born on ``birthday`` celebrates the lunar birthday
    in lunar year ``lunar_year``."""
    return lunar_year_map(lunar_year)[birth_key(birthday)]


def next_lunar_birthday(birthday: dt.date, on_or_after: dt.date) -> Celebration:
    """The first lunar-birthday celebration on or after ``on_or_after``."""
    year = solar_to_lunar(on_or_after).year
    for candidate in (year, year + 1):
        celebration = lunar_birthday(birthday, candidate)
        if celebration.date >= on_or_after:
            return celebration
    raise LunarRangeError("no celebration found")  # pragma: no cover


def solar_birthday(birthday: dt.date, year: int) -> Celebration:
    """The solar birthday in ``year``: 29 February becomes 28 February in a common year."""
    try:
        return Celebration(birthday.replace(year=year), False)
    except ValueError:  # 29 February, common year
        return Celebration(dt.date(year, 2, 28), True)


def next_solar_birthday(birthday: dt.date, on_or_after: dt.date) -> Celebration:
    celebration = solar_birthday(birthday, on_or_after.year)
    if celebration.date >= on_or_after:
        return celebration
    return solar_birthday(birthday, on_or_after.year + 1)


def new_year_eve(lunar_year: int) -> dt.date:
    """除夕: the last day of lunar year ``lunar_year`` (its 12th month has 29 or 30 days)."""
    return lunar_to_solar(lunar_year + 1, 1, 1) - dt.timedelta(days=1)


def is_new_year_eve(date: dt.date) -> bool:
    return solar_to_lunar(date + dt.timedelta(days=1))[1:3] == (1, 1)


def lunar_festival_date(lunar_year: int, month: int, day: int) -> Celebration:
    """A lunar festival (regular month) in ``lunar_year``; day 30 of a 29-day month moves
    to the 29th, as a birthday does."""
    return lunar_year_map(lunar_year)[BirthKey(month, day, False)]
