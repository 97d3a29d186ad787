"""The event handlers work in batches: a few queries per batch, however many customers."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.core.events import CustomerEvents
from kehu.exits.models import ExitRecord
from kehu.exits.services import on_orders_recorded, on_stage_entered
from kehu.exits.snapshot import exit_settings
from tests.exits.conftest import buy, days_ago
from tests.factories import make_customer


def churned(customer_ids):
    return CustomerEvents(
        "stage_entered",
        tuple(customer_ids),
        None,
        {
            "model_id": 1,
            "stage_id": 1,
            "stage_kind": "churned",
            "how": "rule",
            "from_stage_ids": dict.fromkeys(customer_ids),
            "change_ids": {},
        },
    )


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_a_churn_batch_costs_the_same_queries_for_3_or_30_customers(org, engine_off):
    small = [make_customer(org.sales, name=f"小{i}") for i in range(3)]
    large = [make_customer(org.sales, name=f"大{i}") for i in range(30)]
    for customer in [*small, *large]:
        buy(org.sales, customer, days_ago(100))
    exit_settings()  # the settings row exists (the first read of a fresh database makes it)
    few = queries(lambda: on_stage_entered(churned([c.pk for c in small])))
    many = queries(lambda: on_stage_entered(churned([c.pk for c in large])))
    assert ExitRecord.objects.count() == 33
    assert many == few and many <= 13
    # Normal stages and customers with an open exit: nothing written.
    assert queries(lambda: on_stage_entered(churned([c.pk for c in large]))) <= 6
    assert ExitRecord.objects.count() == 33


def test_orders_of_customers_without_an_open_exit_cost_one_query(org, engine_off):
    customers = [make_customer(org.sales, name=f"客{i}") for i in range(20)]
    event = CustomerEvents("order_recorded", tuple(c.pk for c in customers))
    assert queries(lambda: on_orders_recorded(event)) == 1
