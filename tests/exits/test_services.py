"""Exits opened by a churned stage or by hand, explained, won back; bad input refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.core.errors import ConflictError
from kehu.exits.models import ExitReason, ExitRecord, ExitSettings, ExitSource
from kehu.exits.services import exit_record, exit_update, reason_save
from kehu.lifecycle.engine import lifecycle_evaluate
from kehu.lifecycle.models import CustomerStage, LifecycleModel
from kehu.lifecycle.services import stage_move
from kehu.orders.inputs import LineData
from kehu.orders.products import product_create
from kehu.orders.services import refund_record
from kehu.surveys.models import Invitation
from kehu.surveys.services import survey_save
from tests.exits.conftest import buy, days_ago
from tests.factories import make_customer


def reason(key: str) -> ExitReason:
    return ExitReason.objects.get(key=key)


def churned_by_rule(org, name="老李"):
    """A customer who bought three times ~8 months ago, then nothing: churned by rule."""
    customer = make_customer(org.sales, name=name, source_channel="website")
    for ago in (300, 270, 240):
        buy(org.sales, customer, days_ago(ago), total="200.00")
    lifecycle_evaluate([customer.pk], now=days_ago(239))
    lifecycle_evaluate([customer.pk], now=days_ago(50))
    return customer


def test_the_taxonomy_is_seeded_with_its_flags(db):
    keys = list(ExitReason.objects.values_list("key", flat=True))
    assert keys == [
        "price",
        "quality",
        "service",
        "competitor",
        "moved",
        "need_ended",
        "closed",
        "bad_debt",
        "unknown",
    ]
    assert not reason("closed").addressable and not reason("bad_debt").addressable
    assert reason("competitor").asks_competitor and reason("bad_debt").requires_details


def test_a_rule_into_a_churned_stage_opens_one_exit_with_a_snapshot(org, engine_off):
    customer = churned_by_rule(org)
    [record] = ExitRecord.objects.filter(customer=customer)
    assert record.reason.key == "unknown" and record.source == ExitSource.RULE
    assert record.stage_change_id is not None and record.created_by_id is None
    assert record.channel == "website" and record.owner_id == org.sales.pk
    assert record.team_id == org.east.pk
    assert record.tenure_days == 250  # first purchase 300 days ago, exit 50 days ago
    assert record.revenue_12m == Decimal("600.00") and record.value_before == Decimal("600.00")
    assert record.at.date() == days_ago(50).date()
    # Entering another churned stage (another model, or again) opens nothing more.
    lifecycle_evaluate([customer.pk], now=days_ago(10))
    assert ExitRecord.objects.filter(customer=customer).count() == 1


def test_a_manual_exit_records_the_reason_and_moves_the_stage(org, engine_off):
    customer = make_customer(org.sales, name="王五")
    lifecycle_evaluate([customer.pk], now=days_ago(10))
    record = exit_record(
        actor=org.sales, customer=customer, reason=reason("competitor"), competitor="某某茶行"
    )
    assert record.source == ExitSource.MANUAL and record.created_by_id == org.sales.pk
    assert record.competitor == "某某茶行" and record.stage_change_id is not None
    model = LifecycleModel.objects.get(is_default=True)
    stage = CustomerStage.objects.get(customer=customer, model=model).stage
    assert stage.kind == "churned"
    assert ExitRecord.objects.filter(customer=customer).count() == 1  # not twice


@pytest.mark.parametrize(
    ("key", "extra", "field"),
    [("competitor", {}, "competitor"), ("bad_debt", {}, "details"), (None, {}, "reason")],
)
def test_a_missing_required_explanation_changes_nothing(org, engine_off, key, extra, field):
    customer = make_customer(org.sales, name="赵六")
    with pytest.raises(ValidationError) as caught:
        exit_record(
            actor=org.sales, customer=customer, reason=reason(key) if key else None, **extra
        )
    assert field in caught.value.message_dict
    assert not ExitRecord.objects.exists()
    assert not CustomerStage.objects.filter(customer=customer).exists()


def test_one_open_exit_per_customer_and_refused_roles(org, engine_off):
    customer = make_customer(org.sales, name="孙七")
    exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    with pytest.raises(ValidationError):
        exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    for user in (org.west_sales, org.east_sales2, org.service, org.analyst, org.west_manager):
        other = make_customer(org.sales, name="周八")
        with pytest.raises(PermissionDenied):
            exit_record(actor=user, customer=other, reason=reason("price"))
    assert ExitRecord.objects.count() == 1


def test_refunds_of_another_customer_are_refused_recent_ones_linked(org, engine_off):
    mine, theirs = make_customer(org.sales, name="吴九"), make_customer(org.sales, name="郑十")
    order = buy(org.sales, theirs, days_ago(20), total="80.00")
    refund, _ = refund_record(actor=org.sales, order=order, amount=Decimal("80.00"), reason="坏了")
    with pytest.raises(ValidationError) as caught:
        exit_record(
            actor=org.sales, customer=mine, reason=reason("quality"), refund_ids=[refund.pk]
        )
    assert "refunds" in caught.value.message_dict
    record = exit_record(
        actor=org.sales, customer=theirs, reason=reason("quality"), refund_ids=[refund.pk]
    )
    assert list(record.refunds.values_list("pk", flat=True)) == [refund.pk]


def test_the_last_purchase_products_are_kept(org, engine_off):
    tea = product_create(actor=org.admin, data={"name": "龙井", "price": Decimal("50.00")})
    cup = product_create(actor=org.admin, data={"name": "茶杯", "price": Decimal("20.00")})
    customer = make_customer(org.sales, name="钱一")
    buy(org.sales, customer, days_ago(90), lines=[LineData(quantity=Decimal(1), product_id=cup.pk)])
    buy(org.sales, customer, days_ago(30), lines=[LineData(quantity=Decimal(2), product_id=tea.pk)])
    record = exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    assert [p.name for p in record.products.all()] == ["龙井"]


def test_a_paid_order_after_the_exit_wins_the_customer_back(org, engine_off):
    customer = make_customer(org.sales, name="李雷")
    record = exit_record(
        actor=org.sales, customer=customer, reason=reason("service"), at=days_ago(10)
    )
    buy(org.sales, customer, days_ago(11))  # placed before the exit (pushed late)
    record.refresh_from_db()
    assert record.won_back_at is None
    order = buy(org.sales, customer, days_ago(3))
    buy(org.sales, customer, days_ago(1))
    record.refresh_from_db()
    assert record.won_back_order_id == order.pk and record.won_back_at == days_ago(3)
    # Closed: a new exit may be opened.
    again = exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    assert again.pk != record.pk


def test_the_exit_interview_is_queued(org, engine_off):
    survey = survey_save(
        actor=org.admin,
        data={"name": "退出访谈", "intro": "", "thanks": ""},
        questions=[{"kind": "text", "text": "为什么离开？", "required": True}],
    )
    ExitSettings.objects.create(survey=survey, survey_channel="link", survey_delay_days=2)
    customer = make_customer(org.sales, name="韩梅梅")
    record = exit_record(actor=org.sales, customer=customer, reason=reason("price"))
    invitation = Invitation.objects.get(pk=record.invitation_id)
    assert invitation.source == "exit" and invitation.customer_id == customer.pk
    assert invitation.sent_at is None and invitation.deliver_after > record.at


def test_explaining_an_exit_later_with_its_version(org, engine_off):
    customer = churned_by_rule(org)
    record = ExitRecord.objects.get(customer=customer)
    updated = exit_update(
        actor=org.sales,
        record=record,
        reason=reason("moved"),
        details="搬去外地",
        version=record.version,
    )
    assert updated.reason.key == "moved" and updated.version == record.version + 1
    with pytest.raises(ConflictError):
        exit_update(actor=org.sales, record=record, reason=reason("price"), version=record.version)
    with pytest.raises(PermissionDenied):
        exit_update(actor=org.analyst, record=record, reason=reason("price"))


def test_the_taxonomy_is_admins_and_unknown_stays(org):
    with pytest.raises(PermissionDenied):
        reason_save(actor=org.manager, data={"key": "x", "name": "X"})
    with pytest.raises(ValidationError):
        reason_save(
            actor=org.admin,
            data={"is_active": False},
            reason=reason("unknown"),
            version=reason("unknown").version,
        )
    made = reason_save(actor=org.admin, data={"key": "delivery", "name": "物流", "position": 5})
    assert made.addressable and made.is_active


def test_a_manual_stage_move_into_churned_opens_a_manual_exit(org, engine_off):
    customer = make_customer(org.sales, name="小明")
    lifecycle_evaluate([customer.pk], now=days_ago(10))
    model = LifecycleModel.objects.get(key="six_phase")
    stage_move(
        actor=org.sales,
        customer=customer,
        model=model,
        stage=model.stages.get(kind="churned"),
        reason="客户说不再合作",
    )
    record = ExitRecord.objects.get(customer=customer)
    assert record.source == ExitSource.MANUAL and record.created_by_id == org.sales.pk
    assert record.reason.key == "unknown"
