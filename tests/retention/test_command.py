"""``kehu retention``: list, start for a segment, report."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kehu.retention.models import PlaybookRun
from kehu.segments.services import members_add, segment_create
from tests.factories import make_customer
from tests.retention.conftest import make_playbook


def _run(*args: str) -> str:
    out = StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_list_start_for_a_segment_and_report(org):
    customers = [make_customer(org.sales, name=f"客户{i}") for i in range(2)]
    segment = segment_create(actor=org.admin, data={"name": "名单", "kind": "static"})
    members_add(actor=org.admin, segment=segment, customer_ids=[c.pk for c in customers])
    playbook = make_playbook(org.manager)
    assert playbook.name in _run("list")
    assert "started 2" in _run("start", str(playbook.pk), "--segment", str(segment.pk))
    assert PlaybookRun.objects.count() == 2
    report = _run("report", str(playbook.pk), "--by", "team")
    assert "华东" in report and "not enough data" in report


def test_start_without_a_segment_is_refused(org):
    playbook = make_playbook(org.manager)
    with pytest.raises(CommandError):
        _run("start", str(playbook.pk))
