"""The value pages: empty and full, who is refused, the card, the retention task, the
settings with optimistic locking, the nightly job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.followups.models import Task, TaskKind, TaskPurpose, TaskStatus
from kehu.jobs.models import JobRun
from kehu.value.models import RunStatus, ScoreRun, ValueSettings
from kehu.value.services import score_run, value_settings
from kehu.value.tasks import value_score
from tests.value.factories import customers, order, population


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scored(org):
    people = population(org.sales)
    others = customers(3, org.west_sales, prefix="西")
    for person in others:
        order(person, dt.date(2025, 1, 1))
    run = score_run(as_of=timezone.localdate())
    assert run.status == RunStatus.SUCCEEDED
    return people, others, run


PAGES = ("value:dashboard", "value:at_risk", "value:model", "value:settings")


def test_empty_states(org):
    for name in PAGES:
        response = client_for(org.admin).get(reverse(name))
        assert response.status_code == 200, name
    assert (
        "还没有价值评分" in client_for(org.admin).get(reverse("value:dashboard")).content.decode()
    )
    assert (
        'id="value-empty"' in client_for(org.sales).get(reverse("value:at_risk")).content.decode()
    )


def test_full_pages_render_from_the_snapshot(org, scored, django_assert_max_num_queries):
    run = scored[2]
    admin = client_for(org.admin)
    with django_assert_max_num_queries(8):
        body = admin.get(reverse("value:dashboard")).content.decode()
    for marker in ("chart-pareto", "table-split", "table-tiers", "table-clv", "value-data"):
        assert marker in body
    assert "NaN" not in body and "Infinity" not in body
    with django_assert_max_num_queries(10):
        body = admin.get(reverse("value:at_risk")).content.decode()
    assert "table-at-risk" in body
    body = admin.get(reverse("value:model")).content.decode()
    assert 'id="model-bgnbd"' in body and 'id="model-mbgnbd"' in body
    assert 'id="backtest-bgnbd"' in body and 'id="backtest-mbgnbd"' in body
    used = run.params["model"]
    assert f'<tr id="backtest-{used}" class="table-success">' in body


def test_refused_roles(org, scored):
    for user in (org.sales, org.service, org.west_sales):
        assert client_for(user).get(reverse("value:dashboard")).status_code == 403
    assert client_for(org.service).get(reverse("value:at_risk")).status_code == 403
    for user in (org.manager, org.analyst, org.sales, org.service):
        assert client_for(user).get(reverse("value:model")).status_code == 403
        assert client_for(user).get(reverse("value:settings")).status_code == 403
        assert client_for(user).post(reverse("value:run_now")).status_code == 403
    for user in (org.manager, org.analyst):
        assert client_for(user).get(reverse("value:dashboard")).status_code == 200
    assert Client().get(reverse("value:dashboard")).status_code == 302


def test_sales_see_only_their_customers_at_risk(org, scored):
    _people, others, _run = scored
    body = client_for(org.sales).get(reverse("value:at_risk") + "?page=1").content.decode()
    assert all(o.name not in body for o in others)
    body = client_for(org.west_sales).get(reverse("value:at_risk")).content.decode()
    assert "西0" in body and "人口" not in body
    assert client_for(org.sales).get(reverse("value:at_risk") + "?page=999").status_code == 404


def test_one_click_retention_task_once(org, scored):
    _people, others, _run = scored
    target = others[0]
    url = reverse("value:retention_task", args=[target.pk])
    assert client_for(org.sales).post(url).status_code == 404  # not theirs
    assert client_for(org.analyst).post(url).status_code == 403
    client = client_for(org.west_sales)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert "已创建挽留任务" in response.content.decode()
    client.post(url)
    task = Task.objects.get(customer=target)
    assert task.title_text.startswith("挽留：") and task.assignee == org.west_sales
    # Clicked again by someone reading English: still the one open task.
    client.cookies["django_language"] = "en"
    client.post(url)
    assert Task.objects.filter(customer=target).count() == 1
    # Found by its purpose, not its title: renamed, it is still the one; a task staff
    # titled the same way by hand is not it.
    Task.objects.filter(pk=task.pk).update(title="周五再打一次")
    client.post(url)
    assert Task.objects.filter(customer=target).count() == 1
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE)
    by_hand = Task.objects.create(
        customer=target,
        assignee=org.west_sales,
        kind=TaskKind.CALL,
        title="挽留：手工记的",
        due_at=timezone.now(),
    )
    client.post(url)
    made = Task.objects.filter(customer=target, purpose=TaskPurpose.RETENTION, status="open")
    assert made.count() == 1 and made.get().pk not in (task.pk, by_hand.pk)


def test_retention_tasks_from_before_purposes_are_marked(org, scored):
    """Migration followups 0002: the retention tasks made before tasks had a purpose
    (known by their title's prefix, in either language) are marked as such."""
    from importlib import import_module

    from django.apps import apps

    _people, others, _run = scored
    made = {
        title: Task.objects.create(
            customer=others[0],
            assignee=org.west_sales,
            kind=kind,
            title=title,
            due_at=timezone.now(),
        )
        for title, kind in (
            ("挽留：客户甲", TaskKind.CALL),
            ("Retention: Customer B", TaskKind.CALL),
            ("挽留：礼品", TaskKind.GIFT),
            ("回访：客户甲", TaskKind.CALL),
        )
    }
    import_module("kehu.followups.migrations.0002_task_purpose").mark_retention_tasks(apps, None)
    marked = {t.title for t in made.values() if Task.objects.get(pk=t.pk).purpose}
    assert marked == {"挽留：客户甲", "Retention: Customer B"}


def test_value_card_on_the_customer_page(org, scored):
    _people, others, _run = scored
    body = (
        client_for(org.west_sales)
        .get(reverse("customers:detail", args=[others[0].pk]))
        .content.decode()
    )
    assert 'id="value-card"' in body and "★" in body
    assert "value-overdue" in body  # never contacted: overdue for its tier's cadence
    quiet = customers(1, org.sales, prefix="无单")[0]
    body = client_for(org.sales).get(reverse("customers:detail", args=[quiet.pk])).content.decode()
    assert "未评分" in body


def test_settings_form_with_optimistic_locking(org):
    admin = client_for(org.admin)
    conf = value_settings()
    data = {
        f: getattr(conf, f)
        for f in ("rfm_bins", "retention_cost", "clv_months", "monthly_discount", "cost_to_serve")
    }
    for n in (2, 3, 4, 5):
        data[f"tier{n}_min_value"] = getattr(conf, f"tier{n}_min_value")
        data[f"tier{n}_min_orders"] = getattr(conf, f"tier{n}_min_orders")
    for n in (1, 2, 3, 4, 5):
        data[f"cadence{n}_days"] = getattr(conf, f"cadence{n}_days")
    response = admin.post(reverse("value:settings"), {**data, "cadence5_days": 7, "version": 1})
    assert response.status_code == 302
    assert ValueSettings.objects.get().cadence5_days == 7
    stale = admin.post(reverse("value:settings"), {**data, "cadence5_days": 9, "version": 1})
    assert stale.status_code == 422 and "已被他人修改" in stale.content.decode()
    bad = admin.post(reverse("value:settings"), {**data, "tier3_min_value": "1", "version": 2})
    assert bad.status_code == 422 and "不能越低" in bad.content.decode()
    from kehu.care.cadence import cadence_table

    assert cadence_table().days_for(tier="5") == 7


def test_nightly_job_is_idempotent_and_run_now_enqueues(org):
    (a,) = customers(1, org.sales)
    order(a, timezone.localdate() - dt.timedelta(days=3))
    first = value_score()
    second = value_score()
    assert first["status"] == "insufficient" and not second.get("skipped")
    assert ScoreRun.objects.filter(as_of=timezone.localdate()).count() == 1
    population(org.sales)
    assert value_score()["status"] == "succeeded"
    assert value_score()["skipped"] is True
    assert ScoreRun.objects.filter(as_of=timezone.localdate()).count() == 1
    client_for(org.admin).post(reverse("value:run_now"))
    assert JobRun.objects.filter(name="value_score", status="ok").exists()
    assert ScoreRun.objects.filter(as_of=timezone.localdate()).count() == 1


def test_at_risk_count_is_capped_for_a_partial_view(org, scored, monkeypatch):
    from kehu.value import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    page = selectors.at_risk_page(org.sales, page=1, page_size=1)
    assert page.count == 2 and page.count_is_capped and page.num_pages == 2
    assert page.has_next and len(page.items) == 1
    # Past the cap the pager still walks on, as the customer list does.
    beyond = selectors.at_risk_page(org.sales, page=3, page_size=1)
    assert len(beyond.items) == 1 and beyond.has_next
    full = selectors.at_risk_page(org.admin, page=1)
    assert not full.count_is_capped and full.count > 2  # counted by the run


def test_at_risk_export_is_scoped_and_reads_in_excel(org, scored):
    from kehu.value.models import CustomerValue

    url = reverse("value:at_risk_export")
    assert client_for(org.service).get(url).status_code == 403
    response = client_for(org.west_sales).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="at-risk-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff客户编号,客户,负责人")
    lines = text.strip().splitlines()[1:]
    mine = (
        CustomerValue.objects.filter(at_risk=True, customer__owner=org.west_sales).count()
        + CustomerValue.objects.filter(at_risk=True, customer__owner__isnull=True).count()
    )
    assert len(lines) == mine and all("人口" not in line for line in lines)
    page = client_for(org.admin).get(reverse("value:at_risk")).content.decode()
    assert 'id="at-risk-export"' in page


def test_the_retention_task_reads_in_its_readers_language(org, scored):
    """Made by someone reading Chinese, the task keeps the warning's reasons as codes:
    an English reader reads it in English."""
    from django.utils import translation

    from kehu.value.models import CustomerValue

    _people, _others, run = scored
    row = next(
        row
        for row in CustomerValue.objects.filter(run=run).select_related("customer__owner")
        if row.reasons and row.customer.owner is not None
    )
    customer = row.customer
    client = client_for(customer.owner)
    client.post(reverse("value:retention_task", args=[customer.pk]))
    client.get(reverse("followups:my_work"))  # the flash message, read in Chinese
    task = Task.objects.get(customer=customer, purpose=TaskPurpose.RETENTION)
    assert (task.title, task.notes, task.message) == ("", "", "value.retention")
    assert task.title_text == f"挽留：{customer.name}"
    assert task.notes_text.startswith("流失预警：\n· ")
    client.cookies["django_language"] = "en"
    english = client.get(reverse("followups:my_work")).content.decode()
    assert f"Retention: {customer.name}" in english and "挽留：" not in english
    with translation.override("en"):
        assert task.notes_text.startswith("Churn warning:\n· ")
        assert "流失预警" not in task.notes_text
