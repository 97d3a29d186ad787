"""The fast path for Chinese mobile numbers gives what phonenumbers gives."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from kehu.customers.phones import phone_normalize


def _by_phonenumbers(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_every_five_digit_prefix_reads_as_phonenumbers_reads_it(settings):
    settings.KEHU_DEFAULT_REGION = "CN"
    rng = random.Random(5)
    for prefix in range(10000, 20000):
        digits = f"{prefix}{rng.randrange(1_000_000):06d}"
        for text in (digits, "+86" + digits):
            expected = _by_phonenumbers(text)
            if expected is None:
                with pytest.raises(ValidationError):
                    phone_normalize(text)
            else:
                assert phone_normalize(text) == expected, text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),
        ("010-12345678", "+861012345678"),
        ("1795113800138000", "+8613800138000"),
    ],
)
def test_written_forms(settings, text, expected):
    settings.KEHU_DEFAULT_REGION = "CN"
    assert phone_normalize(text) == expected


def test_national_digits_of_mobile_numbers_as_phonenumbers_gives_them() -> None:
    from kehu.customers.phones import phone_national_digits

    rng = random.Random(6)
    for prefix in range(13000, 20000, 7):
        e164 = f"+86{prefix}{rng.randrange(1_000_000):06d}"
        number = phonenumbers.parse(e164, None)
        assert phone_national_digits(e164) == phonenumbers.national_significant_number(number)
    assert phone_national_digits("+861012345678") == "1012345678"
