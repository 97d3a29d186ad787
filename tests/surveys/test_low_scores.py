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


def test_the_follow_up_task_reads_in_its_readers_language(org):
    """Answered while English was active (a customer's browser), the task keeps the
    facts: its owner reads it in their language."""
    from django.utils import translation

    from tests.api.conftest import api_client_for

    survey = make_survey(org.admin, name="售后回访")
    customer = make_customer(org.sales, name="低分客户")
    _inv, token = send_link(org.service, survey, customer)
    with translation.override("en"):
        response_record(raw_token=token, values=answers_for(survey, csat=2, nps=3))
    task = Task.objects.get(customer=customer)
    assert (task.title, task.notes, task.message) == ("", "", "surveys.low_score")
    assert task.title_text == "低分回访：售后回访"
    assert task.notes_text == "客户在调查中打了低分（满意度 2 分，推荐意愿 3 分），请今天联系客户。"
    api = api_client_for(org.sales)
    read = api.get(f"/api/v1/tasks/{task.pk}", **{"Accept-Language": "en"}).json()
    assert read["title"] == "Low-score follow-up: 售后回访"
    assert "低分" not in read["notes"] and "2" in read["notes"] and "3" in read["notes"]
