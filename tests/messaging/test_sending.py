"""The sending job: killed half-way it resumes without a second copy; gateways fail
clearly; the throttle paces."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from kehu.messaging import gateways, sending
from kehu.messaging.models import (
    CampaignStatus,
    Channel,
    Delivery,
    Recipient,
    RecipientStatus,
    SkipReason,
    SmsLog,
)
from kehu.messaging.selectors import campaign_progress
from kehu.messaging.services import message_to_customers
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def _campaign(customers, channel=Channel.SMS):
    return message_to_customers(
        actor=None,
        customer_ids=[c.pk for c in customers],
        channel=channel,
        subject="{姓名}，您好",
        body="{姓名}您好",
        name="测试",
        purpose="care",
    )


@pytest.fixture
def customers(org):
    return [consenting_customer(org.sales, name=f"客户{i:02d}") for i in range(12)]


class Killed(BaseException):
    """A worker killed mid-batch: ``except Exception`` does not catch it."""


def _lease_over(monkeypatch):
    """Move the clock past the lease: the dead worker's claims may be taken."""
    later = timezone.now() + sending.LEASE + dt.timedelta(seconds=5)
    monkeypatch.setattr(sending.timezone, "now", lambda: later)


@pytest.mark.parametrize("dies_in_batch", [1, 2, 3])
def test_logging_sms_killed_half_way_resumes_with_no_duplicate(
    customers, monkeypatch, dies_in_batch
):
    campaign = _campaign(customers)
    real = gateways.LoggingSms.send_many
    calls = {"n": 0}

    def dying(self, messages):
        calls["n"] += 1
        if calls["n"] == dies_in_batch:
            real(self, messages)  # written, then the worker dies before commit
            raise Killed
        return real(self, messages)

    monkeypatch.setattr(gateways.LoggingSms, "send_many", dying)
    with pytest.raises(Killed):
        sending.recipients_send(campaign_id=campaign.pk, batch=5)
    before = SmsLog.objects.count()
    assert before == (dies_in_batch - 1) * 5  # the dying batch rolled back

    monkeypatch.setattr(gateways.LoggingSms, "send_many", real)
    # A restart at once leaves the dead batch alone (its lease runs) but sends the rest.
    sending.recipients_send(campaign_id=campaign.pk, batch=5)
    _lease_over(monkeypatch)
    sending.recipients_send(campaign_id=campaign.pk, batch=5)
    counts = Counter(SmsLog.objects.values_list("to", flat=True))
    assert len(counts) == 12 and set(counts.values()) == {1}
    assert Delivery.objects.count() == 12
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_email_killed_while_sending_is_not_sent_again(customers, monkeypatch):
    campaign = _campaign(customers[:4], channel=Channel.EMAIL)
    real = gateways.DjangoEmail.send
    calls = {"n": 0}

    def dying(self, message):
        calls["n"] += 1
        if calls["n"] == 3:
            real(self, message)  # the mail went out; the worker dies before marking it
            raise Killed
        return real(self, message)

    monkeypatch.setattr(gateways.DjangoEmail, "send", dying)
    with pytest.raises(Killed):
        sending.recipients_send(campaign_id=campaign.pk)
    monkeypatch.setattr(gateways.DjangoEmail, "send", real)
    _lease_over(monkeypatch)
    report = sending.recipients_send(campaign_id=campaign.pk)
    assert report.interrupted == 1
    assert Counter(m.to[0] for m in mail.outbox).most_common(1)[0][1] == 1
    assert len(mail.outbox) == 4  # the in-flight one went out once, never twice
    in_doubt = Recipient.objects.get(campaign=campaign, status=RecipientStatus.FAILED)
    assert in_doubt.reason == SkipReason.INTERRUPTED
    assert campaign_progress(campaign).sent == 3


def test_two_workers_never_send_the_same_message(customers):
    campaign = _campaign(customers)
    first, _first_token = sending._claim(campaign.pk, 5)
    second, _token = sending._claim(campaign.pk, 50)
    assert {r.pk for r in first}.isdisjoint({r.pk for r in second})
    assert len(first) + len(second) == 12


def test_a_batch_whose_lease_was_taken_over_rolls_back(customers):
    campaign = _campaign(customers[:2])
    rows, token = sending._claim(campaign.pk, 5)
    Recipient.objects.filter(pk=rows[0].pk).update(claim="someone-else")
    report = sending.SendReport()
    sending._send_transactional(gateways.LoggingSms(), rows, token, report)
    assert report.sent == 0 and not SmsLog.objects.exists() and not Delivery.objects.exists()


