"""Care plans: building the day's agenda (items, tasks, messages), editing rules,
festivals and cadences, and sending greetings from the agenda page.

``agenda_build(day=...)`` is what the daily job and the "create today's tasks" button
run. It is idempotent and resumable: items are inserted with ``ON CONFLICT DO NOTHING``
on (customer, rule, occurrence) chunk by chunk; tasks are created for items without one
and linked in the same transaction; messages go to items without a campaign, marked in
the same transaction. A run killed at any point leaves only whole chunks behind, and the
next run finishes the rest without doubling anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Model
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.care.access import can_edit_rules, can_send_greetings
from kehu.care.agenda import Entry, agenda_compute, rule_plans
from kehu.care.models import (
    GREETING_REASONS,
    AgendaDay,
    CadenceRule,
    CareItem,
    CareRule,
    Festival,
    RuleKind,
    TaskKindChoice,
)
from kehu.care.texts import TASK_MESSAGE
from kehu.core.errors import ConflictError
from kehu.customers.access import visibility_q
from kehu.customers.audiences import audience_for
from kehu.customers.models import Customer
from kehu.followups.models import Task, TaskKind, TaskStatus

TASK_CHUNK = 5_000
CATCH_UP_DAYS = 3  # days the job builds after a gap (the worker was down)
TASK_KINDS = {
    TaskKindChoice.CALL: TaskKind.CALL,
    TaskKindChoice.VISIT: TaskKind.VISIT,
    TaskKindChoice.GIFT: TaskKind.GIFT,
    TaskKindChoice.GREETING: TaskKind.CARE,
}
TASK_HOUR = 10  # tasks are due at 10:00 local time on the occurrence day


@dataclass
class BuildResult:
    date: str
    items: int = 0
    tasks: int = 0
    messages: int = 0
    skipped_tasks: int = 0  # pool customers of a team without a manager, no admin either


# --- building the agenda -----------------------------------------------------------------

_ITEM_COLUMNS = (
    "customer_id",
    "rule_id",
    "occurs_on",
    "agenda_date",
    "reason",
    "note",
    "params",
    "message_error",
    "created_at",
)


def _items_insert(entries: Sequence[Entry], now: dt.datetime) -> int:
    """Insert agenda lines (their facts, not words: ``kehu.care.texts``); those already
    there are left alone. Returns rows inserted."""
    table = CareItem._meta.db_table
    columns = ", ".join(_ITEM_COLUMNS)
    marks = ", ".join(["%s"] * len(_ITEM_COLUMNS))
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
        "ON CONFLICT (customer_id, rule_id, occurs_on) DO NOTHING"
    )
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    dates: dict[dt.date, Any] = {}  # few distinct dates: adapt each once

    def adapt(day: dt.date) -> Any:
        value = dates.get(day)
        if value is None:
            value = dates[day] = ops.adapt_datefield_value(day)
        return value

    # Entries share their params (a few shapes a day): each is adapted once, found by
    # identity (the entries keep them alive meanwhile, so no id is reused).
    to_json = partial(CareItem._meta.get_field("params").get_db_prep_save, connection=connection)
    adapted: dict[int, Any] = {}

    def adapt_params(params: dict[str, Any]) -> Any:
        value = adapted.get(id(params))
        if value is None:
            value = adapted[id(params)] = to_json(params)
        return value

    rows = [
        (
            e.customer_id,
            e.rule_id,
            adapt(e.occurs_on),
            adapt(e.agenda_date),
            e.reason,
            "",
            adapt_params(e.params),
            "",
            stamp,
        )
        for e in entries
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        # sqlite3 and psycopg both sum rowcount over executemany; skipped rows count 0.
        return max(0, int(cursor.rowcount))


def _assignees() -> tuple[dict[int, int], int | None]:
    """Who gets a pool customer's task: the team's manager (the first active one), or
    (no team, no manager) the first active admin."""
    managers: dict[int, int] = {}
    for team_id, user_id in (
        User.objects.filter(role=Role.MANAGER, is_active=True, team__isnull=False)
        .order_by("id")
        .values_list("team_id", "id")
    ):
        managers.setdefault(team_id, user_id)
    admin = (
        User.objects.filter(is_active=True, role=Role.ADMIN)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    return managers, admin


def due_at_for(day: dt.date) -> dt.datetime:
    """When a care task of ``day`` is due: 10:00 local time."""
    return dt.datetime.combine(day, dt.time(TASK_HOUR), tzinfo=timezone.get_default_timezone())


def _tasks_create(rule: CareRule, day: dt.date, result: BuildResult) -> None:
    """Tasks for the rule's items of ``day`` that have none, chunk by chunk: the tasks
    and the items' links in one transaction (so a killed run doubles nothing).

    Tasks are inserted in bulk with the same fields ``followups.services.task_create``
    sets (no acting user: the job creates them; ``created_by`` stays empty), so reminders,
    my-work and the calendar feed see them like any other follow-up task. (``task_create``
    itself checks an acting user's rights per task and saves one row at a time: too slow
    for a million customers, and a job has no acting user.)"""
    managers, admin = _assignees()
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(timezone.now())
    due_cache: dict[dt.date, Any] = {}
    kind = TASK_KINDS.get(TaskKindChoice(rule.task_kind or TaskKindChoice.GREETING), TaskKind.CARE)
    to_json = partial(Task._meta.get_field("params").get_db_prep_save, connection=connection)
    last = 0
    while True:
        rows = list(
            CareItem.objects.filter(rule=rule, agenda_date=day, task__isnull=True, pk__gt=last)
            .order_by("pk")
            .values_list(
                "pk",
                "customer_id",
                "occurs_on",
                "reason",
                "params",
                "note",
                "customer__owner_id",
                "customer__team_id",
            )[:TASK_CHUNK]
        )
        if not rows:
            return
        last = rows[-1][0]
        with transaction.atomic():
            pairs: list[tuple[int, tuple[Any, ...]]] = []
            for pk, customer_id, occurs_on, reason, params, note, owner_id, team_id in rows:
                assignee = owner_id or managers.get(team_id) or admin
                if assignee is None:
                    result.skipped_tasks += 1
                    continue
                due = due_cache.get(occurs_on)
                if due is None:
                    due = due_cache[occurs_on] = ops.adapt_datetimefield_value(
                        due_at_for(max(occurs_on, day))
                    )
                if params is None:  # a line built with its words, before params
                    words = (f"{rule.name}：{note}"[:200], note, "", None)
                else:  # its facts: the task reads in its reader's language
                    facts = {"rule": rule.name, "reason": reason, "note": params}
                    words = ("", "", TASK_MESSAGE, to_json(facts))
                values = (customer_id, assignee, kind, *words, due, TaskStatus.OPEN, "")
                pairs.append((pk, (*values, None, None, stamp, stamp, 1)))
            # Only the items still without a task (a concurrent run may have taken some).
            free = set(
                CareItem.objects.select_for_update()
                .filter(rule=rule, pk__gte=rows[0][0], pk__lte=last, task__isnull=True)
                .values_list("pk", flat=True)
            )
            pairs = [(pk, t) for pk, t in pairs if pk in free]
            task_ids = _tasks_insert([t for _pk, t in pairs])
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {CareItem._meta.db_table} SET task_id = %s WHERE id = %s",
                    [(task_id, pk) for (pk, _t), task_id in zip(pairs, task_ids, strict=True)],
                )
            result.tasks += len(pairs)


_TASK_COLUMNS = (
    "customer_id",
    "assignee_id",
    "kind",
    "title",
    "notes",
    "message",
    "params",
    "due_at",
    "status",
    "result",
    "done_at",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
)
_TASK_ROWS_PER_INSERT = 500


def _tasks_insert(rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Insert task rows (``_TASK_COLUMNS``) with multi-row ``INSERT ... RETURNING id``:
    the new ids, in the rows' order (what Django's ``bulk_create`` relies on as well),
    without building a model instance per task."""
    table = Task._meta.db_table
    one = "(" + ", ".join(["%s"] * len(_TASK_COLUMNS)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _TASK_ROWS_PER_INSERT):
            part = rows[start : start + _TASK_ROWS_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(_TASK_COLUMNS)}) "
                f"VALUES {', '.join([one] * len(part))} RETURNING id",
                [value for row in part for value in row],
            )
            ids.extend(int(r[0]) for r in cursor.fetchall())
    return ids


