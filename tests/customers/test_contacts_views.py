"""The contacts card on the customer page: per role, htmx partials, errors in place."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.contacts import contact_add, contact_update
from kehu.customers.models import Contact
from kehu.customers.ownership import pool_release
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def company(org):
    return make_customer(org.sales, name="星河贸易", kind="company")


def _add_url(customer):
    return reverse("customers:contact_add", args=[customer.pk])


def _url(name, contact):
    return reverse(f"customers:contact_{name}", args=[contact.customer_id, contact.pk])


def test_the_owner_sees_the_card_with_its_forms(client, org, company):
    contact_add(actor=org.sales, customer=company, data={"name": "王经理", "phone": "13812345678"})
    client.force_login(org.sales)
    page = client.get(reverse("customers:detail", args=[company.pk])).content.decode()
    assert 'id="contacts"' in page
    assert "王经理" in page and "138 1234 5678" in page
    assert _add_url(company) in page
    assert "设为主要联系人" in page


def test_htmx_add_answers_the_card_and_the_history(client, org, company):
    client.force_login(org.sales)
    response = client.post(
        _add_url(company), {"name": "王经理", "phone": "138 1234 5678", "is_primary": "on"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="kehu-card p-3 mb-3" id="contacts">')
    assert 'id="history" hx-swap-oob="true"' in html
    assert "王经理 / +8613812345678" in html  # the history entry
    contact = Contact.objects.get(customer=company)
    assert contact.phone == "+8613812345678" and contact.is_primary


def test_errors_show_in_place_with_what_was_typed(client, org, company):
    client.force_login(org.sales)
    response = client.post(_add_url(company), {"name": "", "phone": "123", "email": "x@"}, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "不是有效的电话号码" in html
    assert "“x@”不是有效的邮箱地址。" in html
    assert "请填写联系人姓名。" in html
    assert 'value="123"' in html
    assert "<details open>" in html
    assert not Contact.objects.filter(customer=company).exists()


def test_plain_post_redirects_to_the_page(client, org, company):
    client.force_login(org.sales)
    response = client.post(_add_url(company), {"name": "王经理"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/customers/{company.pk}/#contacts")


def test_plain_post_with_errors_renders_the_card_on_a_page(client, org, company):
    client.force_login(org.sales)
    response = client.post(_add_url(company), {"name": "王", "email": "nope"})
    assert response.status_code == 422
    assert "<html" in response.content.decode()


def test_edit_with_a_stale_version_keeps_the_input_and_says_so(client, org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "王经理"})
    contact_update(actor=org.manager, contact=contact, data={"title": "总监"}, version=1)
    client.force_login(org.sales)
    data = {"name": "王经理", "title": "经理", "version": "1"}
    response = client.post(_url("edit", contact), data, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "被他人修改" in html
    assert 'value="经理"' in html and 'name="version" value="2"' in html
    contact.refresh_from_db()
    assert contact.title == "总监"
    # Submitted again after review, it goes through.
    response = client.post(_url("edit", contact), {**data, "version": "2"}, **HTMX)
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.title == "经理" and contact.version == 3


def test_mark_primary_and_remove(client, org, company):
    first = contact_add(actor=org.sales, customer=company, data={"name": "甲", "is_primary": True})
    second = contact_add(actor=org.sales, customer=company, data={"name": "乙"})
    client.force_login(org.sales)
    response = client.post(_url("primary", second), {"version": "1"}, **HTMX)
    assert response.status_code == 200
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    response = client.post(_url("delete", first), {"version": str(first.version)}, **HTMX)
    assert response.status_code == 200
    assert list(Contact.objects.filter(customer=company).values_list("name", flat=True)) == ["乙"]


def test_remove_with_a_stale_version_is_refused(client, org, company):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    contact_update(actor=org.manager, contact=contact, data={"title": "总监"}, version=1)
    client.force_login(org.sales)
    response = client.post(_url("delete", contact), {"version": "1"}, **HTMX)
    assert response.status_code == 422
    assert "被他人修改" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_manager_and_admin_may_edit(client, org, company, role):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    client.force_login(getattr(org, role))
    response = client.post(_url("edit", contact), {"name": "乙", "version": "1"}, **HTMX)
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.name == "乙"


@pytest.mark.parametrize("role", ["east_sales2", "west_sales", "west_manager"])
def test_who_cannot_see_the_customer_gets_404(client, org, company, role):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    client.force_login(getattr(org, role))
    assert client.post(_add_url(company), {"name": "乙"}).status_code == 404
    assert client.post(_url("edit", contact), {"name": "乙", "version": "1"}).status_code == 404
    assert client.post(_url("delete", contact), {}).status_code == 404
    assert client.post(_url("primary", contact), {}).status_code == 404
    assert list(Contact.objects.values_list("name", flat=True)) == ["甲"]


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_service_and_analysts_read_but_may_not_change(client, org, company, role):
    contact = contact_add(actor=org.sales, customer=company, data={"name": "甲"})
    client.force_login(getattr(org, role))
    page = client.get(reverse("customers:detail", args=[company.pk])).content.decode()
    assert "甲" in page and _add_url(company) not in page and _url("edit", contact) not in page
    assert client.post(_add_url(company), {"name": "乙"}).status_code == 403
    assert client.post(_url("edit", contact), {"name": "乙", "version": "1"}).status_code == 403
    assert client.post(_url("delete", contact), {}).status_code == 403
    assert Contact.objects.get().name == "甲"


def test_a_pool_customers_contacts_are_hidden_from_salespeople(client, org, company):
    contact = contact_add(
        actor=org.sales, customer=company, data={"name": "王秘密", "phone": "13812345678"}
    )
    pool_release(actor=org.sales, customer=company, reason="不再跟进")
    client.force_login(org.east_sales2)
    page = client.get(reverse("customers:detail", args=[company.pk])).content.decode()
    assert "王秘密" not in page and "13812345678" not in page and "1234 5678" not in page
    card = client.get(reverse("customers:contacts", args=[company.pk]), **HTMX)
    assert "王秘密" not in card.content.decode() and "领取后可见" in card.content.decode()
    assert client.post(_url("edit", contact), {"name": "乙", "version": "1"}).status_code == 404
    assert client.post(_add_url(company), {"name": "乙"}).status_code == 404
    # A manager (who may change pool customers) sees and edits them.
    client.force_login(org.manager)
    page = client.get(reverse("customers:detail", args=[company.pk])).content.decode()
    assert "王秘密" in page and _url("edit", contact) in page


def test_the_card_reads_in_english(client, org, company):
    contact_add(actor=org.sales, customer=company, data={"name": "王经理", "is_primary": True})
    contact_add(actor=org.sales, customer=company, data={"name": "李助理"})
    client.force_login(org.sales)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("customers:detail", args=[company.pk])).content.decode()
    for english in ("Contacts", "Primary contact", "Add contact", "Make primary", "Save contact"):
        assert english in page, english
    for chinese in ("联系人", "设为主要联系人", "添加联系人", "保存联系人"):
        assert chinese not in page, chinese
    response = client.post(_add_url(company), {"name": "", "email": "x@"}, **HTMX)
    html = response.content.decode()
    assert "Please enter the contact&#x27;s name." in html
    assert "is not a valid e-mail address" in html
