"""The public answer page: one link, one answer; clear pages for bad links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from kehu.core import events
from kehu.customers.timeline import customer_timeline
from kehu.surveys.models import Answer, Invitation, Response, Satisfaction
from kehu.surveys.selectors import latest_satisfaction, latest_satisfaction_many
from tests.factories import make_customer
from tests.surveys.factories import answers_for, make_survey, send_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def web() -> Client:
    return Client(HTTP_HOST="localhost", enforce_csrf_checks=True)


def _url(token: str) -> str:
    return f"/surveys/a/{token}/"


def submit(web: Client, token: str, data: dict) -> object:
    page = web.get(_url(token))
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert csrf is not None, page.content[:500]
    return web.post(_url(token), {**data, "csrfmiddlewaretoken": csrf.group(1).decode()})


@pytest.fixture
def invited(org):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales, name="王五")
    invitation, token = send_link(org.sales, survey, customer)
    return survey, customer, invitation, token


def test_page_is_public_mobile_and_loads_nothing_from_other_hosts(web, invited):
    survey, _customer, _invitation, token = invited
    page = web.get(_url(token))
    assert page.status_code == 200
    html = page.content.decode()
    assert survey.name in html and 'name="viewport"' in html
    assert "csrfmiddlewaretoken" in html
    assert not re.search(r'(src|href|action)="(https?:)?//', html)
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-store" in page["Cache-Control"]


def test_page_styles_only_from_files_its_policy_allows(web, invited):
    """The page's Content-Security-Policy says style-src 'self': an inline style
    attribute would be refused by the browser (and logged as an error)."""
    *_rest, token = invited
    page = web.get(_url(token))
    assert "style-src 'self'" in page["Content-Security-Policy"]
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert not re.search(r"<[^>]+\sstyle=", page.content.decode())


def test_answer_lands_everywhere(web, invited, org, monkeypatch):
    survey, customer, invitation, token = invited
    seen: list[events.CustomerEvent] = []
    handlers = [*events._handlers.get("survey_answered", []), ("test.seen", seen.append)]
    monkeypatch.setitem(events._handlers, "survey_answered", handlers)
    done = submit(web, token, answers_for(survey, csat=4, nps=10, text="很好"))
    assert done.status_code == 200 and "感谢" in done.content.decode()
    response = Response.objects.get(invitation=invitation)
    assert (response.csat, response.nps, response.is_low) == (4, 10, False)
    assert Answer.objects.filter(response=response).count() == 5
    satisfaction = latest_satisfaction(customer.pk)
    assert satisfaction is not None and (satisfaction.csat, satisfaction.nps) == (4, 10)
    assert latest_satisfaction_many([customer.pk, 999999]) == {customer.pk: satisfaction}
    timeline = customer_timeline(customer, kinds=["survey"])
    assert [e.pk for e in timeline.events] == [response.pk]
    assert "4/5" in timeline.events[0].detail
    [event] = seen
    assert event.customer_id == customer.pk
    assert event.data == {"response_id": response.pk, "score": 4, "scale": "csat"}


def test_reused_link_shows_a_clear_page_and_records_nothing(web, invited):
    survey, _customer, _invitation, token = invited
    assert submit(web, token, answers_for(survey, csat=5)).status_code == 200
    again = web.get(_url(token))
    assert again.status_code == 410 and "已经提交过了" in again.content.decode()
    posted = web.post(_url(token), answers_for(survey, csat=1))  # (no CSRF needed to refuse)
    assert posted.status_code in (403, 410)
    assert Response.objects.count() == 1 and Response.objects.get().csat == 5


def test_reused_link_refused_by_the_service_too(invited):
    from kehu.surveys.services import LinkError, response_record

    survey, _customer, _invitation, token = invited
    response_record(raw_token=token, values=answers_for(survey))
    with pytest.raises(LinkError) as error:
        response_record(raw_token=token, values=answers_for(survey, csat=1))
    assert error.value.code == "used"
    assert Response.objects.count() == 1


def test_tampered_link(web, invited):
    _survey, _customer, _invitation, token = invited
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", token + "x"):
        page = web.get(_url(bad))
        assert page.status_code == 404
        assert "链接无效" in page.content.decode()
    assert Response.objects.count() == 0


def test_expired_link(web, invited):
    _survey, _customer, invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    page = web.get(_url(token))
    assert page.status_code == 410 and "链接已过期" in page.content.decode()
    assert Response.objects.count() == 0 and Satisfaction.objects.count() == 0


def test_expired_between_opening_and_submitting(web, invited):
    survey, _customer, invitation, token = invited
    page = web.get(_url(token))
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    posted = web.post(_url(token), {**answers_for(survey), "csrfmiddlewaretoken": csrf.decode()})
    assert posted.status_code == 410 and "链接已过期" in posted.content.decode()
    assert Response.objects.count() == 0


def test_invalid_answers_give_field_errors(web, invited):
    survey, _customer, invitation, token = invited
    csat = survey.questions.get(kind="csat")
    single = survey.questions.get(kind="single")
    page = submit(web, token, {**answers_for(survey), f"q{csat.pk}": "6"})
    assert page.status_code == 422
    assert page.context["form"].errors[f"q{csat.pk}"] == ["请选择 1–5 分。"]
    data = answers_for(survey)
    del data[f"q{single.pk}"]
    page = submit(web, token, data)
    assert page.status_code == 422
    assert page.context["form"].errors[f"q{single.pk}"] == ["此题必答。"]
    assert Response.objects.count() == 0
    assert Invitation.objects.get(pk=invitation.pk).answered_at is None


def test_the_service_checks_answers_itself(invited):
    from django.core.exceptions import ValidationError

    from kehu.surveys.services import response_record

    survey, _customer, _invitation, token = invited
    nps = survey.questions.get(kind="nps")
    with pytest.raises(ValidationError) as error:
        response_record(raw_token=token, values={**answers_for(survey), f"q{nps.pk}": 11})
    assert f"q{nps.pk}" in error.value.message_dict
    assert Response.objects.count() == 0


def test_csrf_is_required(invited):
    survey, _customer, _invitation, token = invited
    web = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    assert web.post(_url(token), answers_for(survey)).status_code == 403
    assert Response.objects.count() == 0


def test_page_in_the_invitations_language(web, org):
    survey = make_survey(org.admin)
    customer = make_customer(org.sales, name="Smith")
    _invitation, token = send_link(org.sales, survey, customer, language="en")
    page = web.get(_url(token))
    assert '<html lang="en">' in page.content.decode()


def test_a_new_link_replaces_the_old_one(web, invited, org):
    from kehu.surveys.services import invitation_link_rotate

    survey, _customer, invitation, token = invited
    url = invitation_link_rotate(actor=org.sales, invitation=invitation)
    assert web.get(_url(token)).status_code == 404
    new_token = url.rstrip("/").rsplit("/", 1)[1]
    assert submit(web, new_token, answers_for(survey)).status_code == 200
