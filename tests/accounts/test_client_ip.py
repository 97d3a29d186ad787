"""The client address behind KEHU_PROXY_COUNT proxies: the one the outermost proxy saw."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from kehu.accounts.client_ip import client_ip


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "10.0.0.2"),
        (0, "198.51.100.7", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # forged entry on the left
        (1, " 2001:db8::7 ", "2001:db8::7"),
        (2, "203.0.113.9, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2"),  # not through both proxies: not trusted
        (1, None, "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, "unknown", "10.0.0.2"),
        (1, "198.51.100.7:5678", "10.0.0.2"),
    ],
)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.KEHU_PROXY_COUNT = proxies
    assert client_ip(request("10.0.0.2", forwarded)) == expected
