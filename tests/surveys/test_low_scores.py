"""A low score opens a follow-up task at once: owner, else sender, else an admin."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kehu.followups.models import Task, TaskKind
from kehu.surveys.models import Invitation, Response
from kehu.surveys.services import response_record
from tests.factories import make_customer
from tests.surveys.factories import answers_for, make_survey, send_link

pytestmark = pytest.mark.django_db


def test_low_csat_opens_a_task_for_the_owner_due_today(org):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales, name="低分客户")
    _inv, token = send_link(org.service, survey, customer)
    response = response_record(raw_token=token, values=answers_for(survey, csat=2, nps=9))
    task = Task.objects.get(customer=customer)
    assert response.is_low and response.task_id == task.pk
    assert task.assignee == org.sales and task.kind == TaskKind.SURVEY
    assert timezone.localtime(task.due_at).date() == timezone.localdate()


def test_low_nps_alone_is_low_and_thresholds_are_per_survey(org):
    survey = make_survey(org.admin, low_nps=3)
    customer = make_customer(org.sales, name="乙")
    _inv, token = send_link(org.sales, survey, customer)
    response_record(raw_token=token, values=answers_for(survey, csat=5, nps=5))
    assert not Task.objects.exists()
    survey2 = make_survey(org.admin, name="二")
    _inv, token = send_link(org.sales, survey2, customer)
    response_record(raw_token=token, values=answers_for(survey2, csat=5, nps=6))
    assert Task.objects.filter(customer=customer).count() == 1


def test_pool_customer_goes_to_the_sender_then_to_an_admin(org):
    survey = make_survey(org.admin)
    pool = make_customer(None, name="公海客户", actor=org.admin)
    _inv, token = send_link(org.service, survey, pool)
    response_record(raw_token=token, values=answers_for(survey, csat=1))
    assert Task.objects.get(customer=pool).assignee == org.service

    other = make_customer(None, name="公海二", actor=org.admin)
    invitation, token = send_link(org.service, survey, other)
    Invitation.objects.filter(pk=invitation.pk).update(sent_by=None)  # as a trigger sends
    response_record(raw_token=token, values=answers_for(survey, csat=1))
    assert Task.objects.get(customer=other).assignee == org.admin


def test_good_score_opens_nothing(org):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales)
    _inv, token = send_link(org.sales, survey, customer)
    response_record(raw_token=token, values=answers_for(survey, csat=3, nps=7))
    assert not Task.objects.exists() and not Response.objects.get().is_low
