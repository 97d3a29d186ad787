"""Why a stage changed reads in the reader's language, whoever's language was active when
the change was made; changes written with words (manual ones, old ones) keep them."""

from __future__ import annotations

import pytest
from django.utils import translation

from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.models import LifecycleModel, Stage, StageChange, StageChangeKind
from tests.api.conftest import api_client_for
from tests.factories import make_customer
from tests.lifecycle.factories import NOW, buy, days_ago

ZH = "订单数 1 单"
EN = "Orders: 1 orders"


@pytest.fixture
def bought(org, engine_off):
    customer = make_customer(org.sales, name="甲")
    buy(org.sales, customer, days_ago(10))
    return customer


def _page(client, customer, language):
    client.cookies["django_language"] = language
    return client.get(f"/customers/{customer.pk}/").content.decode()


def _api_reasons(org, customer, language):
    api = api_client_for(org.sales)
    models = api.get(f"/api/v1/customers/{customer.pk}/lifecycle", **{"Accept-Language": language})
    assert models.status_code == 200
    six = next(m for m in models.json() if m["model"] == "six_phase")
    return [change["reason"] for change in six["history"]]


def test_a_reason_made_in_chinese_reads_in_english(org, client, bought):
    with translation.override("zh-hans"):
        lifecycle_evaluate([bought.pk], now=NOW)
    change = StageChange.objects.get(customer=bought)
    assert change.reason == "" and change.explanation["steps"]
    client.force_login(org.sales)

    english = _page(client, bought, "en")
    assert "Added to the lifecycle model" in english and EN in english
    assert "纳入生命周期模型" not in english and ZH not in english
    (reason,) = _api_reasons(org, bought, "en")
    assert reason.startswith("Added to the lifecycle model") and EN in reason

    chinese = _page(client, bought, "zh-hans")
    assert "纳入生命周期模型" in chinese and ZH in chinese
    (reason,) = _api_reasons(org, bought, "zh-hans")
    assert reason.startswith("纳入生命周期模型") and ZH in reason


def test_a_reason_made_in_english_reads_in_chinese(org, client, bought):
    with translation.override("en"):
        lifecycle_evaluate([bought.pk], now=NOW)
    client.force_login(org.sales)
    chinese = _page(client, bought, "zh-hans")
    assert "纳入生命周期模型" in chinese and ZH in chinese
    assert "Added to the lifecycle model" not in chinese
    (reason,) = _api_reasons(org, bought, "zh-hans")
    assert reason.startswith("纳入生命周期模型")
    with translation.override("en"):
        assert StageChange.objects.get(customer=bought).reason_text.startswith("Added to")


def test_the_timeline_words_the_reason_for_its_reader(org, bought):
    lifecycle_evaluate([bought.pk], now=NOW)
    api = api_client_for(org.sales)
    url = f"/api/v1/customers/{bought.pk}/timeline?kind=lifecycle"
    (event,) = api.get(url, **{"Accept-Language": "en"}).json()["items"]
    assert event["detail"].startswith("Added to the lifecycle model")
    (event,) = api.get(url, **{"Accept-Language": "zh-hans"}).json()["items"]
    assert event["detail"].startswith("纳入生命周期模型")


def test_old_and_manual_reasons_keep_their_words(org, client, bought):
    """A change written before explanations (words only) and a manual move's typed
    reason read as written, in either language."""
    model = LifecycleModel.objects.get(key="six_phase")
    identify, develop = (Stage.objects.get(model=model, key=key) for key in ("identify", "develop"))
    StageChange.objects.create(
        customer=bought,
        model=model,
        to_stage=identify,
        at=days_ago(5),
        kind=StageChangeKind.INITIAL,
        reason="纳入生命周期模型 → 旧规则：订单数 1 单",
        facts={"orders_count": 1},
    )
    StageChange.objects.create(
        customer=bought,
        model=model,
        from_stage=identify,
        to_stage=develop,
        at=days_ago(4),
        kind=StageChangeKind.MANUAL,
        actor=org.sales,
        reason="展会上聊过",
    )
    client.force_login(org.sales)
    for language in ("en", "zh-hans"):
        page = _page(client, bought, language)
        assert "纳入生命周期模型 → 旧规则：订单数 1 单" in page and "展会上聊过" in page
        assert _api_reasons(org, bought, language) == [
            "展会上聊过",
            "纳入生命周期模型 → 旧规则：订单数 1 单",
        ]


def test_reading_reasons_costs_no_query_per_change(org, bought, django_assert_max_num_queries):
    """The words are worked out from the row itself: the API answers in the same number
    of queries for many changes as for one."""
    from kehu.lifecycle.models import CustomerStage

    lifecycle_evaluate([bought.pk], now=NOW)
    api = api_client_for(org.sales)
    url = f"/api/v1/customers/{bought.pk}/lifecycle"
    english = {"Accept-Language": "en"}
    api.get(url, **english)  # warm
    with django_assert_max_num_queries(50) as one:
        api.get(url, **english)
    for day in range(1, 25):  # placed again each time: a change per evaluation
        CustomerStage.objects.filter(customer=bought).delete()
        lifecycle_evaluate([bought.pk], now=days_ago(-day))
    with django_assert_max_num_queries(len(one.captured_queries)):
        models = api.get(url, **english).json()
    history = next(m for m in models if m["model"] == "six_phase")["history"]
    assert len(history) == 25 and all(c["reason"].startswith("Added to") for c in history)
