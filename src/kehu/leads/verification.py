"""Verification (校验) of a lead: is the phone a real number of the lead's region, and
is the lead somebody we already know — a customer (the customers' duplicate check,
``customers.duplicates``) or another lead.

Where a number is: ``phonenumbers`` here is the "lite" build, without the carrier and
geocoding data, so the region of a number is its country, and for a Chinese fixed
line the province of its area code where the code names one (the two-digit codes of
the big cities). A mobile number's province is not knowable without that data: it is
checked as "a valid Chinese mobile number" only.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.duplicates import Candidate, duplicate_candidates
from kehu.customers.models import Customer, CustomerKind, CustomerPhone
from kehu.customers.phones import phone_normalize
from kehu.leads.models import Lead, PhoneCheck

# Chinese fixed-line area codes of two digits (after the trunk 0) and their province.
AREA_PROVINCES = {
    "10": "北京",
    "20": "广东",
    "21": "上海",
    "22": "天津",
    "23": "重庆",
    "24": "辽宁",
    "25": "江苏",
    "27": "湖北",
    "28": "四川",
    "29": "陕西",
}


def _looks_foreign(text: str) -> bool:
    """Written the way another country writes its numbers: ``(415) 555-0100``. A Chinese
    fixed line is written with its trunk 0 (``0415-5550100``), a mobile has 11 digits
    from 1, and 400/800 numbers are service lines; ten digits without any of that
    would parse as a Chinese number by accident."""
    if text.startswith(("+", "00", "0")):
        return False
    digits = "".join(c for c in text if c.isdigit())
    if digits.startswith(("400", "800")) or (len(digits) == 11 and digits.startswith("1")):
        return False
    return "(" in text or len(digits) == 10


def lead_phone_clean(raw: str) -> str:
    """The E.164 form of a lead's phone, or a ``ValidationError`` on ``phone`` that
    says what is wrong — a number written the way another country writes it is told
    how to write it (with its country code)."""
    text = (raw or "").strip()
    if text and _looks_foreign(text):
        raise ValidationError(
            {
                "phone": _(
                    "“%(phone)s”看起来是境外的号码格式。境外号码请以 + 和国家代码开头，"
                    "例如 +1 415 555 0100；国内号码请填写 11 位手机号或带区号的固话。"
                )
                % {"phone": text[:40]}
            }
        )
    try:
        return phone_normalize(text)
    except ValidationError as error:
        raise ValidationError({"phone": error.messages}) from None


def _short_province(province: str) -> str:
    for suffix in ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区"):
        if province.endswith(suffix) and len(province) > len(suffix):
            return province[: -len(suffix)]
    return province


@dataclass(frozen=True)
class PhoneVerdict:
    check: str
    region: str  # the country code, and the province of a fixed line's area code
    message: str


def phone_verdict(e164: str, province: str = "") -> PhoneVerdict:
    """What the number says about where the lead is, beside the province given."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return PhoneVerdict(PhoneCheck.INVALID, "", _("号码无法识别。"))
    if not phonenumbers.is_valid_number(number):
        return PhoneVerdict(PhoneCheck.INVALID, "", _("号码无效。"))
    country = phonenumbers.region_code_for_number(number) or ""
    if country != settings.KEHU_DEFAULT_REGION:
        return PhoneVerdict(
            PhoneCheck.FOREIGN, country, _("境外号码（%(region)s）。") % {"region": country}
        )
    national = phonenumbers.national_significant_number(number)
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return PhoneVerdict(PhoneCheck.VALID, country, _("有效的手机号码。"))
    area_province = AREA_PROVINCES.get(national[:2], "")
    if area_province and province and _short_province(province) != area_province:
        return PhoneVerdict(
            PhoneCheck.REGION_MISMATCH,
            f"{country} {area_province}",
            _("固话区号属于%(area)s，与所填的%(province)s不符。")
            % {"area": area_province, "province": province},
        )
    region = f"{country} {area_province}".strip()
    return PhoneVerdict(PhoneCheck.VALID, region, _("有效的固定电话。"))


def customer_duplicates(actor: User, lead: Lead) -> list[Candidate]:
    """Customers that look like the lead, as ``actor`` may see them (the existing
    dedupe: same phone, same or similar company name in the same city)."""
    company = bool(lead.company)
    return duplicate_candidates(
        actor=actor,
        name=lead.company or lead.name,
        kind=CustomerKind.COMPANY if company else CustomerKind.PERSON,
        city=lead.city,
        province=lead.province,
        phones=[lead.phone] if lead.phone else [],
        exclude=[lead.customer_id] if lead.customer_id else [],
    )


def lead_duplicates(lead: Lead) -> list[Lead]:
    """Other live leads with the same phone, or the same company in the same city."""
    from django.db.models import Q

    match = Q(phone=lead.phone) if lead.phone else Q(pk__in=[])
    if lead.company and lead.city:
        match |= Q(company__iexact=lead.company, city=lead.city)
    return list(Lead.objects.alive().filter(match).exclude(pk=lead.pk).order_by("-id")[:20])


def phone_duplicate_counts(e164: str, lead_id: int | None) -> tuple[int, int]:
    """Live customers and other live leads with this number, in one statement: the
    check a public submission affords on its hot path (the full one, with names and
    what the reader may see, is ``lead_verify``)."""
    customers = Customer._meta.db_table
    phones = CustomerPhone._meta.db_table
    leads = Lead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(DISTINCT p.customer_id) FROM {phones} p "
            f"JOIN {customers} c ON c.id = p.customer_id AND c.deleted_at IS NULL "
            f"WHERE p.number = %s), "
            f"(SELECT COUNT(*) FROM {leads} WHERE phone = %s AND deleted_at IS NULL "
            f"AND id <> %s)",
            [e164, e164, lead_id or 0],
        )
        row = cursor.fetchone()
    return int(row[0]), int(row[1])
