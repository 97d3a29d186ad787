"""Target fit in the app: the run stores every customer's score and the table, the card,
the new-customers page, the API, and who is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from kehu.customers.models import Customer, Tag
from kehu.orders.models import Order
from kehu.value.models import RunStatus, TargetFit
from kehu.value.selectors import new_customers_by_fit, target_fit_score
from kehu.value.services import score_run
from kehu.value.target_fit import age_band, reasons_sentence, reasons_texts
from tests.api.conftest import api_client_for
from tests.value.factories import customers, order, population


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def fitted(org):
    """The value population with a planted profile: most of the best customers by
    profit are restaurants (餐饮) in 佛山, the others retail in assorted cities."""
    people = population(org.sales)
    totals = dict(
        Order.objects.filter(customer__in=people)
        .values_list("customer_id")
        .annotate(total=Sum("total"))
        .values_list("customer_id", "total")
    )
    ranked = sorted(people, key=lambda c: totals.get(c.pk, 0), reverse=True)
    best = {c.pk for c in ranked[: len(ranked) // 4]}
    for i, person in enumerate(ranked):
        planted = (person.pk in best and i % 5 != 0) or i % 9 == 0
        person.industry = "餐饮" if planted else "零售"
        person.city = "佛山市" if planted and i % 2 else f"城市{i % 30}"
        person.company_size = "medium" if i % 3 == 0 else "small"
        person.save(update_fields=["industry", "city", "company_size"])
    (west,) = customers(1, org.west_sales, prefix="西")
    order(west, dt.date(2025, 1, 1))
    new = Customer.objects.create(name="新餐馆", industry="餐饮", city="佛山市", owner=org.sales)
    run = score_run(as_of=timezone.localdate())
    assert run.status == RunStatus.SUCCEEDED
    return people, west, new, run


def test_the_run_stores_every_customer_and_the_table(org, fitted):
    people, _west, new, run = fitted
    assert run.target_fit["customers"] == run.customers
    assert run.detail["target_fit"]["code"] == "ok"
    assert TargetFit.objects.count() == Customer.objects.filter(deleted_at=None).count()
    new_fit = TargetFit.objects.get(customer=new)  # no purchase yet, scored all the same
    retail = [p.pk for p in people if p.industry == "零售"]
    retail_mean = sum(
        TargetFit.objects.filter(customer_id__in=retail).values_list("score", flat=True)
    ) / len(retail)
    assert new_fit.score > 2 * retail_mean
    assert new_fit.reasons[0][:2] == ["industry", "餐饮"]
    # A second run the same day rewrites the rows, not doubles them.
    score_run(as_of=timezone.localdate())
    assert TargetFit.objects.count() == Customer.objects.filter(deleted_at=None).count()


def test_reasons_in_words_in_both_languages():
    stored = [["industry", "餐饮", 0.9], ["city", "佛山", 0.5], ["company_size", "medium", 0.2]]
    texts = reasons_texts(stored)
    assert reasons_sentence(texts) == "与高价值客户相似：行业=餐饮，城市=佛山，企业规模=50–249 人"
    with override("en"):
        sentence = reasons_sentence(reasons_texts(stored))
    assert sentence.startswith("Similar to high-value customers: ")
    assert "Industry=餐饮" in sentence and "Company size=" in sentence
    assert age_band(dt.date(1990, 6, 1), dt.date(2026, 5, 31)) == "35_44"
    assert age_band(dt.date(1990, 6, 1), dt.date(2026, 6, 1)) == "35_44"
    assert age_band(dt.date(2001, 6, 2), dt.date(2026, 6, 1)) == "under_25"


def test_a_profile_is_scored_without_refitting(org, fitted):
    best, reasons = target_fit_score({"industry": "餐饮", "city": "佛山市", "tags": ["无此标签"]})
    plain, _ = target_fit_score({"industry": "零售"})
    assert best is not None and plain is not None and best > plain
    assert reasons[0]["attribute"] == "industry" and reasons[0]["text"] == "行业=餐饮"


def test_nothing_before_a_run(org):
    assert target_fit_score({"industry": "餐饮"}) == (None, [])
    body = client_for(org.admin).get(reverse("value:new_customers")).content.decode()
    assert 'id="fit-empty"' in body
    response = api_client_for(org.sales).post("/api/v1/value/target-fit", {"industry": "餐饮"})
    assert response.status_code == 404 and response.json()["code"] == "no_score"


def test_card_and_new_customers_page(org, fitted, django_assert_max_num_queries):
    _people, west, new, _run = fitted
    body = client_for(org.sales).get(reverse("customers:detail", args=[new.pk])).content.decode()
    assert 'id="value-target-fit"' in body and "与高价值客户相似：行业=餐饮" in body
    sales = client_for(org.sales)
    with django_assert_max_num_queries(12):
        body = sales.get(reverse("value:new_customers")).content.decode()
    assert 'id="table-new-customers"' in body
    scores = [int(s) for s in re.findall(r'<span class="badge [^"]*">(\d+)%</span>', body)]
    assert len(scores) == 25 and scores == sorted(scores, reverse=True)
    seen = new_customers_by_fit(org.sales, page_size=1000)
    ids = [row.fit.customer_id for row in seen.items]
    assert new.pk in ids and west.pk not in ids  # only the customers they may see
    assert west.pk in [
        r.fit.customer_id for r in new_customers_by_fit(org.admin, page_size=1000).items
    ]
    partial = sales.get(reverse("value:new_customers"), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and b"<html" not in partial.content
    with override("en"):
        english = sales.get(reverse("value:new_customers"), headers={"Accept-Language": "en"})
    assert english.status_code == 200 and "New customers by fit" in english.content.decode()


def test_refused_roles(org, fitted):
    _people, west, _new, _run = fitted
    assert client_for(org.service).get(reverse("value:new_customers")).status_code == 403
    service = api_client_for(org.service)
    assert service.post("/api/v1/value/target-fit", {"industry": "餐饮"}).status_code == 403
    # A customer the caller may not see: 404, target fit or not.
    assert api_client_for(org.sales).get(f"/api/v1/customers/{west.pk}/value").status_code == 404
    for user in (org.manager, org.analyst, org.admin):
        assert client_for(user).get(reverse("value:new_customers")).status_code == 200


def test_api(org, fitted):
    people, _west, _new, run = fitted
    api = api_client_for(org.sales)
    body = api.get(f"/api/v1/customers/{people[0].pk}/value").json()
    fit = body["target_fit"]
    assert 0 <= fit["score"] <= 100 and fit["as_of"] == run.as_of.isoformat()
    assert set(fit) == {"score", "base", "as_of", "reasons", "text"}
    scored = api.post(
        "/api/v1/value/target-fit",
        {"industry": "餐饮", "city": "佛山市", "company_size": "medium", "birthday": "1990-01-01"},
    )
    assert scored.status_code == 200, scored.content
    out = scored.json()
    assert out["score"] > out["base"] and out["text"].startswith("与高价值客户相似：")
    assert out["reasons"][0] == {**out["reasons"][0], "attribute": "industry", "value": "餐饮"}
    bad = api.post("/api/v1/value/target-fit", {"company_size": "huge"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert "company_size" in str(bad.json()["errors"])
    unknown = api.post("/api/v1/value/target-fit", {"shoe_size": "42"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid"
    assert Tag.objects.count() == 0  # scoring a profile writes nothing