# --- HTTP gateway ------------------------------------------------------------------------------


class _Gateway(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((dict(self.headers), json.loads(body), body))
        status = _Gateway.answers.pop(0) if _Gateway.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"id": "gw-1"}' if status == 200 else b"quota exceeded")

    def log_message(self, *args):
        pass


@pytest.fixture
def http_gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.answers, _Gateway.received = [], []
    settings.KEHU_SMS_BACKEND = "http"
    settings.KEHU_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.KEHU_SMS_SECRET = "s3cret"
    yield _Gateway
    server.shutdown()


def test_http_gateway_posts_signed_json(customers, http_gateway):
    campaign = _campaign(customers[:1])
    sending.recipients_send(campaign_id=campaign.pk)
    ((headers, data, raw),) = http_gateway.received
    assert data["body"] == "客户00您好 回T退订" and data["to"].startswith("+86")
    expected = "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert headers["X-Kehu-Signature"] == expected
    assert headers["X-Kehu-Idempotency-Key"] == data["key"]
    assert Delivery.objects.get().reference == "gw-1"


def test_http_gateway_refusal_fails_at_once_with_the_reason(customers, http_gateway):
    http_gateway.answers = [400]
    campaign = _campaign(customers[:1])
    sending.recipients_send(campaign_id=campaign.pk)
    row = Recipient.objects.get(campaign=campaign)
    assert (row.status, row.reason) == (RecipientStatus.FAILED, SkipReason.GATEWAY)
    assert "HTTP 400" in row.detail and "quota" in row.detail
    assert len(http_gateway.received) == 1  # a 4xx is not retried
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_http_gateway_server_error_is_retried_then_fails(customers, http_gateway, monkeypatch):
    http_gateway.answers = [503, 503, 503]
    campaign = _campaign(customers[:1])
    for attempt in range(sending.MAX_ATTEMPTS):
        sending.recipients_send(campaign_id=campaign.pk)
        later = timezone.now() + sending.RETRY_AFTER * (attempt + 1) + dt.timedelta(seconds=1)
        monkeypatch.setattr(sending.timezone, "now", lambda later=later: later)
    row = Recipient.objects.get(campaign=campaign)
    assert len(http_gateway.received) == sending.MAX_ATTEMPTS
    assert (row.status, row.attempts) == (RecipientStatus.FAILED, sending.MAX_ATTEMPTS)
    assert "HTTP 503" in row.detail


def test_http_gateway_unreachable_is_a_transient_failure(customers, settings):
    settings.KEHU_SMS_BACKEND = "http"
    settings.KEHU_SMS_URL = "http://127.0.0.1:9/nothing-listens-here"
    campaign = _campaign(customers[:1])
    report = sending.recipients_send(campaign_id=campaign.pk)
    row = Recipient.objects.get(campaign=campaign)
    assert report.retried == 1
    assert (row.status, row.attempts) == (RecipientStatus.QUEUED, 1)
    assert row.detail.startswith("connection")


def test_http_gateway_timeout_via_transport(monkeypatch):
    def slow(request, timeout):
        raise TimeoutError

    gateway = gateways.HttpSms("https://sms.example/send", "k", transport=slow)
    result = gateway.send(gateways.Outgoing(key="k1", to="+8613800138000", subject="", body="hi"))
    assert (result.ok, result.transient, result.error) == (False, True, "timeout")


# --- throttle --------------------------------------------------------------------------------


def test_the_throttle_paces_batches(customers, settings, monkeypatch):
    settings.KEHU_MESSAGES_PER_SECOND = 4
    naps: list[float] = []
    monkeypatch.setattr(sending, "sleep", naps.append)
    campaign = _campaign(customers)
    report = sending.recipients_send(campaign_id=campaign.pk)
    assert report.batches == 3  # 12 messages in batches of 4 (one second each)
    assert len(naps) == 3 and sum(naps) > 2


def test_the_periodic_job_resumes_leftovers(customers):
    from kehu.jobs.schedule import job_run

    campaign = _campaign(customers[:3])
    run = job_run("messages_send")
    assert run is not None and run.result["sent"] == 3
    assert campaign_progress(campaign).sent == 3
