"""Admin pages of lifecycle models: the model list and its toggles, stages, rules and the
rule editor with its preview; admins only."""

from __future__ import annotations

import json
import random

import pytest
from django.test import Client
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.lifecycle import engine
from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.models import CustomerStage, LifecycleModel, Rule, Stage
from tests.conftest import Org
from tests.factories import make_customer
from tests.lifecycle.factories import buy, days_ago

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(org: Org) -> Client:
    return client_for(org.admin)


def six_phase() -> LifecycleModel:
    return LifecycleModel.objects.get(key="six_phase")


def exit_rule() -> Rule:
    return Rule.objects.get(model__key="six_phase", to_stage__key="exit")


def rule_post(rule: Rule, **changes) -> dict:
    data = {
        "name": rule.name,
        "from_stages": list(rule.from_stages),
        "to_stage": rule.to_stage.key,
        "priority": rule.priority,
        "is_active": "on" if rule.is_active else "",
        "condition": json.dumps(rule.condition),
        "version": rule.version,
    }
    data.update(changes)
    return data


# --- the model list --------------------------------------------------------------------------


def test_model_list_shows_stages_and_customers_per_stage(org, admin, django_assert_max_num_queries):
    for name in ("甲", "乙"):
        make_customer(org.sales, name=name)
    lifecycle_evaluate(Customer.objects.values_list("pk", flat=True), now=timezone.now())
    with django_assert_max_num_queries(12):
        response = admin.get("/lifecycle/models/")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("六阶段客户管理", "呼叫中心五阶段", "客户四状态", "six_phase", "识别", "退出"):
        assert name in text
    rows = response.context["rows"]
    six = next(row for row in rows if row.model.key == "six_phase")
    assert {item.stage.key: item.customers for item in six.stages}["identify"] == 2
    assert six.customers == 2


def test_activate_and_set_default_with_htmx(admin):
    model = LifecycleModel.objects.get(key="four_states")
    response = admin.post(
        "/lifecycle/models/four_states/toggle/",
        {"field": "is_default", "value": "true", "version": model.version},
        **HTMX,
    )
    assert response.status_code == 200 and "models-error" not in response.content.decode()
    model.refresh_from_db()
    assert model.is_default and model.is_active
    assert not six_phase().is_default and six_phase().is_active


def test_a_stale_version_is_a_conflict_and_changes_nothing(admin):
    model = LifecycleModel.objects.get(key="call_center")
    stale = model.version
    admin.post(
        "/lifecycle/models/call_center/toggle/",
        {"field": "is_active", "value": "true", "version": stale},
        **HTMX,
    )
    response = admin.post(
        "/lifecycle/models/call_center/toggle/",
        {"field": "is_active", "value": "false", "version": stale},
        **HTMX,
    )
    text = response.content.decode()
    assert "models-error" in text and "已被他人修改" in text
    model.refresh_from_db()
    assert model.is_active and model.version == stale + 1


def test_the_default_model_cannot_be_switched_off(admin):
    model = six_phase()
    response = admin.post(
        "/lifecycle/models/six_phase/toggle/",
        {"field": "is_active", "value": "false", "version": model.version},
    )
    assert response.status_code == 302
    page = admin.get("/lifecycle/models/").content.decode()
    assert "默认模型不能停用" in page
    assert six_phase().is_active


# --- one model: stages and rules ---------------------------------------------------------------


