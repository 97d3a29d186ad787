"""The unsubscribe link every e-mail ends with (and sends in ``List-Unsubscribe``): a
signed URL, no login. Made by the services and the sending job, read by the page."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.messaging.models import Channel

UNSUBSCRIBE_SALT = "kehu.messaging.unsubscribe"


def unsubscribe_token(customer_id: int, channel: str) -> str:
    return signing.dumps({"c": customer_id, "ch": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(customer_id: int, channel: str) -> str:
    token = unsubscribe_token(customer_id, channel)
    return settings.KEHU_BASE_URL + reverse("messaging:unsubscribe", args=[token])


def unsubscribe_read(token: str) -> tuple[Customer, str] | None:
    """The customer and channel a link was made for; ``None`` if tampered or gone."""
    try:
        data = signing.loads(token[:500], salt=UNSUBSCRIBE_SALT)
        customer_id, channel = int(data["c"]), str(data["ch"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    customer = Customer.objects.alive().filter(pk=customer_id).first()
    if customer is None or channel not in Channel.values:
        return None
    return customer, channel
