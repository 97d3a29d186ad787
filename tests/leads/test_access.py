"""``access_lead`` and the lead pages per role: not visible → 404 (like a missing id);
visible but not the user's to change → 403. Leads follow owner and team like
customers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from kehu.leads.access import access_lead
from kehu.leads.models import Lead

pytestmark = pytest.mark.django_db

ALL = ("own", "other", "west", "pool")

# role → (leads visible, leads the role may change)
RULES = {
    "admin": (ALL, ALL),
    "service": (ALL, ()),
    "analyst": (ALL, ()),
    "manager": (("own", "other", "pool"), ("own", "other", "pool")),
    "west_manager": (("west", "pool"), ("west", "pool")),
    "sales": (("own", "pool"), ("own",)),
    "east_sales2": (("other", "pool"), ("other",)),
    "west_sales": (("west", "pool"), ("west",)),
}


@pytest.mark.parametrize("role", sorted(RULES))
def test_access_per_role(org, leads, role):
    user = getattr(org, role)
    visible, writable = RULES[role]
    for key, lead in leads.items():
        if key not in visible:
            with pytest.raises(Http404):
                access_lead(user, lead.pk)
            continue
        assert access_lead(user, lead.pk) == lead
        if key in writable:
            assert access_lead(user, lead.pk, write=True) == lead
        else:
            with pytest.raises(PermissionDenied):
                access_lead(user, lead.pk, write=True)


def test_a_missing_id_and_an_unseen_one_answer_alike(org, leads):
    for raw in (leads["west"].pk, 10**9, "abc", -1, 2**70):
        with pytest.raises(Http404):
            access_lead(org.sales, raw)


def test_a_deleted_lead_is_gone(org, leads):
    Lead.objects.filter(pk=leads["own"].pk).update(deleted_at="2026-01-01T00:00:00Z")
    with pytest.raises(Http404):
        access_lead(org.admin, leads["own"].pk)


def test_a_salesperson_sees_no_phone_of_a_pool_lead(client, org, leads):
    client.force_login(org.sales)
    page = client.get(reverse("leads:detail", args=[leads["pool"].pk])).content.decode()
    assert "领取后可见" in page and "138 0013 8004" not in page
    own = client.get(reverse("leads:detail", args=[leads["own"].pk])).content.decode()
    assert "138 0013 8001" in own


@pytest.mark.parametrize("role", ["west_sales", "west_manager"])
def test_pages_refuse_another_teams_lead_with_404(client, org, leads, role):
    client.force_login(getattr(org, role))
    lead = leads["own"]
    for name in ("detail", "edit"):
        assert client.get(reverse(f"leads:{name}", args=[lead.pk])).status_code == 404
    for name in ("attempt", "verify", "qualify", "convert", "claim", "release"):
        assert client.post(reverse(f"leads:{name}", args=[lead.pk])).status_code == 404
    assert Lead.objects.get(pk=lead.pk).version == lead.version


@pytest.mark.parametrize("role", ["service", "analyst"])
def test_read_only_roles_may_not_change_a_lead(client, org, leads, role):
    client.force_login(getattr(org, role))
    lead = leads["own"]
    assert client.get(reverse("leads:detail", args=[lead.pk])).status_code == 200
    assert client.get(reverse("leads:edit", args=[lead.pk])).status_code == 403
    posted = client.post(reverse("leads:attempt", args=[lead.pk]), {"outcome": "connected"})
    assert posted.status_code == 403
    assert client.post(reverse("leads:claim", args=[leads["pool"].pk])).status_code == 403
    assert client.get(reverse("leads:create")).status_code == 403
    assert not lead.attempts.exists()


def test_a_salesperson_may_not_change_a_colleagues_lead(client, org, leads):
    client.force_login(org.sales)
    lead = leads["other"]
    assert client.get(reverse("leads:detail", args=[lead.pk])).status_code == 404


@pytest.mark.parametrize("role", ["manager", "sales", "service", "analyst"])
def test_only_admins_edit_the_lead_settings(client, org, role):
    client.force_login(getattr(org, role))
    assert client.get(reverse("leads:settings")).status_code == 403
    assert client.post(reverse("leads:reason_add"), {"name": "x"}).status_code == 403
    client.force_login(org.admin)
    assert client.get(reverse("leads:settings")).status_code == 200


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_only_managers_and_admins_assign(client, org, leads, role):
    client.force_login(getattr(org, role))
    posted = client.post(reverse("leads:assign", args=[leads["pool"].pk]), {"owner": org.sales.pk})
    assert posted.status_code == 403
    assert Lead.objects.get(pk=leads["pool"].pk).owner is None


def test_the_list_shows_only_what_the_user_may_see(client, org, leads):
    client.force_login(org.west_sales)
    page = client.get(reverse("leads:list")).content.decode()
    assert "西一" in page and "池一" in page and "东一" not in page and "东二" not in page
