"""Words stored as facts (``kehu.core.texts``): who registers which code, every code
renders every part in both languages, and what a row that cannot be rendered shows."""

from __future__ import annotations

import pytest
from django.utils import translation

from kehu.core.texts import message_codes, message_render

# One set of params per registered code, as its writer stores them.
EXAMPLES = {
    "followups.kind": {"kind": "call"},
    "followups.task_due": {
        "task": {"title": "", "message": "followups.kind", "params": {"kind": "visit"}},
        "customer": "甲",
        "due": "2026-12-01 10:00",
    },
    "followups.pool_notice": {"customer": "甲", "due": "2026-12-01"},
    "complaints.escalated": {
        "customer": "甲",
        "deadline": "response",
        "id": 7,
        "severity": "high",
        "handler": None,
        "hours": 2,
        "minutes": 5,
    },
    "complaints.changed": {"fields": ["severity", "handler"]},
    "complaints.incident": {"channel": "sms", "body": "已召回"},
    "complaints.moved": {"close_reason": "重复登记", "note": ""},
    "care.item": {"rule": "生日关怀", "reason": "birthday", "note": {"month": 9, "day": 25}},
    "customers.reclaimed": {"rule": "deal", "days": 30},
    "customers.merged": {"id": 7},
    "customers.unmerged": {"id": 7},
    "surveys.low_score": {"survey": "售后", "csat": 2, "nps": None},
    "pipeline.stale": {"name": "门店改造", "customer": "甲", "days": 15, "opportunity_id": 3},
    "value.retention": {
        "customer": "甲",
        "reasons": [{"code": "contact_lapsed", "params": {"days": 40, "usual": 14}}],
    },
    "retention.step": {
        "playbook": "高风险挽留",
        "kind": "coupon",
        "title": "了解原因",
        "template": "",
        "coupon": "回归礼券",
        "customer": "甲",
    },
}


def test_who_registers_which_code_and_part():
    assert message_codes() == {
        "care.item": ("title", "notes"),
        "complaints.changed": ("note",),
        "complaints.escalated": ("title", "body"),
        "complaints.incident": ("note",),
        "complaints.moved": ("note",),
        "customers.merged": ("reason",),
        "customers.reclaimed": ("reason",),
        "customers.unmerged": ("reason",),
        "followups.kind": ("title",),
        "followups.pool_notice": ("title", "body"),
        "followups.task_due": ("title", "body"),
        "pipeline.stale": ("title", "notes"),
        "surveys.low_score": ("title", "notes"),
        "value.retention": ("title", "notes"),
        "retention.step": ("title", "notes"),
    }


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_every_code_renders_every_part_in_both_languages(code):
    for part in message_codes()[code]:
        with translation.override("zh-hans"):
            chinese = message_render(code, EXAMPLES[code], part, "stored")
        with translation.override("en"):
            english = message_render(code, EXAMPLES[code], part, "stored")
        assert chinese and english and "stored" not in (chinese, english)
        assert chinese != english, (code, part)


def test_rows_that_cannot_be_rendered_show_what_they_stored():
    assert message_render("", None, "title", "旧标题") == "旧标题"  # words, no code
    assert message_render("someday.new", {"x": 1}, "title", "旧标题") == "旧标题"
    assert message_render("followups.kind", {"kind": "call"}, "notes", "备注") == "备注"
    assert message_render("followups.kind", {"kind": "nope"}, "title", "旧标题") == "旧标题"
    assert message_render("followups.kind", None, "title", "旧标题") == "旧标题"
    assert message_render("surveys.low_score", {}, "title", "旧标题") == "旧标题"