def _messages_send(rule: CareRule, day: dt.date, result: BuildResult) -> None:
    """One message per customer of the rule's items of ``day`` not yet sent, through
    ``kehu.messaging`` (one campaign per rule and day); the items are marked with the
    campaign in the same transaction."""
    from kehu.messaging.services import message_to_customers

    items = CareItem.objects.filter(
        rule=rule, agenda_date=day, campaign_id__isnull=True, message_error=""
    )
    ids = list(items.values_list("customer_id", flat=True).order_by("customer_id"))
    if not ids:
        return
    body = rule.message or _festival_greeting(rule, day)
    with transaction.atomic():
        try:
            campaign = message_to_customers(
                actor=None,
                customer_ids=ids,
                channel=rule.channel,
                body=body,
                subject=rule.name,  # e-mail needs a subject: the rule's name (节日问候)
                name=f"{rule.name} {day.isoformat()}",
                purpose="care",
            )
        except ValidationError as error:
            items.update(message_error="；".join(error.messages)[:200])
            return
        items.update(campaign_id=getattr(campaign, "pk", None) or 0)
    result.messages += len(ids)


def _festival_greeting(rule: CareRule, day: dt.date) -> str:
    plans = rule_plans(day, [rule])
    festivals = Festival.objects.filter(pk__in=plans[0].festival_ids).exclude(greeting="")
    first = festivals.order_by("position", "id").first()
    return first.greeting if first else _("{称呼}，节日快乐！")


