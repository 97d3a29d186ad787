"""The customer a row of an order or interaction file is about: a phone number, an
e-mail, the customer's external id or its exact name, among the customers the
importer may see. A customer that exists but is not theirs to see is refused with
the same words as a customer row ("someone else's customer") and nothing of it."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.customers.access import visibility_q
from kehu.customers.duplicates import email_key
from kehu.customers.models import Customer, CustomerPhone
from kehu.imports.values import BadValue, as_phone


class CustomerNotFound(Exception):
    pass


def _phone(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or "@" in text:
        return ""
    try:
        return as_phone(text)
    except BadValue:
        return ""


class CustomerFinder:
    """Finds the customers a chunk of rows names, with a few queries per chunk."""

    def __init__(self, actor: User):
        self.actor = actor
        self.found: dict[str, int | str] = {}  # text → customer id, or an error

    def load(self, texts: set[str]) -> None:
        texts = {t for t in texts if t and t not in self.found}
        if not texts:
            return
        phones = {t: p for t in texts if (p := _phone(t))}
        emails = {t: email_key(t) for t in texts if "@" in t}
        candidates: dict[str, set[int]] = {t: set() for t in texts}
        if phones:
            by_number: dict[str, set[int]] = {}
            for number, cid in CustomerPhone.objects.filter(
                number__in=set(phones.values()), customer__deleted_at__isnull=True
            ).values_list("number", "customer_id"):
                by_number.setdefault(number, set()).add(cid)
            for text, number in phones.items():
                candidates[text] |= by_number.get(number, set())
        alive = Customer.objects.alive()
        if emails:
            for email, cid in alive.filter(email__in=set(emails.values())).values_list(
                "email", "pk"
            ):
                for text, key in emails.items():
                    if key == email_key(email):
                        candidates[text].add(cid)
        for name, external_id, cid in alive.filter(
            Q(name__in=texts) | Q(external_id__in=texts)
        ).values_list("name", "external_id", "pk"):
            for text in (name, external_id):
                if text in candidates:
                    candidates[text].add(cid)
        every = {cid for ids in candidates.values() for cid in ids}
        visible = set(
            alive.filter(visibility_q(self.actor), pk__in=every).values_list("pk", flat=True)
        )
        for text, ids in candidates.items():
            mine = ids & visible
            if len(mine) == 1:
                self.found[text] = next(iter(mine))
            elif len(mine) > 1:
                self.found[text] = _("有多个客户与“%(text)s”相符，请改用手机号或客户编号。") % {
                    "text": text[:50]
                }
            elif ids:
                self.found[text] = _("已存在（其他人的客户）")
            else:
                self.found[text] = _("找不到客户“%(text)s”。") % {"text": text[:50]}

    def customer_id(self, text: str) -> int:
        """The customer's id; ``CustomerNotFound`` with the reason otherwise."""
        if not text:
            raise CustomerNotFound(_("必须填写客户。"))
        if text not in self.found:
            self.load({text})
        value = self.found[text]
        if isinstance(value, str):
            raise CustomerNotFound(value)
        return value
