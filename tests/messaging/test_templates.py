"""Shared message templates: everyone who may send uses them; only the author, a manager
of the author's team or an admin changes or deletes one — every other role is refused,
on the page, by the service and when deleting."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kehu.core.errors import NotAllowedError
from kehu.messaging.models import MessageTemplate
from kehu.messaging.services import (
    Audience,
    campaign_preview,
    template_delete,
    template_save,
)
from tests.messaging.factories import consenting_customer

pytestmark = pytest.mark.django_db

EDIT = {"name": "改过的", "channel": "sms", "subject": "", "body": "{称呼}改了"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def template(org):
    return template_save(actor=org.sales, name="国庆问候", channel="sms", body="{称呼}国庆快乐")


def _unchanged(template) -> bool:
    fresh = MessageTemplate.objects.get(pk=template.pk)
    return (fresh.name, fresh.body, fresh.deleted_at) == ("国庆问候", "{称呼}国庆快乐", None)


@pytest.mark.parametrize("role", ["east_sales2", "west_sales", "west_manager"])
def test_other_senders_read_and_use_it_but_may_not_change_it(org, template, role):
    user = getattr(org, role)
    client = client_for(user)
    url = reverse("messaging:template_edit", args=[template.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "国庆问候" in html and "disabled" in html and "删除模板" not in html
    assert client.post(url, EDIT).status_code == 403
    delete = reverse("messaging:template_delete", args=[template.pk])
    assert client.post(delete).status_code == 403
    with pytest.raises(NotAllowedError):
        template_save(actor=user, template=template, **EDIT)
    with pytest.raises(NotAllowedError):
        template_delete(actor=user, template=template)
    assert _unchanged(template)
    # … and they use it
    customer = consenting_customer(user, name="客户甲")
    preview = campaign_preview(
        actor=user,
        audience=Audience(customer_ids=[customer.pk]),
        channel=template.channel,
        body=template.body,
        subject=template.subject,
    )
    assert preview.count == 1


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_roles_that_do_not_send_cannot_open_or_change_it(org, template, role):
    client = client_for(getattr(org, role))
    url = reverse("messaging:template_edit", args=[template.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, EDIT).status_code == 403
    assert client.post(reverse("messaging:template_delete", args=[template.pk])).status_code == 403
    assert _unchanged(template)


@pytest.mark.parametrize("role", ["sales", "manager", "admin"])
def test_the_author_the_teams_manager_and_admins_change_and_delete_it(org, template, role):
    client = client_for(getattr(org, role))
    url = reverse("messaging:template_edit", args=[template.pk])
    assert "删除模板" in client.get(url).content.decode()
    response = client.post(url, EDIT)
    assert response.status_code == 302
    assert MessageTemplate.objects.get(pk=template.pk).name == "改过的"
    response = client.post(reverse("messaging:template_delete", args=[template.pk]))
    assert response.status_code == 302
    assert MessageTemplate.objects.get(pk=template.pk).deleted_at is not None
    assert client.get(url).status_code == 404


def test_a_template_whose_author_is_gone_is_for_admins_only(org, template):
    MessageTemplate.objects.filter(pk=template.pk).update(created_by=None)
    template.refresh_from_db()
    with pytest.raises(NotAllowedError):
        template_save(actor=org.manager, template=template, **EDIT)
    template_save(actor=org.admin, template=template, **EDIT)


def test_the_list_says_who_wrote_each_and_which_are_read_only(org, template):
    template_save(actor=org.east_sales2, name="我的模板", channel="sms", body="{称呼}好")
    html = client_for(org.east_sales2).get(reverse("messaging:templates")).content.decode()
    assert "国庆问候" in html and "我的模板" in html
    assert html.count("只读") == 1