def agenda_build(*, day: dt.date, now: dt.datetime | None = None) -> BuildResult:
    """Build (or finish building) the care agenda of ``day``: items, tasks, messages."""
    now = now or timezone.now()
    result = BuildResult(date=day.isoformat())
    AgendaDay.objects.get_or_create(date=day, defaults={"started_at": now})
    plans = rule_plans(day)
    customers = Customer.objects.filter(merged_into__isnull=True)
    for entries in agenda_compute(day, customers, plans=plans):
        result.items += _items_insert(entries, now)
    for plan in plans:
        if plan.rule.create_task and not plan.idle:
            _tasks_create(plan.rule, day, result)
    for plan in plans:
        if plan.rule.send_message and not plan.idle:
            _messages_send(plan.rule, day, result)
    AgendaDay.objects.filter(date=day).update(
        done_at=timezone.now(),
        items=CareItem.objects.filter(agenda_date=day).count(),
        tasks=CareItem.objects.filter(agenda_date=day, task__isnull=False).count(),
        messages=CareItem.objects.filter(agenda_date=day, campaign_id__isnull=False).count(),
    )
    return result


def agenda_days_due(today: dt.date) -> list[dt.date]:
    """The days the daily job builds: today, and the days since the last built one
    (at most ``CATCH_UP_DAYS`` back) when the job missed some."""
    last = (
        AgendaDay.objects.filter(done_at__isnull=False, date__lt=today)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    start = (
        today
        if last is None
        else max(last + dt.timedelta(days=1), today - dt.timedelta(days=CATCH_UP_DAYS))
    )
    days = [start + dt.timedelta(days=n) for n in range((today - start).days + 1)]
    done = set(
        AgendaDay.objects.filter(date__in=days, done_at__isnull=False).values_list(
            "date", flat=True
        )
    )
    return [d for d in days if d not in done]


# --- greetings from the agenda page --------------------------------------------------------


def greetings_send(
    *, actor: User, item_ids: Sequence[int], channel: str, body: str, subject: str = ""
) -> Any:
    """Hand the selected festival/birthday lines' customers (those the actor may see) to
    ``kehu.messaging`` as one care campaign; the lines remember the campaign."""
    from kehu.messaging.services import message_to_customers

    if not can_send_greetings(actor):
        raise PermissionDenied
    if not item_ids:
        raise ValidationError({"items": _("请先勾选要发送祝福的客户。")})
    items = CareItem.objects.filter(
        pk__in=list(item_ids)[:10_000], reason__in=GREETING_REASONS
    ).filter(_visible_items_q(actor))
    customer_ids = sorted(set(items.values_list("customer_id", flat=True)))
    if not customer_ids:
        raise ValidationError({"items": _("所选记录中没有可发送祝福的生日或节日客户。")})
    with transaction.atomic():
        campaign = message_to_customers(
            actor=actor,
            customer_ids=customer_ids,
            channel=channel,
            body=body,
            subject=subject,
            name=_("关怀祝福 %(date)s") % {"date": timezone.localdate().isoformat()},
            purpose="care",
        )
        items.update(campaign_id=getattr(campaign, "pk", None) or 0, message_error="")
    return campaign


def _visible_items_q(actor: User) -> Any:
    from kehu.customers.search import q_through

    return q_through(visibility_q(actor), "customer__")


# --- rules, festivals, cadences (admins) ---------------------------------------------------


def _check_admin(actor: User) -> None:
    if not can_edit_rules(actor):
        raise PermissionDenied


def _save_versioned(obj: Model, version: int | None, fields: Mapping[str, Any]) -> None:
    model = type(obj)
    if obj.pk is None:
        obj.save()
        return
    updated = model._default_manager.filter(pk=obj.pk, version=version).update(  # type: ignore[attr-defined]
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConflictError(_("该记录已被他人修改，请刷新后再试。"))
    obj.refresh_from_db()


@transaction.atomic
def rule_save(
    *,
    actor: User,
    rule: CareRule,
    version: int | None = None,
    festival_ids: Sequence[int] = (),
) -> CareRule:
    """Create (no pk) or change a rule after ``rule_validate``; ``version`` guards
    against overwriting someone's change."""
    _check_admin(actor)
    rule_validate(rule)
    _segment_check(actor, rule)
    rule.full_clean(exclude=["created_by", "updated_by"])
    rule.updated_by = actor
    if rule.pk is None:
        rule.created_by = actor
    names = [
        f.attname
        for f in CareRule._meta.concrete_fields
        if f.attname not in ("id", "version", "created_at", "updated_at", "created_by_id")
    ]
    _save_versioned(rule, version, {n: getattr(rule, n) for n in names})
    rule.festivals.set(Festival.objects.filter(pk__in=list(festival_ids)))
    return rule


def _segment_check(actor: User, rule: CareRule) -> None:
    """A rule's segment is one the editor may see (kept as it was, it stays)."""
    if not rule.segment_id:
        return
    before = CareRule.objects.filter(pk=rule.pk).values_list("segment_id", flat=True).first()
    if rule.pk is not None and before == rule.segment_id:
        return
    try:
        audience_for(actor, "segment", rule.segment_id)
    except Http404:
        raise ValidationError({"segment": _("没有这个客户分群，或您无权使用它。")}) from None


def rule_validate(rule: CareRule) -> None:
    errors: dict[str, str] = {}
    if rule.kind == RuleKind.ANNIVERSARY and not rule.anniversary:
        errors["anniversary"] = _("纪念日规则需要选择纪念日类型。")
    if rule.kind == RuleKind.VISIT:
        if not rule.tag_id:
            errors["tag"] = _("定期拜访/送礼规则需要选择重要客户的标签。")
        if not rule.every_days:
            errors["every_days"] = _("请填写每隔多少天拜访/送礼一次。")
    if rule.create_task and not rule.task_kind:
        errors["task_kind"] = _("创建任务时需要选择任务类型。")
    if rule.send_message:
        if not rule.channel:
            errors["channel"] = _("自动发送消息时需要选择渠道。")
        if not rule.message and rule.kind != RuleKind.FESTIVAL:
            errors["message"] = _("自动发送消息时需要填写消息模板。")
    if rule.message:
        problem = template_problem(rule.message)
        if problem:
            errors["message"] = problem
    if errors:
        raise ValidationError(errors)


PLACEHOLDERS = ("称呼", "姓名", "公司", "生日", "负责人")


def template_problem(text: str) -> str:
    """An error message for an unknown or unclosed placeholder, or ""."""
    import re

    for name in re.findall(r"\{([^{}]*)\}", text):
        if name not in PLACEHOLDERS:
            return _("未知的占位符 {%(name)s}；可用：%(known)s") % {
                "name": name,
                "known": " ".join("{" + p + "}" for p in PLACEHOLDERS),
            }
    if re.sub(r"\{[^{}]*\}", "", text).count("{") or re.sub(r"\{[^{}]*\}", "", text).count("}"):
        return _("占位符的花括号没有成对出现。")
    return ""


def festival_validate(festival: Festival) -> None:
    errors: dict[str, str] = {}
    if festival.calendar == "lunar" and festival.day > 30:
        errors["day"] = _("农历日期最多为三十。")
    if festival.calendar == "solar" and not festival.is_new_year_eve:
        try:
            dt.date(2000, festival.month, festival.day)  # 2000: 29 February exists
        except ValueError:
            errors["day"] = _("%(month)d 月没有 %(day)d 日。") % {
                "month": festival.month,
                "day": festival.day,
            }
    if festival.is_new_year_eve and festival.calendar != "lunar":
        errors["is_new_year_eve"] = _("除夕只能是农历节日。")
    if festival.greeting:
        problem = template_problem(festival.greeting)
        if problem:
            errors["greeting"] = problem
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def festival_save(*, actor: User, festival: Festival, version: int | None = None) -> Festival:
    _check_admin(actor)
    if festival.is_new_year_eve:
        festival.month, festival.day = 12, 30
    festival_validate(festival)
    festival.full_clean(exclude=["version"])
    fields = (
        "name",
        "calendar",
        "month",
        "day",
        "is_new_year_eve",
        "active",
        "greeting",
        "position",
    )
    _save_versioned(festival, version, {f: getattr(festival, f) for f in fields})
    return festival


@transaction.atomic
def cadence_save(*, actor: User, cadence: CadenceRule, version: int | None = None) -> CadenceRule:
    _check_admin(actor)
    cadence.is_default = cadence.tag_id is None
    others = CadenceRule.objects.exclude(pk=cadence.pk)
    if cadence.tag_id is None and others.filter(tag__isnull=True).exists():
        raise ValidationError({"tag": _("已有默认回访周期，请修改它而不是再建一个。")})
    if cadence.tag_id and others.filter(tag_id=cadence.tag_id).exists():
        raise ValidationError({"tag": _("该标签已设置回访周期。")})
    cadence.full_clean(exclude=["version"])
    _save_versioned(
        cadence,
        version,
        {"tag_id": cadence.tag_id, "days": cadence.days, "is_default": cadence.is_default},
    )
    return cadence


@transaction.atomic
def cadence_delete(*, actor: User, cadence: CadenceRule) -> None:
    _check_admin(actor)
    if cadence.tag_id is None:
        raise ValidationError({"tag": _("默认回访周期不能删除。")})
    cadence.delete()
