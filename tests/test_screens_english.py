"""The screens of issue 18's missing pages read in English in English: the pool rules,
bulk transfer, flags, a new lifecycle model, applying rules and the group-send preview
(user data, such as the shipped models' and flags' Chinese names, aside)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from kehu.jobs.models import JobRun, JobStatus
from kehu.lifecycle.apply import apply_job_name
from kehu.lifecycle.models import LifecycleModel
from tests.factories import make_customer
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db


def english(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def page(client: Client, url: str, data: dict | None = None) -> str:
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 422), url
    return response.content.decode()


def test_pool_rules_and_bulk_transfer_in_english(org):
    client = english(org.admin)
    html = page(client, "/customers/pool/rules/")
    for words in ("Rules in force", "Change the rules", "returns to the pool", "You own 0"):
        assert words in html
    for words in ("现行规则", "天未跟进", "修改规则", "上限"):
        assert words not in html
    make_customer(org.sales, name="甲")
    html = page(english(org.manager), "/customers/transfer/")
    assert "Good to know" in html and "(1 customers)" in html
    assert "注意事项" not in html and "个客户" not in html


def test_flags_pages_in_english(org):
    client = english(org.admin)
    html = page(client, "/lifecycle/flags/")
    assert "Add a flag" in html and "Rules that read it" in html and "Retire" in html
    assert "添加标记" not in html and "读取它的规则" not in html
    html = page(client, "/lifecycle/flags/key_account/")
    assert "Edit flag" in html and "编辑标记" not in html


def test_new_model_and_apply_pages_in_english(org):
    client = english(org.admin)
    html = page(client, "/lifecycle/models/new/?copy=six_phase")
    assert "New lifecycle model" in html and "A copy of the stages and rules" in html
    assert "新建生命周期模型" not in html and "空白模型" not in html
    html = page(client, "/lifecycle/models/six_phase/")
    assert "When the rules take effect" in html and "Apply to every customer now" in html
    assert "规则何时生效" not in html
    model = LifecycleModel.objects.get(key="six_phase")
    run = JobRun.objects.create(
        name=apply_job_name(model),
        status=JobStatus.OK,
        started_at=timezone.now(),
        progress_done=3,
        progress_total=3,
        result={"model": "six_phase", "customers": 3, "changes": 1},
    )
    html = page(client, f"/lifecycle/models/six_phase/apply/{run.pk}/")
    assert "Done: 3 customers evaluated." in html and "1 customer changed stage." in html
    assert "完成" not in html and "评估" not in html


def test_group_send_preview_in_english(org):
    consenting_customer(org.sales, name="甲")
    make_customer(org.sales, name="乙", phones=("+8613900000002",))
    data = {
        "name": "x",
        "channel": "sms",
        "purpose": "marketing",
        "body": "hi",
        "action": "preview",
    }
    html = page(english(org.sales), "/messages/new/", data)
    for words in ("All channels", "only goes to customers you own", "Send to this 1 customer"):
        assert words in html
    assert "1 will be skipped:" in html
    for words in ("全部渠道", "只会发给", "将跳过", "发送给"):
        assert words not in html
