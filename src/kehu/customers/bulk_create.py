"""Many customers saved at once (an import): what ``customer_create`` writes for one,
in a few bulk queries. The checks stay ``customer_prepare``'s; duplicates are the
caller's to have ruled out (``kehu.imports`` does it in bulk with the same keys)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.customers.models import (
    ChangeAction,
    Contact,
    Customer,
    CustomerChange,
    CustomerPhone,
    OwnerChange,
    OwnerChangeKind,
    Tag,
)
from kehu.customers.search import SearchDocument, search_index_bulk
from kehu.customers.services import PreparedCustomer


@transaction.atomic
def customers_create_many(*, actor: User, prepared: list[PreparedCustomer]) -> list[Customer]:
    """Save customers already checked by ``customer_prepare`` (and for duplicates by
    the caller) in a few bulk queries: what ``customer_create`` writes, for an import."""
    if not prepared:
        return []
    now = timezone.now()
    customers = [p.customer for p in prepared]
    for customer in customers:
        customer.created_at = customer.updated_at = now
        if customer.owner_id is not None:
            customer.claimed_at = now
    Customer.objects.bulk_create(customers, batch_size=500)
    CustomerPhone.objects.bulk_create(
        (
            CustomerPhone(customer=p.customer, number=n, is_primary=i == 0)
            for p in prepared
            for i, n in enumerate(p.phones)
        ),
        batch_size=1000,
    )
    names = sorted({t for p in prepared for t in p.tags})
    if names:
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through = Customer.tags.through
        through.objects.bulk_create(
            (
                through(customer_id=p.customer.pk, tag_id=tag_ids[t])
                for p in prepared
                for t in p.tags
            ),
            batch_size=1000,
        )
    contacts = []
    for p in prepared:
        for contact in p.contacts:
            contact.customer = p.customer
            contact.created_at = contact.updated_at = now
            contacts.append(contact)
    Contact.objects.bulk_create(contacts, batch_size=500)
    OwnerChange.objects.bulk_create(
        (
            OwnerChange(
                customer=c, kind=OwnerChangeKind.CREATE, actor=actor, to_user_id=c.owner_id, at=now
            )
            for c in customers
            if c.owner_id is not None
        ),
        batch_size=1000,
    )
    CustomerChange.objects.bulk_create(
        (
            CustomerChange(customer=c, actor=actor, at=now, action=ChangeAction.CREATE)
            for c in customers
        ),
        batch_size=1000,
    )
    search_index_bulk(
        (
            SearchDocument(
                customer_id=p.customer.pk,
                name=p.customer.name,
                kind=p.customer.kind,
                phones=tuple(p.phones),
                email=p.customer.email,
                wechat_id=p.customer.wechat_id,
                contact_names=tuple(c.name for c in p.contacts),
                contact_phones=tuple(c.phone for c in p.contacts if c.phone),
                contact_emails=tuple(c.email for c in p.contacts if c.email),
            )
            for p in prepared
        ),
        replace=False,
    )
    return customers
