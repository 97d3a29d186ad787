"""Issuing coupons: in bulk, unique codes, the per-customer limit, who may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from kehu.coupons.codes import ALPHABET, code_normalize
from kehu.coupons.models import Coupon, CouponSource
from kehu.coupons.services import (
    coupon_issue,
    coupon_issue_hand,
    coupon_issue_result,
    coupon_issue_segment,
)
from kehu.segments.models import Sharing
from kehu.segments.services import members_add, segment_create
from tests.coupons.conftest import make_template
from tests.factories import make_customer


@pytest.mark.django_db
def test_issue_gives_each_customer_a_coupon_with_a_unique_readable_code(org, book, template):
    ids = [book["own"].pk, book["other"].pk, book["west"].pk]
    coupons = coupon_issue(
        actor=org.admin, template=template, customer_ids=ids, source=CouponSource.HAND
    )
    assert sorted(c.customer_id for c in coupons) == sorted(ids)
    codes = [c.code for c in coupons]
    assert len(set(codes)) == 3
    assert all(len(code) == 8 and set(code) <= set(ALPHABET) for code in codes)
    coupon = coupons[0]
    assert coupon.issued_by == org.admin and coupon.source == "hand"
    # N days from the issue
    assert coupon.valid_until - coupon.issued_at == dt.timedelta(days=30)


@pytest.mark.django_db
def test_thousands_at_once_in_a_few_queries(org, template, django_assert_max_num_queries):
    customers = [make_customer(None, name=f"客户{i}", actor=org.admin) for i in range(300)]
    ids = [c.pk for c in customers]
    with django_assert_max_num_queries(12):
        coupons = coupon_issue(
            actor=org.admin, template=template, customer_ids=ids, source=CouponSource.HAND
        )
    assert len(coupons) == 300
    assert Coupon.objects.filter(template=template).count() == 300


@pytest.mark.django_db
def test_per_customer_limit_leaves_out_who_holds_enough(org, book, template):
    own = book["own"]
    coupon_issue(actor=org.admin, template=template, customer_ids=[own.pk], source="hand")
    result = coupon_issue_result(
        actor=org.admin,
        template=template,
        customer_ids=[own.pk, book["other"].pk],
        source="segment",
    )
    assert result.over_limit == [own.pk]
    assert [c.customer_id for c in result.coupons] == [book["other"].pk]
    with pytest.raises(ValidationError, match="限领"):
        coupon_issue_hand(actor=org.admin, template=template, customer=own)
    assert Coupon.objects.filter(customer=own).count() == 1


@pytest.mark.django_db
def test_no_limit_when_zero(org, book):
    template = make_template(per_customer_limit=0)
    for _ in range(3):
        coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    assert Coupon.objects.filter(customer=book["own"]).count() == 3


@pytest.mark.django_db
def test_fixed_dates_are_copied_to_the_coupon(org, book):
    start = timezone.now() - dt.timedelta(days=1)
    end = timezone.now() + dt.timedelta(days=10)
    template = make_template(valid_days=None, valid_from=start, valid_until=end)
    coupon = coupon_issue_hand(actor=org.admin, template=template, customer=book["own"])
    assert (coupon.valid_from, coupon.valid_until) == (start, end)


@pytest.mark.django_db
def test_inactive_or_expired_template_is_refused(org, book):
    ended = make_template(valid_days=None, valid_until=timezone.now() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="过期"):
        coupon_issue_hand(actor=org.admin, template=ended, customer=book["own"])
    off = make_template(is_active=False)
    with pytest.raises(ValidationError, match="停用"):
        coupon_issue_hand(actor=org.admin, template=off, customer=book["own"])
    assert not Coupon.objects.exists()


@pytest.mark.django_db
def test_a_customer_the_actor_cannot_see_refuses_the_whole_issue(org, book, template):
    ids = [book["own"].pk, book["west"].pk]  # west is not the east manager's
    with pytest.raises(ValidationError, match="无权查看"):
        coupon_issue(actor=org.manager, template=template, customer_ids=ids, source="hand")
    assert not Coupon.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_roles_that_may_not_issue_are_refused(org, book, template, role):
    with pytest.raises(PermissionDenied):
        coupon_issue_hand(actor=getattr(org, role), template=template, customer=book["own"])


@pytest.mark.django_db
def test_sales_may_issue_with_the_setting(org, book, template):
    with override_settings(KEHU_COUPONS_SALES_ISSUE=True):
        coupon = coupon_issue_hand(actor=org.sales, template=template, customer=book["own"])
    assert coupon.customer == book["own"]
    with override_settings(KEHU_COUPONS_SALES_ISSUE=True), pytest.raises(ValidationError):
        coupon_issue_hand(actor=org.sales, template=template, customer=book["other"])


@pytest.mark.django_db
def test_issue_to_a_segment(org, book, template):
    segment = segment_create(
        actor=org.admin, data={"name": "名单", "kind": "static", "sharing": Sharing.SHARED}
    )
    members_add(actor=org.admin, segment=segment, customer_ids=[book["own"].pk, book["west"].pk])
    result = coupon_issue_segment(actor=org.admin, template=template, segment_id=segment.pk)
    assert sorted(c.customer_id for c in result.coupons) == sorted(
        [book["own"].pk, book["west"].pk]
    )
    assert {c.source for c in result.coupons} == {"segment"}
    assert {c.source_id for c in result.coupons} == {segment.pk}
    # The east manager issues only to the customers they see.
    other = make_template(name="另一张")
    result = coupon_issue_segment(actor=org.manager, template=other, segment_id=segment.pk)
    assert [c.customer_id for c in result.coupons] == [book["own"].pk]


def test_codes_are_read_generously():
    assert code_normalize(" ab2c-d3ef ") == "AB2CD3EF"


@pytest.mark.django_db
def test_the_coupons_command(org, book, template):
    import io

    from django.core.management import CommandError, call_command

    segment = segment_create(
        actor=org.admin, data={"name": "名单", "kind": "static", "sharing": Sharing.SHARED}
    )
    members_add(actor=org.admin, segment=segment, customer_ids=[book["own"].pk, book["west"].pk])
    out = io.StringIO()
    call_command("coupons", "issue", str(template.pk), "--segment", str(segment.pk), stdout=out)
    assert "issued 2 coupons" in out.getvalue()
    out = io.StringIO()
    call_command("coupons", "stats", str(template.pk), stdout=out)
    assert "issued 2, redeemed 0" in out.getvalue()
    call_command("coupons", "list", stdout=out)
    with pytest.raises(CommandError, match="may not issue"):
        call_command(
            "coupons", "issue", str(template.pk), "--segment", str(segment.pk), "--user", "analyst"
        )
