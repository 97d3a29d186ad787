"""Phone numbers: normalised to E.164 with ``phonenumbers`` (default region CN)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def phone_normalize(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of ``raw`` or raise ``ValidationError``."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("电话号码不能为空。"), code="required")
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
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "".join(c for c in e164 if c.isdigit())
    return phonenumbers.national_significant_number(number)
