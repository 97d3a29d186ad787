"""Lunar conversions checked against known dates (the issue's figures)."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.care import lunar
from kehu.care.lunar import BirthKey

D = dt.date


def test_spring_festival_and_mid_autumn_2026() -> None:
    assert lunar.lunar_to_solar(2026, 1, 1) == D(2026, 2, 17)  # 春节
    assert lunar.lunar_to_solar(2026, 8, 15) == D(2026, 9, 25)  # 中秋
    assert lunar.solar_to_lunar(D(2026, 2, 17)) == (2026, 1, 1, False)
    assert lunar.solar_to_lunar(D(2026, 9, 25)) == (2026, 8, 15, False)


def test_2025_has_a_leap_sixth_month() -> None:
    assert lunar.leap_month(2025) == 6
    assert lunar.leap_month(2026) is None
    # 闰六月 2025 runs from 25 July to 22 August; 六月 itself is before it.
    assert lunar.lunar_to_solar(2025, 6, 1, True) == D(2025, 7, 25)
    assert lunar.solar_to_lunar(D(2025, 7, 24)) == (2025, 6, 30, False)
    assert lunar.solar_to_lunar(D(2025, 8, 22)) == (2025, 6, 29, True)
    assert lunar.month_days(2025, 6, True) == 29
    assert lunar.lunar_label(6, 8, True) == "闰六月初八"


def test_new_year_eve_when_the_twelfth_month_has_29_days() -> None:
    assert lunar.month_days(2025, 12) == 29  # no 腊月三十 in 乙巳年
    assert lunar.new_year_eve(2025) == D(2026, 2, 16)
    assert lunar.is_new_year_eve(D(2026, 2, 16))
    assert lunar.month_days(2022, 12) == 30
    assert lunar.new_year_eve(2022) == D(2023, 1, 21)


def test_lunar_birthday_on_the_30th_moves_to_the_29th() -> None:
    # Born 2023-01-21 = 2022 腊月三十 (a 30-day month): in 2025 the 12th month has 29.
    birthday = D(2023, 1, 21)
    assert lunar.birth_key(birthday) == BirthKey(12, 30, False)
    celebration = lunar.lunar_birthday(birthday, 2025)
    assert celebration == (D(2026, 2, 16), True)
    assert lunar.lunar_birthday(birthday, 2029) == (lunar.lunar_to_solar(2029, 12, 30), False)


def test_born_in_a_leap_month() -> None:
    birthday = D(2025, 8, 1)  # 2025 闰六月初八
    assert lunar.birth_key(birthday) == BirthKey(6, 8, True)
    # A year without 闰六月: the regular sixth month.
    assert lunar.lunar_birthday(birthday, 2026).date == lunar.lunar_to_solar(2026, 6, 8)
    # The year has it (2025 itself): the leap month.
    assert lunar.lunar_birthday(birthday, 2025).date == D(2025, 8, 1)
    # Born in the regular sixth month of 2025: the regular month, not the leap one.
    assert lunar.lunar_birthday(D(2025, 7, 2), 2025).date == D(2025, 7, 2)


def test_celebrations_on_a_day() -> None:
    keys = lunar.celebrations_on(D(2026, 2, 16))  # 2025 腊月廿九 = 除夕
    assert BirthKey(12, 29, False) in keys and BirthKey(12, 30, False) in keys
    assert keys[BirthKey(12, 30, False)].moved


def test_solar_birthday_on_29_february() -> None:
    assert lunar.solar_birthday(D(2000, 2, 29), 2026) == (D(2026, 2, 28), True)
    assert lunar.solar_birthday(D(2000, 2, 29), 2028) == (D(2028, 2, 29), False)
    assert lunar.next_solar_birthday(D(2000, 2, 29), D(2026, 3, 1)) == (D(2027, 2, 28), True)


def test_out_of_range() -> None:
    with pytest.raises(lunar.LunarRangeError):
        lunar.solar_to_lunar(D(1899, 12, 31))
    with pytest.raises(lunar.LunarRangeError):
        lunar.lunar_to_solar(2100, 1, 1)


def test_names() -> None:
    assert lunar.lunar_label(8, 15) == "八月十五"
    assert lunar.lunar_label(1, 1) == "正月初一"
    assert lunar.lunar_label(12, 30) == "腊月三十"
    assert lunar.day_name(21) == "廿一"
    assert lunar.day_name(20) == "二十"
