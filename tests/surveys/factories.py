"""Surveys for the tests, made through the real services."""

from __future__ import annotations

import re
from typing import Any

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.surveys.models import Invitation, Survey
from kehu.surveys.services import invitations_send, survey_save

QUESTIONS: list[dict[str, Any]] = [
    {"kind": "csat", "text": "您对本次服务满意吗？", "required": True},
    {"kind": "nps", "text": "您有多大可能把我们推荐给朋友？", "required": False},
    {"kind": "single", "text": "您是通过哪个渠道联系我们的？", "choices": ["电话", "微信"]},
    {
        "kind": "multiple",
        "text": "哪些方面做得好？",
        "required": False,
        "choices": ["速度", "态度", "专业"],
    },
    {"kind": "text", "text": "还有什么建议？", "required": False},
]


def make_survey(
    actor: User, *, name: str = "服务满意度", questions: Any = None, **data: Any
) -> Survey:
    return survey_save(
        actor=actor,
        data={"name": name, **data},
        questions=QUESTIONS if questions is None else questions,
    )


def send_link(
    actor: User, survey: Survey, customer: Customer, *, language: str = "zh-hans"
) -> tuple[Invitation, str]:
    """An invitation with its link (channel ``link``), and the link's raw token."""
    result = invitations_send(
        actor=actor, survey=survey, customers=[customer], channel="link", language=language
    )
    [invitation] = result.invitations
    url = result.links[invitation.pk]
    token = re.search(r"/surveys/a/([^/]+)/$", url)
    assert token is not None
    return invitation, token.group(1)


def answers_for(
    survey: Survey, *, csat: int | None = 5, nps: int | None = 9, **more: Any
) -> dict[str, Any]:
    """Form data answering ``survey`` (``QUESTIONS``): by kind."""
    data: dict[str, Any] = {}
    for q in survey.questions.order_by("position"):
        if q.kind == "csat" and csat is not None:
            data[f"q{q.pk}"] = str(csat)
        elif q.kind == "nps" and nps is not None:
            data[f"q{q.pk}"] = str(nps)
        elif q.kind == "single":
            data[f"q{q.pk}"] = more.get("single", q.choices[0])
        elif q.kind == "multiple":
            data[f"q{q.pk}"] = more.get("multiple", [q.choices[0]])
        elif q.kind == "text":
            data[f"q{q.pk}"] = more.get("text", "")
    return data
