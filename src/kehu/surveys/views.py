"""Survey pages: templates and builder, sending, invitations, triggers, reports, and the
public answer page (no login: the link's token is the key)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from kehu.accounts.selectors import request_actor, teams_visible_to, users_visible_to
from kehu.core.charts import chart_config
from kehu.core.errors import KehuError
from kehu.core.forms import add_service_errors
from kehu.customers.access import access_customer
from kehu.surveys.access import (
    access_invitation,
    access_report,
    access_survey,
    can_edit_surveys,
    can_read_reports,
    can_send_surveys,
    can_send_to,
    invitations_visible_to,
)
from kehu.surveys.forms import (
    AnswerForm,
    QuestionFormSet,
    ResultFiltersForm,
    SegmentForm,
    SendOneForm,
    SurveyForm,
    TriggerForm,
    formset_questions,
    question_initial,
)
from kehu.surveys.models import Response, Survey, SurveyTrigger
from kehu.surveys.selectors import (
    questions_summary,
    recent_comments,
    response_answers,
    segment_customers,
    survey_invitations,
    survey_results,
    surveys_with_counts,
)
from kehu.surveys.services import (
    LinkError,
    invitation_for_token,
    invitation_link_rotate,
    invitations_send,
    response_record,
    survey_copy,
    survey_save,
    trigger_save,
)

LINK_KEY = "kehu_survey_links"


def _error_text(error: Exception) -> str:
    if isinstance(error, KehuError):
        return error.message
    if isinstance(error, ValidationError):
        return _("；").join(error.messages)
    return str(error)


def _page(request: HttpRequest, rows: Any, size: int = 30) -> Any:
    try:
        return Paginator(rows, size).page(int(request.GET.get("page") or 1))
    except (EmptyPage, ValueError):
        raise Http404 from None


@login_required
def list_view(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    return render(
        request,
        "surveys/list.html",
        {
            "surveys": surveys_with_counts(),
            "can_edit": can_edit_surveys(actor),
            "can_report": can_read_reports(actor),
            "can_send": can_send_surveys(actor),
        },
    )


# --- the builder ---------------------------------------------------------------------------


@login_required
def survey_edit_view(request: HttpRequest, survey_id: int | None = None) -> HttpResponse:
    actor = request_actor(request)
    if not can_edit_surveys(actor):
        raise PermissionDenied
    survey = access_survey(actor, survey_id, edit=True) if survey_id else None
    initial = question_initial(list(survey.questions.order_by("position"))) if survey else []
    form = SurveyForm(request.POST or None, instance=survey)
    formset = QuestionFormSet(request.POST or None, initial=initial, prefix="questions")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        questions, kept = formset_questions(formset)
        try:
            saved = survey_save(
                actor=actor,
                survey=survey,
                version=form.cleaned_data.get("version"),
                data=form.service_data(),
                questions=questions,
            )
        except (ValidationError, KehuError) as error:
            _builder_errors(form, formset, kept, error)
        else:
            messages.success(request, _("问卷已保存。"))
            return redirect("surveys:edit", saved.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "formset": formset, "survey": survey}
    return render(request, "surveys/builder.html", context, status=status)


def _builder_errors(form: Any, formset: Any, kept: list[Any], error: Exception) -> None:
    if not isinstance(error, ValidationError):
        form.add_error(None, _error_text(error))
        return
    for key, texts in error.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(kept):
            kept[int(parts[1])].add_error(parts[2], texts)
        elif key in form.fields:
            form.add_error(key, texts)
        else:
            form.add_error(None, texts)


@login_required
@require_POST
def survey_copy_view(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    copy = survey_copy(actor=actor, survey=access_survey(actor, survey_id, edit=True))
    messages.success(request, _("已复制问卷，可以修改题目了。"))
    return redirect("surveys:edit", copy.pk)


# --- sending -------------------------------------------------------------------------------


@login_required
@require_POST
def send_one_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = request_actor(request)
    customer = access_customer(actor, customer_id)
    if not can_send_to(actor, customer):
        raise PermissionDenied
    form = SendOneForm(request.POST)
    back = reverse("customers:detail", args=[customer.pk]) + "#surveys"
    if not form.is_valid():
        messages.error(request, _("请选择问卷和发送方式。"))
        return redirect(back)
    try:
        result = invitations_send(actor=actor, customers=[customer], **form.cleaned_data)
    except (ValidationError, KehuError) as error:
        messages.error(request, _error_text(error))
        return redirect(back)
    if not result.invitations:
        messages.warning(request, _("该客户已有一份未完成的同一问卷邀请，未重复发送。"))
        return redirect(back)
    invitation = result.invitations[0]
    request.session[LINK_KEY] = {str(invitation.pk): result.links[invitation.pk]}
    messages.success(request, _("已创建调查邀请。"))
    return redirect("surveys:invitation", invitation.pk)


@login_required
def segment_send_view(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = access_survey(actor, survey_id)
    if not can_send_surveys(actor):
        raise PermissionDenied
    form = SegmentForm(request.POST or request.GET or None, user=actor)
    preview = None
    if form.is_bound and form.is_valid():
        customers, cut = segment_customers(actor, form.filters())
        preview = {"count": len(customers), "first": customers[:10], "cut": cut}
        if request.method == "POST":
            return _segment_send(request, survey, form, customers)
    context = {"survey": survey, "form": form, "preview": preview}
    return render(request, "surveys/segment.html", context)


def _segment_send(
    request: HttpRequest, survey: Survey, form: SegmentForm, customers: list[Any]
) -> HttpResponse:
    try:
        result = invitations_send(
            actor=request_actor(request),
            survey=survey,
            customers=customers,
            channel=form.cleaned_data["channel"],
            language=form.cleaned_data["language"],
            source="segment",
        )
    except (ValidationError, KehuError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("已发送 %(sent)d 份邀请，跳过 %(skipped)d 位客户。")
            % {"sent": result.created, "skipped": result.skipped_total},
        )
    return redirect("surveys:invitations", survey.pk)


# --- invitations and answers ---------------------------------------------------------------


@login_required
def invitation_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    actor = request_actor(request)
    invitation = access_invitation(actor, invitation_id)
    if request.method == "POST":
        try:
            link = invitation_link_rotate(actor=actor, invitation=invitation)
        except KehuError as error:
            messages.error(request, error.message)
        else:
            request.session[LINK_KEY] = {str(invitation.pk): link}
            messages.success(request, _("已生成新链接，旧链接已失效。"))
        return redirect("surveys:invitation", invitation.pk)
    links = request.session.pop(LINK_KEY, {}) or {}
    context = {
        "invitation": invitation,
        "link": links.get(str(invitation.pk)),
        "can_send": can_send_to(actor, invitation.customer),
        "answers": response_answers(invitation.response) if invitation.answered_at else [],
    }
    return render(request, "surveys/invitation.html", context)


@login_required
def invitations_view(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = access_survey(actor, survey_id)
    page = _page(request, survey_invitations(actor, survey))
    return render(request, "surveys/invitations.html", {"survey": survey, "page": page})


@login_required
def response_view(request: HttpRequest, response_id: int) -> HttpResponse:
    actor = request_actor(request)
    visible = invitations_visible_to(actor).values("pk")
    response = (
        Response.objects.filter(pk=response_id, invitation__in=visible)
        .values_list("invitation_id", flat=True)
        .first()
    )
    if response is None:
        raise Http404
    return redirect("surveys:invitation", response)


# --- triggers ------------------------------------------------------------------------------


@login_required
def triggers_view(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = access_survey(actor, survey_id, edit=True)
    form = TriggerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trigger_save(actor=actor, survey=survey, data=form.service_data())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加自动发送规则。"))
            return redirect("surveys:triggers", survey.pk)
    triggers = SurveyTrigger.objects.filter(survey=survey).order_by("kind", "pk")
    context = {"survey": survey, "form": form, "triggers": triggers}
    return render(request, "surveys/triggers.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def trigger_toggle_view(request: HttpRequest, survey_id: int, trigger_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = access_survey(actor, survey_id, edit=True)
    trigger = SurveyTrigger.objects.filter(survey=survey, pk=trigger_id).first()
    if trigger is None:
        raise Http404
    trigger_save(
        actor=actor, survey=survey, trigger=trigger, data={"is_active": not trigger.is_active}
    )
    return redirect("surveys:triggers", survey.pk)


# --- reports -------------------------------------------------------------------------------


@login_required
def report_view(request: HttpRequest, survey_id: int) -> HttpResponse:
    actor = request_actor(request)
    survey = access_report(actor, survey_id)
    form = ResultFiltersForm(request.GET or None)
    results = survey_results(actor, survey, form.filters())
    chart = {
        "config": chart_config(),
        "labels": [b.label for b in results.groups],
        "rate": [b.response_rate for b in results.groups],
        "csat": [b.csat_share for b in results.groups],
        "nps": [b.nps for b in results.groups],
    }
    context = {
        "survey": survey,
        "form": form,
        "results": results,
        "chart": chart,
        "choices": questions_summary(actor, survey),
        "comments": recent_comments(actor, survey),
        "teams": teams_visible_to(actor),
        "owners": users_visible_to(actor)[:200],
    }
    return render(request, "surveys/report.html", context)


# --- the public answer page ----------------------------------------------------------------


LINK_MESSAGES = {
    "invalid": (
        404,
        _lazy("链接无效"),
        _lazy("这个链接不完整或已被替换。请检查链接是否复制完整，或联系我们获取新链接。"),
    ),
    "expired": (
        410,
        _lazy("链接已过期"),
        _lazy("这份调查的填写期限已过。如需反馈，请直接联系我们。"),
    ),
    "used": (
        410,
        _lazy("已经提交过了"),
        _lazy("这个链接已经使用过，每个链接只能提交一次。感谢您的反馈！"),
    ),
    "closed": (410, _lazy("调查已结束"), _lazy("这份调查已经停止收集答案。感谢您的关注！")),
}


def _public(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    # The token must not leak to other sites; "same-origin", not "no-referrer": with
    # no-referrer the browser posts the form with "Origin: null" and CSRF refuses it.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


def _link_problem(request: HttpRequest, error: LinkError) -> HttpResponse:
    status, title, text = LINK_MESSAGES.get(error.code, LINK_MESSAGES["invalid"])
    context = {"title": title, "text": text, "code": error.code}
    return _public(request, "surveys/public/problem.html", context, status=status)


@never_cache
@csrf_protect
def answer_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token)
    except LinkError as error:
        return _link_problem(request, error)
    with translation.override(invitation.language):
        questions = list(invitation.survey.questions.order_by("position"))
        form = AnswerForm(request.POST or None, questions=questions)
        if request.method == "POST" and form.is_valid():
            try:
                response_record(raw_token=token, values=form.values())
            except LinkError as error:
                return _link_problem(request, error)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                context = {"survey": invitation.survey, "language": invitation.language}
                return _public(request, "surveys/public/thanks.html", context)
        context = {"invitation": invitation, "survey": invitation.survey, "form": form}
        status = 422 if form.errors else 200
        return _public(request, "surveys/public/answer.html", context, status=status)
