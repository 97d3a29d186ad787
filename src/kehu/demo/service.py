"""Demo service and care: complaints (one crisis among them), two satisfaction surveys
with answers, marketing consent, and today's care agenda.

Written through the apps' own services (the numbers are small: at most a few hundred
of each), so the demo shows what the product itself records: complaint steps and
deadlines, invitations answered through their links, low scores that opened tasks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import User
from kehu.care.services import agenda_build
from kehu.complaints.models import Category, Channel, Severity, Status
from kehu.complaints.services import complaint_create, complaint_transition, incident_create
from kehu.customers.models import Customer
from kehu.messaging.services import consent_set
from kehu.surveys.models import Channel as SurveyChannel
from kehu.surveys.models import QuestionKind
from kehu.surveys.services import invitations_send, response_record, survey_save

COMPLAINTS = (
    (Category.QUALITY, "收到的商品有破损，要求换货。"),
    (Category.DELIVERY, "快递比承诺晚了五天，客户很不满意。"),
    (Category.SERVICE, "门店店员态度冷淡，没有解答问题。"),
    (Category.BILLING, "发票金额与订单不符，要求重开。"),
    (Category.AFTER_SALES, "维修后同一问题再次出现。"),
)
CRISIS_TEXT = "同一批次的保温杯密封圈漏水。"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


@transaction.atomic  # a bulk load: one commit, not thousands (one per service call)
def demo_service(
    *,
    seed: int,
    customer_ids: Sequence[int],
    admin: User,
    service: User | None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Complaints, surveys, consent and the care agenda for a demo database."""
    rng = random.Random(seed + 6)
    now = now or timezone.now()
    handler = service or admin
    total = len(customer_ids)
    stats = {"complaints": 0, "survey_answers": 0, "consents": 0}
    if not total:
        return stats

    # --- complaints: most closed with feedback, some still open (a few overdue) ----
    incident = incident_create(
        actor=handler,
        data={"title": "保温杯漏水批次问题", "cause": CRISIS_TEXT, "description": CRISIS_TEXT},
    )
    picks = rng.sample(list(customer_ids), _clamp(total // 100, 5, 300))
    customers = Customer.objects.in_bulk(picks)
    for number, pk in enumerate(picks):
        crisis = number % 10 == 0
        category, text = (
            (Category.QUALITY, CRISIS_TEXT) if crisis else COMPLAINTS[number % len(COMPLAINTS)]
        )
        complaint = complaint_create(
            actor=handler,
            customer=customers[pk],
            data={
                "channel": rng.choice(Channel.values),
                "category": category,
                "severity": rng.choice(
                    [Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH]
                ),
                "description": text,
                "received_at": now - dt.timedelta(hours=rng.randint(1, 24 * 60)),
                **({"incident_id": incident.pk} if crisis else {}),
            },
        )
        stats["complaints"] += 1
        steps = rng.random()
        path: list[dict[str, Any]] = [{"to_status": Status.RECORDED}]
        if steps > 0.15:
            path.append({"to_status": Status.HANDLING})
        if steps > 0.35:
            path.append({"to_status": Status.FEEDBACK, "feedback": "已为客户换货并致歉。"})
            path.append({"to_status": Status.CLOSED, "customer_response": "客户表示接受。"})
        for step in path:  # the rest stay open: some of them overdue
            complaint = complaint_transition(
                actor=handler, complaint=complaint, version=complaint.version, **step
            )

    # --- satisfaction: a CSAT and an NPS survey, invitations answered by link --------
    csat = survey_save(
        actor=admin,
        data={"name": "服务满意度回访", "intro": "感谢您抽出一分钟时间。", "expiry_days": 14},
        questions=[
            {"kind": QuestionKind.CSAT, "text": "您对本次服务的满意程度？"},
            {"kind": QuestionKind.TEXT, "text": "还有什么想告诉我们的？", "required": False},
        ],
    )
    nps = survey_save(
        actor=admin,
        data={"name": "推荐意愿调查", "expiry_days": 30},
        questions=[{"kind": QuestionKind.NPS, "text": "您有多大可能向朋友推荐我们？"}],
    )
    invited = rng.sample(list(customer_ids), _clamp(total // 50, 10, 600))
    for survey, kind in ((csat, "csat"), (nps, "nps")):
        chosen = Customer.objects.filter(pk__in=invited[:: 2 if kind == "csat" else 3])
        sent = invitations_send(
            actor=admin, survey=survey, customers=chosen, channel=SurveyChannel.LINK
        )
        question = survey.questions.order_by("position", "pk").first()
        assert question is not None
        for link in sent.links.values():
            if rng.random() > 0.6:
                continue  # not everyone answers
            score = (
                rng.choices([1, 2, 3, 4, 5], [2, 3, 10, 40, 45])[0]
                if kind == "csat"
                else rng.choices(range(11), [1, 1, 1, 2, 2, 4, 6, 12, 20, 25, 26])[0]
            )
            response_record(
                raw_token=link.rstrip("/").rsplit("/", 1)[-1],
                values={f"q{question.pk}": str(score)},
            )
            stats["survey_answers"] += 1

    # --- marketing consent (PIPL): a share of customers said yes to SMS or e-mail -----
    for pk in rng.sample(list(customer_ids), _clamp(total // 10, 10, 1000)):
        consent_set(
            actor=admin,
            customer=Customer.objects.get(pk=pk),
            channel=rng.choice(["sms", "email"]),
            status="granted",
            source="form",
            note="门店登记表",
        )
        stats["consents"] += 1

    # --- today's care agenda ----------------------------------------------------------
    built = agenda_build(day=timezone.localdate(now), now=now)
    stats["care_items"] = getattr(built, "items", 0)
    return stats
