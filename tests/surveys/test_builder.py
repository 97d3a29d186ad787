"""Survey templates: validation, the builder page, locking once sent, access."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kehu.core.errors import ConflictError
from kehu.surveys.models import Question, Survey
from kehu.surveys.services import survey_copy, survey_save
from tests.factories import make_customer
from tests.surveys.factories import QUESTIONS, make_survey, send_link

pytestmark = pytest.mark.django_db


def _errors(**kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        survey_save(**kwargs)
    return error.value.message_dict


def test_validation(org):
    assert "questions" in _errors(actor=org.admin, data={"name": "空"}, questions=[])
    errors = _errors(
        actor=org.admin,
        data={"name": ""},
        questions=[
            {"kind": "single", "text": "选一个", "choices": ["甲", ""]},
            {"kind": "multiple", "text": "多选", "choices": ["甲", "甲"]},
            {"kind": "csat", "text": "  "},
            {"kind": "stars", "text": "星级"},
        ],
    )
    assert set(errors) == {
        "name",
        "questions.0.choices",
        "questions.1.choices",
        "questions.2.text",
        "questions.3.kind",
    }
    assert not Survey.objects.exists()


def test_questions_keep_their_order_and_choices_only_where_they_belong(org):
    survey = make_survey(
        org.manager,
        questions=[{"kind": "text", "text": "建议", "choices": ["忽略"]}, *QUESTIONS[:1]],
    )
    assert [q.kind for q in survey.questions.order_by("position")] == ["text", "csat"]
    assert Question.objects.get(survey=survey, kind="text").choices == []


def test_questions_locked_once_sent_and_copy(org):
    survey = make_survey(org.admin)
    send_link(org.sales, survey, make_customer(org.sales))
    with pytest.raises(ValidationError) as error:
        survey_save(
            actor=org.admin, survey=survey, version=survey.version, data={}, questions=QUESTIONS[:1]
        )
    assert "questions" in error.value.message_dict
    renamed = survey_save(
        actor=org.admin,
        survey=survey,
        version=survey.version,
        data={"name": "改名"},
        questions=QUESTIONS,
    )
    assert renamed.name == "改名" and renamed.questions.count() == len(QUESTIONS)
    copy = survey_copy(actor=org.manager, survey=renamed)
    assert copy.name == "改名（副本）" and copy.questions.count() == len(QUESTIONS)


def test_two_editors_do_not_overwrite_each_other(org):
    survey = make_survey(org.admin)
    survey_save(actor=org.admin, survey=survey, version=1, data={"name": "甲"}, questions=QUESTIONS)
    with pytest.raises(ConflictError):
        survey_save(
            actor=org.manager, survey=survey, version=1, data={"name": "乙"}, questions=QUESTIONS
        )
    assert Survey.objects.get(pk=survey.pk).name == "甲"


@pytest.mark.parametrize("role", ["sales", "service", "analyst"])
def test_only_admins_and_managers_edit_templates(org, role):
    user = getattr(org, role)
    with pytest.raises(PermissionDenied):
        make_survey(user)
    survey = make_survey(org.admin)
    web = Client(HTTP_HOST="localhost")
    web.force_login(user)
    assert web.get("/surveys/new/").status_code == 403
    assert web.get(f"/surveys/{survey.pk}/edit/").status_code == 403
    assert web.get(f"/surveys/{survey.pk}/triggers/").status_code == 403
    assert web.post(f"/surveys/{survey.pk}/copy/").status_code == 403
    assert web.get("/surveys/").status_code == 200


def _builder_post(rows: list[dict], **survey) -> dict:
    data = {
        "name": "新问卷",
        "intro": "",
        "thanks": "",
        "is_active": "on",
        "low_csat": "2",
        "low_nps": "6",
        "expiry_days": "14",
        "questions-TOTAL_FORMS": str(len(rows)),
        "questions-INITIAL_FORMS": "0",
        **survey,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"questions-{i}-{key}"] = value
    return data


def test_builder_page(org):
    web = Client(HTTP_HOST="localhost")
    web.force_login(org.manager)
    assert web.get("/surveys/new/").status_code == 200
    empty = web.post("/surveys/new/", _builder_post([]))
    assert empty.status_code == 422 and "至少需要一道题目" in empty.content.decode()
    bad = web.post(
        "/surveys/new/",
        _builder_post([{"kind": "single", "text": "选", "choices": "\n只有一个\n", "ORDER": "1"}]),
    )
    assert bad.status_code == 422 and "至少需要两个非空选项" in bad.content.decode()
    good = web.post(
        "/surveys/new/",
        _builder_post(
            [
                {"kind": "text", "text": "建议", "ORDER": "2"},
                {"kind": "nps", "text": "推荐吗", "required": "on", "ORDER": "1"},
                {"kind": "csat", "text": "", "ORDER": ""},  # blank row: ignored
            ]
        ),
    )
    assert good.status_code == 302
    survey = Survey.objects.get()
    assert [q.kind for q in survey.questions.order_by("position")] == ["nps", "text"]
    page = web.get(f"/surveys/{survey.pk}/edit/")
    assert page.status_code == 200 and "推荐吗" in page.content.decode()
