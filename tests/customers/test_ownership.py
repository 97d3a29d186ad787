"""The public pool (公海): claim, release, caps, blocks, transfers and reclaim rules."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.http import Http404
from django.utils import timezone

from kehu.customers.models import Customer, OwnerChange, PoolNotice, PoolPolicy
from kehu.customers.ownership import (
    OwnershipError,
    customer_transfer,
    pool_claim,
    pool_policy,
    pool_reclaim,
    pool_release,
    reclaim_candidates,
    user_customers_transfer,
)
from tests.factories import make_customer


@pytest.fixture
def pooled(org):
    return make_customer(None, name="公海客户", actor=org.admin)


@pytest.mark.django_db
def test_claim_and_release_round_trip(org, pooled):
    customer = pool_claim(actor=org.sales, customer_id=pooled.pk)
    assert customer.owner == org.sales and customer.team == org.east
    assert customer.claimed_at is not None
    with pytest.raises(ValidationError, match="原因"):
        pool_release(actor=org.sales, customer=customer, reason="  ")
    pool_release(actor=org.sales, customer=customer, reason="客户暂无需求")
    customer.refresh_from_db()
    assert customer.owner is None and customer.team is None
    kinds = list(OwnerChange.objects.filter(customer=customer).values_list("kind", "reason"))
    assert kinds == [("release", "客户暂无需求"), ("claim", "")]


@pytest.mark.django_db
def test_released_customer_cannot_be_reclaimed_by_the_same_person_for_k_days(org, pooled):
    customer = pool_claim(actor=org.sales, customer_id=pooled.pk)
    pool_release(actor=org.sales, customer=customer, reason="无需求")
    with pytest.raises(OwnershipError) as info:
        pool_claim(actor=org.sales, customer_id=pooled.pk)
    assert info.value.details["reason"] == "blocked"
    assert pool_claim(actor=org.east_sales2, customer_id=pooled.pk).owner == org.east_sales2


@pytest.mark.django_db
def test_claims_are_refused_over_the_cap_already_taken_or_invisible(org, pooled):
    PoolPolicy.objects.create(cap_sales=1)
    make_customer(org.sales, name="已有客户")
    with pytest.raises(OwnershipError) as info:
        pool_claim(actor=org.sales, customer_id=pooled.pk)
    assert info.value.details["reason"] == "over_cap"
    pool_claim(actor=org.manager, customer_id=pooled.pk)
    with pytest.raises(OwnershipError) as info:  # just claimed: told so, not "not found"
        pool_claim(actor=org.west_sales, customer_id=pooled.pk)
    assert info.value.code == "taken"
    OwnerChange.objects.filter(customer=pooled).update(at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(Http404):  # later: the east manager's, west sales cannot see it
        pool_claim(actor=org.west_sales, customer_id=pooled.pk)
    with pytest.raises(OwnershipError) as info:
        pool_claim(actor=org.manager, customer_id=pooled.pk)
    assert info.value.details["reason"] == "already_yours"
    with pytest.raises(PermissionDenied):
        pool_claim(actor=org.service, customer_id=pooled.pk)
    with pytest.raises(Http404):
        pool_claim(actor=org.sales, customer_id=99_999_999)


@pytest.mark.django_db
def test_sales_cannot_release_someone_elses_customer(org):
    customer = make_customer(org.east_sales2)
    with pytest.raises(PermissionDenied):
        pool_release(actor=org.sales, customer=customer, reason="x")
    pool_release(actor=org.manager, customer=customer, reason="离职交接")
    customer.refresh_from_db()
    assert customer.owner is None


@pytest.mark.django_db
def test_transfer_one_and_bulk_with_history(org):
    a = make_customer(org.sales, name="甲")
    b = make_customer(org.sales, name="乙")
    west = make_customer(org.west_sales, name="丙")
    with pytest.raises(PermissionDenied):
        customer_transfer(actor=org.sales, customer_ids=[a.pk], to_user=org.east_sales2, reason="x")
    with pytest.raises(OwnershipError):
        customer_transfer(
            actor=org.manager, customer_ids=[a.pk], to_user=org.west_sales, reason="x"
        )
    result = customer_transfer(
        actor=org.manager, customer_ids=[a.pk, west.pk], to_user=org.east_sales2, reason="调整"
    )
    assert result.moved == [a.pk] and result.skipped == {west.pk: "not_found"}
    org.sales.is_active = False
    org.sales.save()
    result = user_customers_transfer(
        actor=org.manager, from_user=org.sales, to_user=org.east_sales2, reason="离职"
    )
    assert result.moved == [b.pk]
    assert Customer.objects.filter(owner=org.east_sales2).count() == 2
    change = OwnerChange.objects.filter(customer=b, kind="transfer").get()
    assert (change.from_user, change.to_user, change.reason) == (org.sales, org.east_sales2, "离职")


@pytest.mark.django_db
def test_transfer_to_an_inactive_user_is_refused(org):
    a = make_customer(org.sales)
    org.east_sales2.is_active = False
    org.east_sales2.save()
    with pytest.raises(OwnershipError) as info:
        customer_transfer(actor=org.admin, customer_ids=[a.pk], to_user=org.east_sales2, reason="x")
    assert info.value.details["reason"] == "inactive_user"
    a.refresh_from_db()
    assert a.owner == org.sales


@pytest.mark.django_db
def test_reclaim_notifies_first_then_returns_and_is_idempotent(org):
    PoolPolicy.objects.create(followup_days=30, deal_days=365, notice_days=3)
    now = timezone.now()
    customer = make_customer(org.sales, name="久未跟进")
    fresh = make_customer(org.sales, name="刚跟进")
    Customer.objects.filter(pk=customer.pk).update(claimed_at=now - dt.timedelta(days=28))
    Customer.objects.filter(pk=fresh.pk).update(
        claimed_at=now - dt.timedelta(days=40), last_contact_at=now - dt.timedelta(days=1)
    )
    report = pool_reclaim(now=now)
    assert (report.returned, report.noticed) == (0, 1)
    assert pool_reclaim(now=now).noticed == 0  # the notice is sent once
    notice = PoolNotice.objects.get()
    assert notice.owner == org.sales and notice.customer_id == customer.pk
    later = now + dt.timedelta(days=3)
    assert pool_reclaim(now=later).returned == 1
    assert pool_reclaim(now=later).returned == 0
    customer.refresh_from_db()
    fresh.refresh_from_db()
    assert customer.owner is None and fresh.owner == org.sales
    change = OwnerChange.objects.get(customer=customer, kind="reclaim")
    assert change.from_user == org.sales and "30" in change.reason_text
    with pytest.raises(OwnershipError):  # the old owner is blocked for K days
        pool_claim(actor=org.sales, customer_id=customer.pk)


@pytest.mark.django_db
def test_reclaim_respects_the_deal_rule_and_the_switch(org):
    PoolPolicy.objects.create(followup_days=1000, deal_days=90, enabled=False)
    customer = make_customer(org.sales)
    Customer.objects.filter(pk=customer.pk).update(
        claimed_at=timezone.now() - dt.timedelta(days=100)
    )
    assert pool_reclaim().returned == 0
    PoolPolicy.objects.update(enabled=True)
    assert pool_reclaim().returned == 1


@pytest.mark.django_db(transaction=True)
def test_racing_claims_have_exactly_one_winner(org):
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL's concurrent writers")
    customer = make_customer(None, name="抢手客户", actor=org.admin)
    racers = [org.sales, org.east_sales2, org.manager, org.west_sales, org.west_manager, org.admin]
    barrier = threading.Barrier(len(racers))
    outcomes: list[str] = []

    def claim(user):
        try:
            barrier.wait()
            pool_claim(actor=user, customer_id=customer.pk)
            outcomes.append("won")
        except OwnershipError:
            outcomes.append("lost")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * (len(racers) - 1) + ["won"]
    assert OwnerChange.objects.filter(customer=customer, kind="claim").count() == 1


@pytest.mark.django_db
def test_pool_reclaim_command(org):
    import io

    from django.core.management import call_command

    PoolPolicy.objects.create(followup_days=10, deal_days=365)
    customer = make_customer(org.sales)
    Customer.objects.filter(pk=customer.pk).update(
        claimed_at=timezone.now() - dt.timedelta(days=11)
    )
    out = io.StringIO()
    call_command("pool", "reclaim", stdout=out)
    assert "returned to pool: 1" in out.getvalue()
    out = io.StringIO()
    call_command("pool", "reclaim", stdout=out)
    assert "returned to pool: 0" in out.getvalue()


@pytest.mark.django_db
def test_pool_hides_contact_data_from_sales_until_claimed(org, pooled):
    from kehu.customers.access import contact_data_hidden

    assert contact_data_hidden(org.sales, pooled)
    assert not contact_data_hidden(org.manager, pooled)
    claimed = pool_claim(actor=org.sales, customer_id=pooled.pk)
    assert not contact_data_hidden(org.sales, claimed)


@pytest.mark.django_db
def test_a_reclaim_reads_in_its_readers_language(org, client):
    """The reclaim job words nothing: the owner change keeps the rule and its days and
    reads in each reader's language; a reason a person typed reads as typed."""
    from django.utils import translation

    PoolPolicy.objects.create(followup_days=30, deal_days=365, notice_days=3)
    now = timezone.now()
    customer = make_customer(org.sales, name="久未跟进")
    Customer.objects.filter(pk=customer.pk).update(claimed_at=now - dt.timedelta(days=40))
    with translation.override("en"):
        assert pool_reclaim(now=now).returned == 1
    change = OwnerChange.objects.get(customer=customer, kind="reclaim")
    assert (change.reason, change.message, change.params) == (
        "",
        "customers.reclaimed",
        {"rule": "followup", "days": 30},
    )
    assert change.reason_text == "超过 30 天未跟进，自动退回公海"
    pool_claim(actor=org.east_sales2, customer_id=customer.pk)
    customer_transfer(
        actor=org.manager, customer_ids=[customer.pk], to_user=org.sales, reason="交回原负责人"
    )
    client.force_login(org.admin)
    client.cookies["django_language"] = "en"
    english = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "returned to the public pool" in english.lower() and "自动退回公海" not in english
    assert "交回原负责人" in english
    client.cookies["django_language"] = "zh-hans"
    assert (
        "超过 30 天未跟进，自动退回公海"
        in client.get(f"/customers/{customer.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_without_a_deal_source_the_deal_rule_counts_from_the_claim(org, monkeypatch):
    from kehu.customers import ownership
    from kehu.orders.selectors import last_purchase_at

    assert ownership._deal_source is last_purchase_at  # registered by OrdersConfig.ready
    monkeypatch.setattr(ownership, "_deal_source", None)
    PoolPolicy.objects.create(followup_days=1000, deal_days=90)
    customer = make_customer(org.sales)
    old = make_customer(org.sales, name="久未成交")
    Customer.objects.filter(pk=old.pk).update(claimed_at=timezone.now() - dt.timedelta(days=100))
    assert reclaim_candidates(timezone.now(), pool_policy())["deal"] == [old.pk]
    assert customer.pk not in reclaim_candidates(timezone.now(), pool_policy())["deal"]
