"""Phone numbers: normalised to E.164 with ``phonenumbers`` (default region CN)."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A Chinese mobile number as people write it (13800138000, +8613800138000) is most
# of what an import or a form sees; phonenumbers parses one in ~60 µs. Matching the
# mobile pattern of phonenumbers' own metadata gives the same answer (checked against
# parse() for every five-digit prefix, tests/customers/test_phones.py) in ~2 µs.
_CN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("CN")
assert _CN_METADATA is not None and _CN_METADATA.mobile is not None
_CN_MOBILE = re.compile(r"(?:\+86)?(" + str(_CN_METADATA.mobile.national_number_pattern) + ")")


def phone_normalize(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of ``raw`` or raise ``ValidationError``."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("电话号码不能为空。"), code="required")
    if (region or settings.KEHU_DEFAULT_REGION) == "CN" and text.isascii():
        mobile = _CN_MOBILE.fullmatch(text)
        if mobile:
            return "+86" + mobile[1]
    if len(text) > 32:
        raise ValidationError(_("电话号码太长。"), code="max_length")
    try:
        number = phonenumbers.parse(text, region or settings.KEHU_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(phone)s”不是有效的电话号码。"), code="invalid", params={"phone": text}
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(phone)s”不是有效的电话号码。"), code="invalid", params={"phone": text}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """National format for numbers of the default region, international otherwise."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    if region == settings.KEHU_DEFAULT_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_national_digits(e164: str) -> str:
    """The national significant number's digits (what people type and remember)."""
    if e164.startswith("+86") and _CN_MOBILE.fullmatch(e164):
        return e164[3:]  # what parse() gives for a Chinese mobile number, 30x faster
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "".join(c for c in e164 if c.isdigit())
    return phonenumbers.national_significant_number(number)
