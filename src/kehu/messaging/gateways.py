"""Where messages go out: e-mail through Django's mail backend, SMS through a gateway.

``KEHU_SMS_BACKEND`` picks the SMS gateway:

* ``logging`` (default): writes each message to ``SmsLog`` (and the log), no network.
  It writes in the sending transaction (``transactional``), so a message and the
  mark that it was sent commit together: exactly once, even if the worker is killed.
* ``http``: POSTs JSON ``{"to", "body", "key"}`` to ``KEHU_SMS_URL`` with the header
  ``X-Kehu-Signature: sha256=<hex HMAC-SHA256 of the body with KEHU_SMS_SECRET>`` and
  ``X-Kehu-Idempotency-Key`` (the recipient's key: a gateway that honours it never
  delivers twice). A timeout, connection error or 5xx is *transient* (retried up to
  ``KEHU_MESSAGES_ATTEMPTS`` times); any other non-2xx answer is permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from kehu.messaging.models import Channel, SmsLog

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    key: str  # unique per recipient: the idempotency key
    to: str
    subject: str
    body: str
    headers: dict[str, str] | None = None


@dataclass(frozen=True)
class Result:
    ok: bool
    reference: str = ""
    error: str = ""
    transient: bool = False


class Gateway:
    name = "gateway"
    transactional = False  # writes in the caller's DB transaction (no outside effect)

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        return [self.send(message) for message in messages]

    def send(self, message: Outgoing) -> Result:
        raise NotImplementedError


class LoggingSms(Gateway):
    name = "sms:logging"
    transactional = True

    def send_many(self, messages: Sequence[Outgoing]) -> list[Result]:
        now = timezone.now()
        SmsLog.objects.bulk_create(
            [SmsLog(to=m.to, body=m.body, key=m.key, at=now) for m in messages]
        )
        for m in messages:
            logger.info("sms to %s: %s", m.to, m.body)
        return [Result(ok=True, reference=m.key) for m in messages]

    def send(self, message: Outgoing) -> Result:
        return self.send_many([message])[0]


Transport = Callable[[urllib.request.Request, float], tuple[int, bytes]]


def urllib_transport(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(2000)
    except urllib.error.HTTPError as error:
        return error.code, error.read(2000)


def signature(secret: str, payload: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


class HttpSms(Gateway):
    name = "sms:http"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        transport: Transport = urllib_transport,
    ):
        if not url.startswith(("http://", "https://")):
            raise ValueError("KEHU_SMS_URL must be an http(s) URL")
        self.url, self.secret, self.timeout, self.transport = url, secret, timeout, transport

    def send(self, message: Outgoing) -> Result:
        payload = json.dumps(
            {"to": message.to, "body": message.body, "key": message.key}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Kehu-Signature": signature(self.secret, payload),
                "X-Kehu-Idempotency-Key": message.key,
            },
        )
        try:
            status, body = self.transport(request, self.timeout)
        except TimeoutError:
            return Result(ok=False, error="timeout", transient=True)
        except OSError as error:  # connection refused, DNS, TLS, URLError
            return Result(ok=False, error=f"connection: {error}"[:500], transient=True)
        if 200 <= status < 300:
            return Result(ok=True, reference=_reference(body))
        text = body.decode("utf-8", "replace")[:300]
        return Result(ok=False, error=f"HTTP {status}: {text}", transient=status >= 500)


def _reference(body: bytes) -> str:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    return str(data.get("id", ""))[:100] if isinstance(data, dict) else ""


class DjangoEmail(Gateway):
    """E-mail through ``EMAIL_BACKEND`` (console by default), one connection per batch
    (``with gateway:``)."""

    name = "email"

    def __init__(self) -> None:
        self.connection: Any = None

    def __enter__(self) -> DjangoEmail:
        self.connection = get_connection()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, message: Outgoing) -> Result:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers=message.headers,
            connection=self.connection,
        )
        try:
            email.send()
        except Exception as error:  # the mail server said no: tried again later
            return Result(ok=False, error=str(error)[:500], transient=True)
        return Result(ok=True, reference=message.key)


def gateway_for(channel: str) -> Gateway:
    if channel == Channel.EMAIL:
        return DjangoEmail()
    backend = settings.KEHU_SMS_BACKEND
    if backend == "http":
        return HttpSms(
            settings.KEHU_SMS_URL,
            settings.KEHU_SMS_SECRET,
            timeout=float(getattr(settings, "KEHU_SMS_TIMEOUT", 10)),
        )
    return LoggingSms()
