"""The client's address, as login throttling (django-axes) keys on it.

Behind ``KEHU_PROXY_COUNT`` reverse proxies, each proxy appends the address it
received the connection from to ``X-Forwarded-For`` (nginx:
``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``). The client is then
the N-th entry from the right: everything to its left came from the client and may
be forged, everything to its right was written by our own proxies. Without proxies
(0, the default) the header is ignored and the socket's address is the client.

Axes' own route (django-ipware) is not used: ipware 8 counts only the proxies that
appear *in* the header (one nginx is ``proxy_count=0``), drops a chain of any other
length by default (a forged extra entry put the forger on the proxy's address), and
prefers a "global" address to the configured position.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address of whoever opened the connection to our outermost proxy."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.KEHU_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < proxies:
        # Not through all our proxies (or a proxy that does not set the header): the
        # header says nothing we can trust.
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote
