"""The public pool's rules (公海规则): the page, the service with optimistic locking, the
Django admin and who is refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from kehu.core.errors import ConflictError
from kehu.customers.models import Customer, PoolPolicy
from kehu.customers.ownership import OwnershipError, pool_claim, pool_policy
from kehu.customers.pool_policy import pool_policy_update
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
URL = "/customers/pool/rules/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(policy: PoolPolicy, **changes) -> dict:
    data = {
        "followup_days": policy.followup_days,
        "deal_days": policy.deal_days,
        "notice_days": policy.notice_days,
        "reclaim_block_days": policy.reclaim_block_days,
        "cap_sales": policy.cap_sales,
        "cap_manager": policy.cap_manager,
        "cap_admin": policy.cap_admin,
        "enabled": "on" if policy.enabled else "",
        "version": policy.version,
    }
    data.update(changes)
    return data


# --- the service ------------------------------------------------------------------------------


def test_update_checks_the_version_and_keeps_the_editor(org):
    policy = pool_policy()
    saved = pool_policy_update(actor=org.admin, data={"cap_sales": 20}, version=policy.version)
    assert saved.cap_sales == 20 and saved.version == policy.version + 1
    assert saved.updated_by == org.admin
    with pytest.raises(ConflictError):
        pool_policy_update(actor=org.admin, data={"cap_sales": 30}, version=policy.version)
    assert pool_policy().cap_sales == 20


def test_update_refuses_rules_that_do_not_fit_together(org):
    version = pool_policy().version
    with pytest.raises(ValidationError) as refused:
        pool_policy_update(actor=org.admin, data={"notice_days": 30}, version=version)
    assert "notice_days" in refused.value.message_dict  # not below followup_days (30)
    with pytest.raises(ValidationError) as refused:
        pool_policy_update(actor=org.admin, data={"deal_days": 0}, version=version)
    assert "deal_days" in refused.value.message_dict
    with pytest.raises(ValidationError):
        pool_policy_update(actor=org.admin, data={"owner": 1}, version=version)
    assert pool_policy().version == version


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_only_admins_change_the_rules(org, role):
    with pytest.raises(PermissionDenied):
        pool_policy_update(
            actor=getattr(org, role), data={"cap_sales": 1}, version=pool_policy().version
        )


# --- the page ---------------------------------------------------------------------------------


def test_admin_changes_a_cap_and_it_holds_at_once(org):
    admin = client_for(org.admin)
    page = admin.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="cap_sales"' in html and "30 天未跟进" in html
    response = admin.post(URL, form_data(pool_policy(), cap_sales=1))
    assert response.status_code == 302
    assert pool_policy().cap_sales == 1
    make_customer(org.sales, name="已有")
    pooled = make_customer(None, name="公海", actor=org.admin)
    with pytest.raises(OwnershipError) as refused:
        pool_claim(actor=org.sales, customer_id=pooled.pk)
    assert refused.value.code == "over_cap"


def test_a_stale_form_shows_the_latest_rules_and_changes_nothing(org):
    admin = client_for(org.admin)
    read = pool_policy()
    pool_policy_update(actor=org.admin, data={"cap_sales": 42}, version=read.version)
    response = admin.post(URL, form_data(read, cap_sales=7))
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="policy-conflict"' in html and 'value="42"' in html
    assert pool_policy().cap_sales == 42


def test_invalid_rules_are_explained_on_the_form(org):
    response = client_for(org.admin).post(URL, form_data(pool_policy(), notice_days=90))
    assert response.status_code == 422
    assert "提前提醒天数必须小于" in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "sales"])
def test_salespeople_and_managers_read_the_rules(org, role):
    client = client_for(getattr(org, role))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "每人最多负责的客户数" in html and 'name="cap_sales"' not in html
    assert client.post(URL, form_data(pool_policy(), cap_sales=1)).status_code == 403
    assert pool_policy().cap_sales == 500


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_other_roles_are_refused(org, role):
    assert client_for(getattr(org, role)).get(URL).status_code == 403


def test_anonymous_goes_to_login():
    response = Client().get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_page_is_english_in_english(org):
    client = client_for(org.admin)
    client.cookies["django_language"] = "en"
    html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public pool rules" in html
    assert "未跟进" not in html


def test_the_pool_page_links_the_rules_and_bulk_transfer(org):
    sales = client_for(org.sales).get(reverse("customers:pool")).content.decode()
    assert 'id="pool-rules-link"' in sales and 'id="transfer-all-link"' not in sales
    manager = client_for(org.manager).get(reverse("customers:pool")).content.decode()
    assert 'id="pool-rules-link"' in manager and 'id="transfer-all-link"' in manager
    listing = client_for(org.manager).get(reverse("customers:list")).content.decode()
    assert 'id="transfer-all-link"' in listing
    listing = client_for(org.sales).get(reverse("customers:list")).content.decode()
    assert 'id="transfer-all-link"' not in listing


# --- the Django admin ------------------------------------------------------------------------


def test_django_admin_edits_the_rules_with_the_same_checks(org):
    admin = client_for(org.admin)
    policy = pool_policy()
    url = reverse("admin:customers_poolpolicy_change", args=[policy.pk])
    assert admin.get(reverse("admin:customers_poolpolicy_changelist")).status_code == 200
    assert admin.get(url).status_code == 200
    refused = admin.post(url, form_data(policy, notice_days=99))
    assert refused.status_code == 200 and "提前提醒天数必须小于" in refused.content.decode()
    assert admin.post(url, form_data(policy, deal_days=60)).status_code == 302
    assert pool_policy().deal_days == 60 and pool_policy().version == policy.version + 1
    stale = admin.post(url, form_data(policy, deal_days=70))  # the version read before
    assert stale.status_code == 200 and "已被他人修改" in stale.content.decode()
    assert pool_policy().deal_days == 60


# --- the bulk transfer page -----------------------------------------------------------------------


def test_bulk_transfer_page_is_styled_and_counts_each_users_customers(org):
    for i in range(2):
        make_customer(org.sales, name=f"客户{i}")
    html = client_for(org.manager).get(reverse("customers:transfer_all")).content.decode()
    assert 'class="form-select"' in html and 'class="breadcrumb' in html
    assert "（2 个客户）" in html
    assert org.west_sales.username not in html  # a manager hands over within the team
    assert Customer.objects.filter(owner=org.sales).count() == 2
