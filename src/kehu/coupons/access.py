"""Who may do what with coupons. Every view and endpoint goes through here.

========  =================================  ===================  ====================
role      templates (create, change, stats)  issue coupons        a customer's coupons
========  =================================  ===================  ====================
admin     yes                                yes                  every customer
manager   yes                                yes (customers seen) the customers seen
sales     no                                 with the setting     own and pool ones
service   no                                 no                   every customer
analyst   no (reads the pages)               no                   every customer
========  =================================  ===================  ====================

Issuing by salespeople is off unless ``KEHU_COUPONS_SALES_ISSUE`` is on; then they see
the templates to issue from too. Coupons follow their customer: a coupon of a
customer the user may not see is, to them, a coupon that does not exist. Redeeming is
recording a sale: whoever may change the order.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.accounts.models import Role, User
from kehu.coupons.models import Coupon, CouponTemplate
from kehu.customers.access import visibility_q
from kehu.orders.access import prefixed

MAX_ID = 2**63 - 1


def sales_may_issue() -> bool:
    return bool(getattr(settings, "KEHU_COUPONS_SALES_ISSUE", False))


def can_manage_templates(user: User) -> bool:
    return user.is_active and (user.is_admin_role or user.role == Role.MANAGER)


def can_issue(user: User) -> bool:
    """Give coupons to customers (by hand, to a segment, with a campaign)."""
    if not user.is_active or user.is_read_only:
        return False
    if can_manage_templates(user):
        return True
    return user.role == Role.SALES and sales_may_issue()


def can_view_templates(user: User) -> bool:
    """The template pages and their statistics: who manages or issues, and analysts."""
    return (
        can_manage_templates(user)
        or can_issue(user)
        or (user.is_active and user.role == Role.ANALYST)
    )


def coupon_visibility_q(user: User) -> Q:
    """A filter over Coupon fields: the coupons of live customers ``user`` may see."""
    return prefixed(visibility_q(user), "customer__") & Q(customer__deleted_at__isnull=True)


def coupons_visible_to(user: User) -> QuerySet[Coupon]:
    return Coupon.objects.filter(coupon_visibility_q(user))


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except (TypeError, ValueError):
        raise Http404 from None
    if not 1 <= pk <= MAX_ID:
        raise Http404
    return pk


def access_template(user: User, template_id: object, *, write: bool = False) -> CouponTemplate:
    """The template if ``user`` may open the template pages (and change it, with
    ``write``). Roles that may not are refused whatever the id (``PermissionDenied``),
    so a missing id and an existing one answer alike."""
    if not can_view_templates(user):
        raise PermissionDenied
    if write and not can_manage_templates(user):
        raise PermissionDenied
    template = CouponTemplate.objects.filter(pk=_pk(template_id)).first()
    if template is None:
        raise Http404
    return template