def test_model_page_lists_stages_and_rules_in_words(admin):
    response = admin.get("/lifecycle/models/six_phase/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'type="color"' in text
    rules = response.context["detail"].rules
    assert [row.rule.priority for row in rules] == sorted(row.rule.priority for row in rules)
    first = next(row for row in rules if row.rule.name == "首次购买")
    assert first.from_names == ["识别"] and first.condition_text == "订单数 ≥ 1 单"
    assert "最近一次购买距今 ≥ 4 × 平均购买间隔" in text


def test_model_name_and_description_with_version_check(admin):
    model = six_phase()
    url = "/lifecycle/models/six_phase/edit/"
    data = {"name": "六阶段", "description": "新的说明", "version": model.version}
    assert admin.post(url, data).status_code == 302
    model.refresh_from_db()
    assert (model.name, model.description) == ("六阶段", "新的说明")
    response = admin.post(url, {**data, "name": "又改了"})  # the version read before
    assert response.status_code == 422 and "已被他人修改" in response.content.decode()
    assert 'value="又改了"' in response.content.decode()
    assert six_phase().name == "六阶段"


def test_stage_edit_with_htmx_and_bad_colour(admin):
    stage = Stage.objects.get(model__key="six_phase", key="retain")
    url = f"/lifecycle/models/six_phase/stages/{stage.pk}/"
    data = {"name": "挽回", "color": "#123456", "description": "需要挽回", "position": 4}
    response = admin.post(url, {**data, "kind": "normal"}, **HTMX)
    assert response.status_code == 200 and "已保存" in response.content.decode()
    stage.refresh_from_db()
    assert (stage.name, stage.color, stage.description) == ("挽回", "#123456", "需要挽回")

    response = admin.post(url, {**data, "name": "X", "color": "red", "kind": "normal"})
    assert response.status_code == 422
    assert "颜色格式为 #RRGGBB" in response.content.decode()
    assert 'value="X"' in response.content.decode()  # what was typed stays
    stage.refresh_from_db()
    assert stage.name == "挽回"


def test_add_a_stage_and_refuse_a_duplicate_key(admin):
    data = {"key": "vip", "name": "贵宾", "color": "#6f42c1", "position": 7, "kind": "normal"}
    response = admin.post("/lifecycle/models/six_phase/stages/new/", data)
    assert response.status_code == 302
    assert Stage.objects.filter(model__key="six_phase", key="vip", name="贵宾").exists()
    response = admin.post("/lifecycle/models/six_phase/stages/new/", {**data, "name": "重复"})
    assert response.status_code == 422
    assert Stage.objects.filter(model__key="six_phase", key="vip").count() == 1


def test_rule_toggle_with_stale_version(admin):
    rule = exit_rule()
    url = f"/lifecycle/rules/{rule.pk}/toggle/"
    response = admin.post(url, {"version": rule.version}, **HTMX)  # switch off
    assert response.status_code == 200 and "rules-error" not in response.content.decode()
    rule.refresh_from_db()
    assert not rule.is_active
    response = admin.post(url, {"version": rule.version - 1, "is_active": "true"}, **HTMX)
    assert "已被他人修改" in response.content.decode()
    rule.refresh_from_db()
    assert not rule.is_active


# --- the rule editor ---------------------------------------------------------------------------


@pytest.fixture
def customers(org):
    """a: bought 100 days ago (获取); b: 200 days ago (挽留); c: 10 days ago (获取);
    d: never (识别)."""
    made = {}
    for name, ago in (("a", 100), ("b", 200), ("c", 10), ("d", None)):
        made[name] = make_customer(org.sales, name=f"客户{name}")
        if ago is not None:
            buy(org.sales, made[name], days_ago(ago))
    lifecycle_evaluate([c.pk for c in made.values()], now=timezone.now())
    return made


def stage_key(customer) -> str:
    return CustomerStage.objects.get(customer=customer, model__key="six_phase").stage.key


def test_editor_shows_facts_operators_and_examples(admin):
    rule = exit_rule()
    response = admin.get(f"/lifecycle/rules/{rule.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    for needle in ("days_since_last_order", "最近一次购买距今", "median_gap_days", "has", "预览"):
        assert needle in text
    assert "超过其平均购买间隔 2 倍且至少 60 天未购买" in text
    assert "&quot;times&quot;: 2" in text
    new = admin.get("/lifecycle/models/six_phase/rules/new/")
    assert new.status_code == 200 and "新建流转规则" in new.content.decode()


def test_preview_counts_customers_the_draft_would_move(admin, customers):
    assert [stage_key(customers[n]) for n in "abcd"] == ["acquire", "retain", "acquire", "identify"]
    rule = exit_rule()
    condition = {"fact": "days_since_last_order", "op": ">=", "value": 90}
    response = admin.post(
        f"/lifecycle/rules/{rule.pk}/preview/",
        rule_post(rule, condition=json.dumps(condition)),
        **HTMX,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "今天将有 2 位客户从 获取、发展、维护、挽留 移到 退出" in text
    assert "客户a" in text and "客户b" in text and "客户c" not in text
    preview = response.context["preview"]
    assert preview.total == 2 and [s.customer.name for s in preview.samples] == ["客户a", "客户b"]
    # Nothing written: the rule and the customers' stages are as they were.
    assert exit_rule().condition == rule.condition and exit_rule().version == rule.version
    assert stage_key(customers["a"]) == "acquire"


def test_preview_of_a_large_book_is_estimated_from_a_sample(admin, customers, monkeypatch):
    """Above ``PREVIEW_LIMIT`` customers the preview evaluates a random sample (the same
    one each time) and scales its counts to the whole book, and says so."""
    monkeypatch.setattr(engine, "PREVIEW_LIMIT", 2)
    alive = sorted(Customer.objects.alive().values_list("pk", flat=True))
    sample = set(random.Random(engine.PREVIEW_SEED).sample(alive, 2))
    moving = {customers["a"].pk, customers["b"].pk}  # as in the exact preview above
    expected = round(len(sample & moving) * len(alive) / 2)
    rule = exit_rule()
    condition = {"fact": "days_since_last_order", "op": ">=", "value": 90}
    data = rule_post(rule, condition=json.dumps(condition))
    response = admin.post(f"/lifecycle/rules/{rule.pk}/preview/", data, **HTMX)
    preview = response.context["preview"]
    assert preview.estimated and (preview.evaluated, preview.population) == (2, len(alive))
    assert preview.total == expected
    assert {s.customer.pk for s in preview.samples} <= sample & moving
    text = response.content.decode()
    assert f"今天约有 {expected} 位客户" in text and "按随机抽取的 2 位客户" in text
    again = admin.post(f"/lifecycle/rules/{rule.pk}/preview/", data, **HTMX)
    assert again.context["preview"].total == expected  # the same sample: the same estimate

    # Within the limit every customer counts, exactly.
    monkeypatch.setattr(engine, "PREVIEW_LIMIT", len(alive))
    response = admin.post(f"/lifecycle/rules/{rule.pk}/preview/", data, **HTMX)
    preview = response.context["preview"]
    assert not preview.estimated and preview.total == 2
    assert "preview-estimate" not in response.content.decode()


def test_preview_of_a_new_rule_and_of_bad_input(admin, customers):
    data = {
        "name": "有过购买",
        "from_stages": [],
        "to_stage": "develop",
        "priority": 5,
        "is_active": "on",
        "condition": '{"fact": "orders_count", "op": ">=", "value": 1}',
    }
    response = admin.post("/lifecycle/models/six_phase/rules/new/preview/", data, **HTMX)
    assert "今天将有 3 位客户从任意阶段移到 发展" in response.content.decode()
    assert not Rule.objects.filter(name="有过购买").exists()

    bad = {**data, "condition": '{"fact": "weather", "op": ">", "value": 1}'}
    response = admin.post("/lifecycle/models/six_phase/rules/new/preview/", bad, **HTMX)
    assert "preview-errors" in response.content.decode()
    assert "未知的事实“weather”" in response.content.decode()
    broken = {**data, "condition": '{"fact": '}
    response = admin.post("/lifecycle/models/six_phase/rules/new/preview/", broken, **HTMX)
    assert "条件不是有效的 JSON" in response.content.decode()


def test_save_changes_the_rule(admin):
    rule = exit_rule()
    condition = {"fact": "days_since_last_order", "op": ">=", "value": 400}
    response = admin.post(
        f"/lifecycle/rules/{rule.pk}/", rule_post(rule, condition=json.dumps(condition))
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.condition == condition and rule.time_dependent


def test_save_refuses_an_unknown_fact_and_keeps_what_was_typed(admin):
    rule = exit_rule()
    typed = '{"fact": "weather", "op": ">", "value": 1}'
    response = admin.post(f"/lifecycle/rules/{rule.pk}/", rule_post(rule, condition=typed))
    assert response.status_code == 422
    text = response.content.decode()
    assert "未知的事实“weather”" in text and "condition-errors" in text
    assert "&quot;weather&quot;" in text  # the textarea keeps the draft
    assert exit_rule().condition == rule.condition


def test_save_refuses_a_loop(admin):
    data = {
        "name": "退出后挽留",
        "from_stages": ["exit"],
        "to_stage": "retain",
        "priority": 5,
        "is_active": "on",
        "condition": '{"fact": "days_since_last_order", "op": ">=", "value": 1}',
    }
    response = admin.post("/lifecycle/models/six_phase/rules/new/", data)
    assert response.status_code == 422
    text = response.content.decode()
    assert "来回移动" in text and "退出后挽留" in text
    assert not Rule.objects.filter(name="退出后挽留").exists()


def test_save_with_a_stale_version_keeps_the_draft(admin):
    rule = exit_rule()
    response = admin.post(
        f"/lifecycle/rules/{rule.pk}/",
        rule_post(rule, name="新名字", version=rule.version + 5),
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "已被他人修改" in text and 'value="新名字"' in text
    assert exit_rule().name == rule.name


# --- access ------------------------------------------------------------------------------------


def pages(rule: Rule, stage: Stage) -> list[tuple[str, str]]:
    return [
        ("get", "/lifecycle/models/"),
        ("get", "/lifecycle/models/six_phase/"),
        ("get", f"/lifecycle/rules/{rule.pk}/"),
        ("get", "/lifecycle/models/six_phase/rules/new/"),
        ("post", "/lifecycle/models/six_phase/toggle/"),
        ("post", "/lifecycle/models/six_phase/edit/"),
        ("post", f"/lifecycle/models/six_phase/stages/{stage.pk}/"),
        ("post", "/lifecycle/models/six_phase/stages/new/"),
        ("post", f"/lifecycle/rules/{rule.pk}/preview/"),
        ("post", "/lifecycle/models/six_phase/rules/new/preview/"),
        ("post", f"/lifecycle/rules/{rule.pk}/toggle/"),
        ("post", f"/lifecycle/rules/{rule.pk}/"),
    ]


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_only_admins_may_open_the_pages(org, role):
    rule, stage = exit_rule(), Stage.objects.get(model__key="six_phase", key="exit")
    client = client_for(getattr(org, role))
    for method, url in pages(rule, stage):
        response = getattr(client, method)(url, {"version": rule.version})
        assert response.status_code == 403, (role, url)
    assert exit_rule().is_active and exit_rule().version == rule.version


def test_anonymous_users_are_sent_to_login(db):
    rule, stage = exit_rule(), Stage.objects.get(model__key="six_phase", key="exit")
    for method, url in pages(rule, stage):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_menu_link_only_for_admins(org, admin):
    assert "/lifecycle/models/" in admin.get("/lifecycle/analytics/").content.decode()
    other = client_for(org.manager).get("/lifecycle/analytics/").content.decode()
    assert "/lifecycle/models/" not in other


def test_preview_without_javascript_shows_the_whole_editor(admin, customers):
    rule = exit_rule()
    typed = '{"fact": "days_since_last_order", "op": ">=", "value": 90}'
    response = admin.post(f"/lifecycle/rules/{rule.pk}/preview/", rule_post(rule, condition=typed))
    assert response.status_code == 200
    text = response.content.decode()
    assert "今天将有 2 位客户" in text and 'id="rule-form"' in text
    assert "&quot;value&quot;: 90" in text  # the draft stays in the textarea
