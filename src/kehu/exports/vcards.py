"""vCard export (3.0, UTF-8, through vobject): a customer as a card with its name,
phones, e-mail, company, title, address, birthday and notes; a company's contacts as
cards of their own (with the company as ORG). Pool customers' contact data stays out
for those the customer page hides it from."""

from __future__ import annotations

from collections.abc import Iterable

import vobject

from kehu.accounts.models import User
from kehu.customers.access import contact_data_hidden
from kehu.customers.models import Contact, Customer, CustomerKind, CustomerPhone


def _card(name: str) -> vobject.base.Component:
    card = vobject.vCard()
    card.add("fn").value = name
    card.add("n").value = vobject.vcard.Name(family=name) if name else vobject.vcard.Name()
    return card


def _add(
    card: vobject.base.Component, kind: str, value: str, types: list[str] | None = None
) -> None:
    if not value:
        return
    line = card.add(kind)
    line.value = value
    if types:
        line.type_param = types if len(types) > 1 else types[0]


def customer_cards(customer: Customer, *, viewer: User) -> list[vobject.base.Component]:
    """The cards of one customer (and, for a company, of its contacts)."""
    hidden = contact_data_hidden(viewer, customer)
    is_company = customer.kind == CustomerKind.COMPANY
    card = _card(customer.name)
    if is_company:
        card.add("org").value = [customer.name]
    if not hidden:
        phones = CustomerPhone.objects.filter(customer=customer).order_by("-is_primary", "id")
        for phone in phones:
            _add(card, "tel", phone.number, ["CELL"] if not is_company else ["WORK"])
        _add(card, "email", customer.email, ["INTERNET"])
        if customer.address or customer.city or customer.province:
            adr = card.add("adr")
            adr.value = vobject.vcard.Address(
                street=customer.address,
                city=customer.city or customer.district,
                region=customer.province,
                country="",
            )
    if customer.birthday:
        card.add("bday").value = customer.birthday.isoformat()
    _add(card, "note", customer.notes)
    card.add("uid").value = f"kehu-customer-{customer.pk}"
    cards = [card]
    if is_company and not hidden:
        for contact in Contact.objects.filter(customer=customer).order_by("-is_primary", "id"):
            cards.append(_contact_card(contact, customer))
    return cards


def _contact_card(contact: Contact, company: Customer) -> vobject.base.Component:
    card = _card(contact.name)
    card.add("org").value = [company.name]
    _add(card, "title", contact.title)
    _add(card, "tel", contact.phone, ["WORK"])
    _add(card, "email", contact.email, ["INTERNET"])
    _add(card, "note", contact.notes)
    card.add("uid").value = f"kehu-contact-{contact.pk}"
    return card


def vcards_text(customers: Iterable[Customer], *, viewer: User) -> str:
    """The cards of ``customers`` as one .vcf text."""
    return "".join(
        card.serialize()
        for customer in customers
        for card in customer_cards(customer, viewer=viewer)
    )
