"""`kehu demo`: a deterministic, consistent, searchable data set."""

from __future__ import annotations

import io

import phonenumbers
import pytest
from django.core.management import CommandError, call_command

from kehu.accounts.models import Role, User
from kehu.customers.models import Customer, CustomerChange, CustomerPhone, SearchToken
from kehu.customers.selectors import CustomerFilters, customer_list

pytestmark = pytest.mark.django_db


def load(n: int = 200, seed: int = 7) -> str:
    out = io.StringIO()
    call_command("demo", "--customers", str(n), "--seed", str(seed), stdout=out)
    return out.getvalue()


def test_demo_builds_a_consistent_book():
    assert "200 customers" in load()
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="admin").check_password("kehu-demo-2026")
    assert Customer.objects.count() == 200
    pool = Customer.objects.filter(owner__isnull=True).count()
    assert 5 <= pool <= 40
    assert Customer.objects.filter(kind="company").count() > 30
    for number in CustomerPhone.objects.values_list("number", flat=True):
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))
    assert CustomerChange.objects.filter(action="create").count() == 200
    assert SearchToken.objects.values("customer_id").distinct().count() == 200


def test_demo_customers_are_found_by_search():
    load()
    admin = User.objects.get(username="admin")
    person = Customer.objects.filter(kind="person").order_by("id").first()
    initials = "".join(w[0] for w in person.name_pinyin.split())
    found = customer_list(admin, CustomerFilters(q=initials), page_size=100)
    assert person.pk in [c.pk for c in found.items] or found.count_is_capped or found.count > 100


def test_demo_is_deterministic_for_a_seed():
    load(50, seed=3)
    first = list(Customer.objects.order_by("id").values_list("name", "city"))
    Customer.objects.all().delete()
    User.objects.all().delete()
    from kehu.accounts.models import Team
    from kehu.customers.models import Tag

    Team.objects.all().delete()
    Tag.objects.all().delete()
    load(50, seed=3)
    assert list(Customer.objects.order_by("id").values_list("name", "city")) == first


def test_demo_refuses_a_database_with_data():
    load(10)
    with pytest.raises(CommandError, match="already has data"):
        load(10)
    assert Customer.objects.count() == 10


def test_demo_has_service_and_care():
    from django.utils import timezone

    from kehu.care.models import AgendaDay
    from kehu.complaints.models import Complaint, Incident
    from kehu.messaging.models import Consent
    from kehu.surveys.models import Satisfaction

    load(300)
    assert Complaint.objects.count() >= 5
    assert Complaint.objects.filter(status="closed").exists()
    assert Complaint.objects.exclude(status="closed").exists()
    assert Incident.objects.filter(complaints__isnull=False).exists()
    assert Satisfaction.objects.exists()
    assert Consent.objects.filter(status="granted").exists()
    assert AgendaDay.objects.filter(date=timezone.localdate()).exists()


def test_demo_shows_its_progress():
    """`make run` loads the demo for most of a minute: the bar says how far, and what."""
    from kehu.demo.generate import DEMO_PHASES, demo_load

    heard: list[tuple[float, str]] = []
    demo_load(
        customers=120, seed=5, progress=lambda fraction, label: heard.append((fraction, label))
    )
    fractions = [fraction for fraction, _label in heard]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0 and fractions[-1] == pytest.approx(1.0)
    assert list(dict.fromkeys(label for _fraction, label in heard)) == list(DEMO_PHASES)
    assert sum(DEMO_PHASES.values()) == pytest.approx(1.0)


def test_demo_command_draws_the_bar(db):
    err = io.StringIO()
    call_command("demo", "--customers", "60", "--seed", "4", stdout=io.StringIO(), stderr=err)
    drawn = err.getvalue()
    assert "lifecycle history" in drawn and "100%" in drawn
