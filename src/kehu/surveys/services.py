"""Surveys: templates, sending (one customer, a segment, triggers), links, answers.

Low scores: an answer at or below the survey's low line (CSAT ≤ 2, NPS ≤ 6 by
default) opens a follow-up task due today for, in this order, the customer's owner,
the member of staff who sent the invitation, or the first active admin — whoever of
them may follow the customer up (a pool customer has no owner; triggered invitations
have no sender).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.core.days import day_end, day_start
from kehu.core.errors import ConflictError, KehuError
from kehu.core.events import CustomerEvent, emit
from kehu.core.sql import rows_insert_ids, values_in
from kehu.customers.access import can_log_interaction
from kehu.customers.models import Customer
from kehu.followups.models import Task, TaskKind
from kehu.followups.services import task_create
from kehu.surveys.access import can_edit_surveys, can_send_surveys, can_send_to
from kehu.surveys.models import (
    CHOICE_KINDS,
    SCALES,
    Answer,
    Channel,
    Invitation,
    InvitationSource,
    Question,
    QuestionKind,
    Response,
    Satisfaction,
    Survey,
    SurveyTrigger,
    TriggerKind,
)
from kehu.surveys.texts import LOW_SCORE_MESSAGE

logger = logging.getLogger(__name__)

MAX_QUESTIONS = 30
MAX_CHOICES = 20
MAX_CHOICE_LENGTH = 100
MAX_TEXT_ANSWER = 2000
MAX_SEGMENT = 5000  # customers per segment send
CATCH_UP_DAYS = 7  # the order trigger looks this far back for days it missed
RETRY_AFTER = dt.timedelta(hours=1)
SURVEY_FIELDS = ("name", "intro", "thanks", "is_active", "low_csat", "low_nps", "expiry_days")


class DeliveryError(KehuError):
    code = "delivery_failed"
    status = 503


class LinkError(KehuError):
    """A link that cannot be answered: ``code`` says why (the public page's message)."""

    status = 410

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def answer_url(raw: str) -> str:
    return str(settings.KEHU_BASE_URL) + reverse("surveys:answer", args=[raw])


# --- templates -----------------------------------------------------------------------------


def question_errors(questions: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Errors of a question list, keyed ``questions`` or ``questions.<i>.<field>``."""
    errors: dict[str, list[str]] = {}
    if not questions:
        errors["questions"] = [_("问卷至少需要一道题目。")]
    elif len(questions) > MAX_QUESTIONS:
        errors["questions"] = [_("问卷最多 %(n)d 道题目。") % {"n": MAX_QUESTIONS}]
    for i, q in enumerate(questions):
        prefix = f"questions.{i}."
        if q.get("kind") not in QuestionKind.values:
            errors[prefix + "kind"] = [_("请选择题型。")]
        text = str(q.get("text") or "").strip()
        if not text:
            errors[prefix + "text"] = [_("题目不能为空。")]
        elif len(text) > 500:
            errors[prefix + "text"] = [_("题目最多 500 个字符。")]
        if q.get("kind") in CHOICE_KINDS:
            choices = [str(c).strip() for c in q.get("choices") or []]
            if len(choices) < 2 or any(not c for c in choices):
                errors[prefix + "choices"] = [_("选择题至少需要两个非空选项。")]
            elif len(set(choices)) != len(choices):
                errors[prefix + "choices"] = [_("选项不能重复。")]
            elif len(choices) > MAX_CHOICES or any(len(c) > MAX_CHOICE_LENGTH for c in choices):
                errors[prefix + "choices"] = [
                    _("最多 %(n)d 个选项，每个最多 %(m)d 个字符。")
                    % {"n": MAX_CHOICES, "m": MAX_CHOICE_LENGTH}
                ]
    return errors


def _question_rows(questions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "kind": q["kind"],
            "text": str(q["text"]).strip(),
            "required": bool(q.get("required", True)),
            "choices": [str(c).strip() for c in q.get("choices") or []]
            if q["kind"] in CHOICE_KINDS
            else [],
        }
        for q in questions
    ]


def survey_questions_data(survey: Survey) -> list[dict[str, Any]]:
    return [
        {"kind": q.kind, "text": q.text, "required": q.required, "choices": list(q.choices)}
        for q in survey.questions.order_by("position")
    ]


@transaction.atomic
def survey_save(
    *,
    actor: User,
    data: Mapping[str, Any],
    questions: Sequence[Mapping[str, Any]],
    survey: Survey | None = None,
    version: int | None = None,
) -> Survey:
    """Create a survey, or change one (send the ``version`` you read). Questions of a
    survey that has been sent are fixed: copy it to ask something else."""
    if not can_edit_surveys(actor):
        raise PermissionDenied
    unknown = set(data) - set(SURVEY_FIELDS)
    if unknown:
        raise ValidationError({key: _("未知字段。") for key in sorted(unknown)})
    errors = question_errors(questions)
    rows = [] if errors else _question_rows(questions)
    target = Survey(created_by=actor) if survey is None else Survey.objects.get(pk=survey.pk)
    for key, value in data.items():
        setattr(target, key, value.strip() if isinstance(value, str) else value)
    target.updated_by = actor
    try:
        target.full_clean(exclude=["created_by", "updated_by"])
    except ValidationError as error:
        errors.update(error.message_dict)
    changed = survey is not None and not errors and rows != survey_questions_data(target)
    if changed and Invitation.objects.filter(survey=target).exists():
        errors["questions"] = [_("该问卷已发出过邀请，题目不能再改；请复制一份再修改。")]
    if errors:
        raise ValidationError(errors)
    if survey is None:
        target.save()
    else:
        values = {key: getattr(target, key) for key in SURVEY_FIELDS}
        done = Survey.objects.filter(pk=target.pk, version=version or 0).update(
            **values, updated_by=actor, version=F("version") + 1, updated_at=timezone.now()
        )
        if not done:
            raise ConflictError(
                _("该问卷已被他人修改，请刷新后再试。"),
                details={"current_version": Survey.objects.get(pk=target.pk).version},
            )
        if rows == survey_questions_data(target):
            target.refresh_from_db()
            return target
        Question.objects.filter(survey=target).delete()
    Question.objects.bulk_create(
        Question(survey=target, position=i + 1, **row) for i, row in enumerate(rows)
    )
    target.refresh_from_db()
    return target


@transaction.atomic
def survey_copy(*, actor: User, survey: Survey) -> Survey:
    if not can_edit_surveys(actor):
        raise PermissionDenied
    name = (_("%(name)s（副本）") % {"name": survey.name})[:200]
    data = {key: getattr(survey, key) for key in SURVEY_FIELDS}
    return survey_save(
        actor=actor, data={**data, "name": name}, questions=survey_questions_data(survey)
    )


# --- triggers ------------------------------------------------------------------------------


@transaction.atomic
def trigger_save(
    *, actor: User, survey: Survey, data: Mapping[str, Any], trigger: SurveyTrigger | None = None
) -> SurveyTrigger:
    if not can_edit_surveys(actor):
        raise PermissionDenied
    target = trigger or SurveyTrigger(created_by=actor)
    target.survey = survey
    for key in ("kind", "delay_days", "channel", "language", "is_active"):
        if key in data:
            setattr(target, key, data[key])
    target.full_clean(exclude=["created_by"])
    target.save()
    return target


# --- sending -------------------------------------------------------------------------------


@dataclass
class SendResult:
    invitations: list[Invitation] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    links: dict[int, str] = field(default_factory=dict)  # invitation id → link
    campaigns: list[Any] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.invitations)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _open_invitations(survey: Survey, now: dt.datetime) -> Q:
    """Invitations of ``survey`` a customer may still answer (or that wait to go)."""
    return Q(survey=survey, answered_at__isnull=True) & (
        Q(sent_at__isnull=True) | Q(expires_at__gt=now)
    )


def _check_send_options(survey: Survey, channel: str, language: str) -> None:
    errors = {}
    if not survey.is_active:
        errors["survey"] = [_("该问卷已停用，不能发送。")]
    elif not survey.questions.exists():
        errors["survey"] = [_("该问卷还没有题目。")]
    if channel not in Channel.values:
        errors["channel"] = [_("未知的发送渠道。")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("不支持的语言。")]
    if errors:
        raise ValidationError(errors)


def _new_invitation(
    survey: Survey, customer: Customer, *, source: str, channel: str, language: str, **extra: Any
) -> Invitation:
    return Invitation(
        survey=survey,
        customer=customer,
        source=source,
        channel=channel,
        language=language,
        owner_id=customer.owner_id,
        team_id=customer.team_id,
        **extra,
    )


@transaction.atomic
def invitations_send(
    *,
    actor: User,
    survey: Survey,
    customers: Iterable[Customer],
    channel: str,
    language: str = "zh-hans",
    source: str = InvitationSource.MANUAL,
) -> SendResult:
    """Invite customers now: one invitation each, delivered through ``channel`` (or, for
    ``link``, links for staff to send by hand). Skipped and counted: customers the actor
    may not follow up, and those with an invitation to this survey still open."""
    if not can_send_surveys(actor):
        raise PermissionDenied
    _check_send_options(survey, channel, language)
    now = timezone.now()
    result = SendResult()
    wanted: dict[int, Customer] = {}
    for customer in customers:
        if customer.deleted_at is not None or not can_send_to(actor, customer):
            result.skipped["not_allowed"] = result.skipped.get("not_allowed", 0) + 1
        else:
            wanted[customer.pk] = customer
    busy = set(
        Invitation.objects.filter(_open_invitations(survey, now), customer_id__in=list(wanted))
        .values_list("customer_id", flat=True)
        .distinct()
    )
    if busy:
        result.skipped["open_invitation"] = len(busy)
    fresh = [
        _new_invitation(survey, c, source=source, channel=channel, language=language, sent_by=actor)
        for pk, c in wanted.items()
        if pk not in busy
    ]
    for invitation in fresh:
        invitation.save()
    result.invitations = fresh
    links, campaigns = _deliver(fresh, actor=actor, now=now)
    result.links, result.campaigns = links, campaigns
    return result


def invitations_queue(
    *,
    survey: Survey,
    customer_ids: Sequence[int],
    channel: str,
    deliver_after: dt.datetime,
    language: str = "zh-hans",
    source: str = InvitationSource.EXIT,
) -> dict[int, int]:
    """Invitations the delivery job sends at ``deliver_after`` (an app's own trigger:
    the exit interview), written in one statement for many customers — those without
    an invitation to ``survey`` still open. Customer id → the invitation's id."""
    if not survey.is_active or channel not in Channel.values:
        return {}
    now = timezone.now()
    busy = set(
        Invitation.objects.filter(
            _open_invitations(survey, now), customer_id__in=values_in(customer_ids, "int")
        ).values_list("customer_id", flat=True)
    )
    wanted = [c for c in dict.fromkeys(customer_ids) if c not in busy]
    owners = {
        pk: (owner, team)
        for pk, owner, team in Customer.objects.filter(
            pk__in=values_in(wanted, "int"), deleted_at__isnull=True
        ).values_list("pk", "owner_id", "team_id")
    }
    wanted = [c for c in wanted if c in owners]
    rows = [
        {
            "survey_id": survey.pk,
            "customer_id": c,
            "source": source,
            "channel": channel,
            "language": language,
            "owner_id": owners[c][0],
            "team_id": owners[c][1],
            "created_at": now,
            "deliver_after": deliver_after,
        }
        for c in wanted
    ]
    return dict(zip(wanted, rows_insert_ids(Invitation, rows), strict=True))


def _message_body(language: str, expiry_days: int) -> str:
    with translation.override(language):
        return _("{称呼}您好！请花一分钟告诉我们您对服务的感受：{链接}（%(days)d 天内有效）") % {
            "days": expiry_days
        }


def _safe(text: str) -> str:
    """Survey names go into message templates: braces would read as placeholders."""
    return text.replace("{", "（").replace("}", "）")


def _deliver(
    invitations: Sequence[Invitation], *, actor: User | None, now: dt.datetime
) -> tuple[dict[int, str], list[Any]]:
    """Give each invitation a fresh token and hand it out (through the channel, or as
    links to show). Runs in the caller's transaction: a failed delivery undoes it."""
    from kehu.messaging.services import message_to_customers

    links: dict[int, str] = {}
    campaigns: list[Any] = []
    groups: dict[tuple[int, str, str], list[Invitation]] = defaultdict(list)
    for invitation in invitations:
        groups[(invitation.survey_id, invitation.channel, invitation.language)].append(invitation)
    for (_survey_id, channel, language), members in groups.items():
        survey = members[0].survey
        raw_by_customer: dict[int, str] = {}
        for invitation in members:
            raw = secrets.token_urlsafe(32)
            invitation.token_digest = token_digest(raw)
            invitation.sent_at = now
            invitation.expires_at = now + dt.timedelta(days=survey.expiry_days)
            invitation.delivery_error = ""
            links[invitation.pk] = answer_url(raw)
            raw_by_customer[invitation.customer_id] = links[invitation.pk]
        Invitation.objects.bulk_update(
            members, ["token_digest", "sent_at", "expires_at", "delivery_error"]
        )
        if channel == Channel.LINK:
            continue
        try:
            campaign = message_to_customers(
                actor=actor,
                customer_ids=list(raw_by_customer),
                channel=channel,
                body=_message_body(language, survey.expiry_days),
                subject=_safe(survey.name),
                name=_safe(_("满意度调查：%(name)s") % {"name": survey.name})[:200],
                purpose="survey",
                extra={cid: {"链接": url} for cid, url in raw_by_customer.items()},
            )
        except (ValidationError, KehuError):
            raise
        except Exception as error:
            logger.exception("survey invitations: delivery failed")
            raise DeliveryError(
                _("邀请未能发送：%(error)s") % {"error": f"{type(error).__name__}: {error}"[:300]}
            ) from error
        campaigns.append(campaign)
    return links, campaigns


def invitation_link_rotate(*, actor: User, invitation: Invitation) -> str:
    """A new link for staff to send by hand (WeChat...): the previous one stops working."""
    if not can_send_to(actor, invitation.customer):
        raise PermissionDenied
    if invitation.answered_at is not None:
        raise ConflictError(_("客户已经回答过了。"), details={"reason": "answered"})
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    survey = invitation.survey
    Invitation.objects.filter(pk=invitation.pk).update(
        token_digest=token_digest(raw),
        sent_at=invitation.sent_at or now,
        expires_at=now + dt.timedelta(days=survey.expiry_days),
        delivery_error="",
    )
    invitation.refresh_from_db()
    return answer_url(raw)


# --- triggers: complaints closed, orders paid, delayed deliveries ---------------------------


def _trigger_invite(
    trigger: SurveyTrigger,
    customer: Customer,
    *,
    now: dt.datetime,
    order_id: int | None = None,
    complaint_id: int | None = None,
) -> Invitation | None:
    """One invitation per trigger and complaint/order (a unique constraint makes sure,
    even when two workers race); none while the customer has one open to the survey."""
    key = {"order_id": order_id} if order_id else {"complaint_id": complaint_id}
    if Invitation.objects.filter(trigger=trigger, **key).exists():
        return None
    if Invitation.objects.filter(
        _open_invitations(trigger.survey, now), customer=customer
    ).exists():
        return None
    invitation = _new_invitation(
        trigger.survey,
        customer,
        source=InvitationSource.ORDER if order_id else InvitationSource.COMPLAINT,
        channel=trigger.channel,
        language=trigger.language,
        trigger=trigger,
        deliver_after=now + dt.timedelta(days=0 if order_id else trigger.delay_days),
        created_at=now,
        **key,
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        return None
    return invitation


def complaint_closed(event: CustomerEvent) -> None:
    """``complaint_closed`` subscriber: invite the complaint's customer (after the
    trigger's delay). Never breaks the closing: a failed delivery is retried later."""
    triggers = list(
        SurveyTrigger.objects.filter(
            kind=TriggerKind.COMPLAINT_CLOSED, is_active=True, survey__is_active=True
        ).select_related("survey")
    )
    if not triggers:
        return
    customer = Customer.objects.alive().filter(pk=event.customer_id).first()
    complaint_id = event.data.get("complaint_id")
    if customer is None or not isinstance(complaint_id, int):
        return
    now = timezone.now()
    made = [
        inv
        for trigger in triggers
        if (inv := _trigger_invite(trigger, customer, now=now, complaint_id=complaint_id))
    ]
    _deliver_guarded([inv for inv in made if inv.deliver_after <= now], now=now)


def _deliver_guarded(invitations: Sequence[Invitation], *, now: dt.datetime) -> tuple[int, int]:
    """Deliver, one customer per group, each group in a savepoint: a failure is recorded
    on the invitations and retried after ``RETRY_AFTER``."""
    delivered = failed = 0
    by_key: dict[tuple[int, str, str], list[Invitation]] = defaultdict(list)
    for invitation in invitations:
        by_key[(invitation.survey_id, invitation.channel, invitation.language)].append(invitation)
    for members in by_key.values():
        # One customer once per call: the channel's per-customer link is one key.
        rounds: list[list[Invitation]] = []
        for invitation in members:
            for group in rounds:
                if all(m.customer_id != invitation.customer_id for m in group):
                    group.append(invitation)
                    break
            else:
                rounds.append([invitation])
        for group in rounds:
            try:
                with transaction.atomic():
                    _deliver(group, actor=None, now=now)
            except Exception as error:  # recorded, retried; the trigger's caller goes on
                logger.warning("survey delivery failed: %s", error)
                Invitation.objects.filter(pk__in=[i.pk for i in group]).update(
                    delivery_error=str(error)[:500], deliver_after=now + RETRY_AFTER
                )
                failed += len(group)
            else:
                delivered += len(group)
    return delivered, failed


def order_triggers_run(*, now: dt.datetime | None = None) -> int:
    """Invite the buyers of paid orders placed ``delay_days`` ago (and of the days a
    stopped worker missed, up to ``CATCH_UP_DAYS``). One invitation per order."""
    from kehu.orders.models import Order, OrderStatus

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    created = 0
    triggers = SurveyTrigger.objects.filter(
        kind=TriggerKind.ORDER_PAID, is_active=True, survey__is_active=True
    ).select_related("survey")
    for trigger in triggers:
        day = today - dt.timedelta(days=trigger.delay_days)
        since = max(
            day_start(day - dt.timedelta(days=CATCH_UP_DAYS)),
            trigger.created_at - dt.timedelta(days=trigger.delay_days),
        )
        orders = (
            Order.objects.filter(
                status=OrderStatus.PAID,
                ordered_at__gte=since,
                ordered_at__lt=day_end(day),
                customer__deleted_at__isnull=True,
            )
            .exclude(Exists(Invitation.objects.filter(trigger=trigger, order_id=OuterRef("pk"))))
            .select_related("customer")
            .order_by("ordered_at", "pk")
        )
        for order in orders.iterator(chunk_size=500):
            if _trigger_invite(trigger, order.customer, now=now, order_id=order.pk):
                created += 1
    return created


def invitations_deliver_pending(
    *, now: dt.datetime | None = None, batch: int = 500
) -> dict[str, int]:
    """Deliver invitations whose time has come (delayed triggers, retries)."""
    now = now or timezone.now()
    delivered = failed = 0
    while True:
        pending = list(
            Invitation.objects.filter(
                sent_at__isnull=True,
                deliver_after__lte=now,
                answered_at__isnull=True,
                customer__deleted_at__isnull=True,
            )
            .select_related("survey")
            .order_by("deliver_after", "pk")[:batch]
        )
        if not pending:
            break
        ok, bad = _deliver_guarded(pending, now=now)
        delivered, failed = delivered + ok, failed + bad
        if bad and not ok:
            break  # all failed: they wait for RETRY_AFTER
    return {"delivered": delivered, "failed": failed}


# --- answering -----------------------------------------------------------------------------


def invitation_for_token(raw: str, *, now: dt.datetime | None = None) -> Invitation:
    """The invitation a public link may answer, or ``LinkError`` with why not:
    ``invalid`` (tampered, unknown, replaced), ``used``, ``expired``, ``closed``."""
    now = now or timezone.now()
    if not raw or len(raw) > 100:
        raise LinkError("invalid")
    invitation = (
        Invitation.objects.select_related("survey", "customer")
        .filter(token_digest=token_digest(raw), customer__deleted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise LinkError("invalid")
    if invitation.answered_at is not None:
        raise LinkError("used")
    if invitation.expires_at is None or invitation.expires_at <= now:
        raise LinkError("expired")
    if not invitation.survey.is_active:
        raise LinkError("closed")
    return invitation


def answers_clean(questions: Sequence[Question], values: Mapping[str, Any]) -> dict[int, Any]:
    """Check raw answers (``q<id>`` → value) against the questions: field errors keyed
    ``q<id>``. Returns question id → clean value (missing optional ones left out)."""
    errors: dict[str, list[str]] = {}
    clean: dict[int, Any] = {}
    for q in questions:
        name = f"q{q.pk}"
        value = values.get(name)
        empty = value is None or value == "" or value == []
        if empty:
            if q.required:
                errors[name] = [_("此题必答。")]
            continue
        if q.kind in SCALES:
            low, high = SCALES[QuestionKind(q.kind)]
            try:
                score = int(str(value))
            except ValueError:
                score = -1
            if not low <= score <= high:
                errors[name] = [_("请选择 %(low)d–%(high)d 分。") % {"low": low, "high": high}]
            else:
                clean[q.pk] = score
        elif q.kind == QuestionKind.SINGLE:
            if value not in q.choices:
                errors[name] = [_("请从选项中选择。")]
            else:
                clean[q.pk] = value
        elif q.kind == QuestionKind.MULTIPLE:
            chosen = value if isinstance(value, list) else [value]
            if any(c not in q.choices for c in chosen):
                errors[name] = [_("请从选项中选择。")]
            else:
                clean[q.pk] = [c for c in q.choices if c in chosen]
        else:
            text = str(value).strip()
            if len(text) > MAX_TEXT_ANSWER:
                errors[name] = [_("最多 %(n)d 个字符。") % {"n": MAX_TEXT_ANSWER}]
            elif "\x00" in text:
                errors[name] = [_("包含无效字符。")]
            elif text:
                clean[q.pk] = text
            elif q.required:
                errors[name] = [_("此题必答。")]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def response_record(*, raw_token: str, values: Mapping[str, Any]) -> Response:
    """Record a customer's answers through a public link. Raises ``LinkError`` (nothing
    recorded) or ``ValidationError`` with field errors ``q<id>``."""
    now = timezone.now()
    invitation = invitation_for_token(raw_token, now=now)
    survey = invitation.survey
    questions = list(survey.questions.order_by("position"))
    clean = answers_clean(questions, values)
    # Single use even when the same link is submitted twice at once.
    claimed = Invitation.objects.filter(
        pk=invitation.pk,
        token_digest=invitation.token_digest,
        answered_at__isnull=True,
        expires_at__gt=now,
    ).update(answered_at=now)
    if not claimed:
        raise LinkError("used")
    csat = next((clean.get(q.pk) for q in questions if q.kind == QuestionKind.CSAT), None)
    nps = next((clean.get(q.pk) for q in questions if q.kind == QuestionKind.NPS), None)
    is_low = (csat is not None and csat <= survey.low_csat) or (
        nps is not None and nps <= survey.low_nps
    )
    response = Response.objects.create(
        invitation=invitation,
        survey=survey,
        customer=invitation.customer,
        answered_at=now,
        csat=csat,
        nps=nps,
        is_low=is_low,
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=pk,
            score=value if isinstance(value, int) else None,
            text=value if _kind(questions, pk) == QuestionKind.TEXT else "",
            choices=_choices_of(value, _kind(questions, pk)),
        )
        for pk, value in clean.items()
    )
    _satisfaction_update(response)
    if is_low:
        task = _low_score_task(response, invitation)
        if task is not None:
            Response.objects.filter(pk=response.pk).update(task=task)
            response.task = task
    rated = next((q for q in questions if q.kind in SCALES and q.pk in clean), None)
    emit(
        CustomerEvent(
            kind="survey_answered",
            customer_id=invitation.customer_id,
            data={
                "response_id": response.pk,
                "score": clean[rated.pk] if rated else None,
                "scale": rated.kind if rated else "",
            },
        )
    )
    return response


def _choices_of(value: Any, kind: str) -> list[str]:
    if kind == QuestionKind.SINGLE:
        return [value]
    return list(value) if kind == QuestionKind.MULTIPLE else []


def _kind(questions: Sequence[Question], pk: int) -> str:
    return next(q.kind for q in questions if q.pk == pk)


def _satisfaction_update(response: Response) -> None:
    if response.csat is None and response.nps is None:
        return
    row, _created = Satisfaction.objects.select_for_update().get_or_create(
        customer_id=response.customer_id,
        slot="latest",
        defaults={"answered_at": response.answered_at},
    )
    if response.csat is not None:
        row.csat, row.csat_at = response.csat, response.answered_at
    if response.nps is not None:
        row.nps, row.nps_at = response.nps, response.answered_at
    row.response = response
    row.answered_at = response.answered_at
    row.save()


def low_score_assignee(invitation: Invitation, customer: Customer) -> User | None:
    """The owner, else the sender, else the first active admin who may follow up."""
    candidates: list[User | None] = [customer.owner, invitation.sent_by]
    candidates.append(
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
        .order_by("pk")
        .first()
    )
    for user in candidates:
        if user is not None and user.is_active and can_log_interaction(user, customer):
            return user
    return None


def _low_score_task(response: Response, invitation: Invitation) -> Task | None:
    customer = Customer.objects.select_related("owner").get(pk=invitation.customer_id)
    assignee = low_score_assignee(invitation, customer)
    if assignee is None:
        logger.warning("low survey score for customer %s: nobody to follow up", customer.pk)
        return None
    now = timezone.localtime(response.answered_at)
    end_of_day = now.replace(hour=23, minute=59, second=0, microsecond=0)
    return task_create(
        actor=assignee,
        customer=customer,
        assignee=assignee,
        message=LOW_SCORE_MESSAGE,
        params={"survey": invitation.survey.name, "csat": response.csat, "nps": response.nps},
        data={
            "kind": TaskKind.SURVEY,
            "due_at": min(now + dt.timedelta(hours=2), end_of_day) if now < end_of_day else now,
        },
    )
