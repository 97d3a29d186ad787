"""Reads of surveys, invitations, answers and results, scoped to what the actor may see."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.days import day_end, day_start
from kehu.customers.models import Customer
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.customers.timeline import Cursor, TimelineEvent
from kehu.surveys.access import invitations_visible_to
from kehu.surveys.models import Answer, Invitation, Response, Satisfaction, Survey
from kehu.surveys.reports import Bucket
from kehu.surveys.services import MAX_SEGMENT

GROUPS = ("month", "team", "owner", "product")
MAX_REPORT_ROWS = 200_000


# --- the latest satisfaction (read by the lifecycle engine) ---------------------------------


def latest_satisfaction(customer_id: int) -> Satisfaction | None:
    return Satisfaction.objects.filter(customer_id=customer_id, slot="latest").first()


def latest_satisfaction_many(customer_ids: Iterable[int]) -> dict[int, Satisfaction]:
    """Customer id → latest satisfaction, for the customers that have one."""
    ids = list(customer_ids)
    found: dict[int, Satisfaction] = {}
    for start in range(0, len(ids), 900):
        for row in Satisfaction.objects.filter(
            customer_id__in=ids[start : start + 900], slot="latest"
        ):
            found[row.customer_id] = row
    return found


# --- lists ---------------------------------------------------------------------------------


def surveys_with_counts() -> QuerySet[Survey]:
    return Survey.objects.annotate(
        question_count=Count("questions", distinct=True),
    ).order_by("-is_active", "name", "id")


def survey_with_questions(survey: Survey) -> Survey:
    return Survey.objects.prefetch_related("questions").get(pk=survey.pk)


def customer_invitations(customer: Customer, *, limit: int = 5) -> list[Invitation]:
    return list(
        Invitation.objects.filter(customer=customer)
        .select_related("survey", "response")
        .order_by("-created_at", "-pk")[:limit]
    )


def survey_invitations(user: User, survey: Survey) -> QuerySet[Invitation]:
    return (
        invitations_visible_to(user)
        .filter(survey=survey)
        .select_related("customer", "response", "owner")
        .order_by("-created_at", "-pk")
    )


def response_answers(response: Response) -> list[Answer]:
    return list(response.answers.select_related("question").order_by("question__position"))


def invitation_detail(invitation: Invitation) -> Invitation:
    return (
        Invitation.objects.select_related("survey", "customer", "sent_by", "response")
        .prefetch_related(
            Prefetch("survey__questions"),
        )
        .get(pk=invitation.pk)
    )


def segment_customers(user: User, filters: CustomerFilters) -> tuple[list[Customer], bool]:
    """The customers of a filter the user sees (at most ``MAX_SEGMENT``): the customer
    list's own filtering and search. The flag says the segment was cut."""
    found: list[Customer] = []
    page = 1
    while True:
        result = customer_list(user, filters, page=page, page_size=500)
        found.extend(result.items)
        if len(found) >= MAX_SEGMENT:
            return found[:MAX_SEGMENT], True
        if not result.has_next or not result.items:
            return found, False
        page += 1


# --- timeline ------------------------------------------------------------------------------


def survey_events(customer: Customer, cursor: Cursor | None, limit: int) -> list[TimelineEvent]:
    rows = Response.objects.filter(customer=customer)
    if cursor:
        rows = rows.filter(cursor.q("survey", "answered_at"))
    rows = rows.select_related("survey").order_by("-answered_at", "-pk")[:limit]
    events = []
    for r in rows:
        scores = []
        if r.csat is not None:
            scores.append(_("满意度 %(n)d/5") % {"n": r.csat})
        if r.nps is not None:
            scores.append(_("推荐意愿 %(n)d/10") % {"n": r.nps})
        events.append(
            TimelineEvent(
                at=r.answered_at,
                kind="survey",
                pk=r.pk,
                title=str(_("回答调查：%(name)s") % {"name": r.survey.name}),
                detail=" · ".join(str(s) for s in scores),
                url=reverse("surveys:response", args=[r.pk]),
                extra={"low": r.is_low},
            )
        )
    return events


# --- results -------------------------------------------------------------------------------


@dataclass
class ResultFilters:
    group: str = "month"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    team: int | None = None
    owner: int | None = None


@dataclass
class Results:
    survey: Survey
    filters: ResultFilters
    totals: Bucket
    groups: list[Bucket] = field(default_factory=list)
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return self.totals.sent == 0


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def _clamp(day: dt.date | None) -> dt.date | None:
    return None if day is None else min(max(day, EARLIEST), LATEST)


def survey_results(user: User, survey: Survey, filters: ResultFilters) -> Results:
    """CSAT, NPS and response rate of the invitations sent to customers ``user`` sees,
    grouped by month sent, team, owner (when sent) or product (of the triggering order)."""
    rows = invitations_visible_to(user).filter(survey=survey, sent_at__isnull=False)
    filters.date_from = _clamp(filters.date_from)
    filters.date_to = _clamp(filters.date_to)
    if filters.date_from:
        rows = rows.filter(sent_at__gte=day_start(filters.date_from))
    if filters.date_to:
        rows = rows.filter(sent_at__lt=day_end(filters.date_to))
    if filters.team:
        rows = rows.filter(team_id=filters.team)
    if filters.owner:
        rows = rows.filter(owner_id=filters.owner)
    values = list(
        rows.order_by("sent_at", "pk").values_list(
            "pk",
            "sent_at",
            "team_id",
            "team__name",
            "owner_id",
            "owner__display_name",
            "owner__username",
            "answered_at",
            "response__csat",
            "response__nps",
        )[: MAX_REPORT_ROWS + 1]
    )
    truncated = len(values) > MAX_REPORT_ROWS
    values = values[:MAX_REPORT_ROWS]
    products: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if filters.group == "product":
        pairs = (
            rows.filter(order__isnull=False)
            .values_list("pk", "order__lines__product_id", "order__lines__product__name")
            .distinct()
        )
        for pk, product_id, name in pairs:
            if product_id is not None:
                products[pk].append((str(product_id), name))
    totals = Bucket("total", str(_("合计")))
    buckets: dict[str, Bucket] = {}
    for pk, sent_at, team_id, team, owner_id, owner_name, username, answered, csat, nps in values:
        totals.add(answered=answered is not None, csat=csat, nps=nps)
        if filters.group == "team":
            keys = [(str(team_id or 0), team or str(_("无团队")))]
        elif filters.group == "owner":
            keys = [(str(owner_id or 0), owner_name or username or str(_("公海")))]
        elif filters.group == "product":
            keys = products.get(pk) or [("0", str(_("无关联订单")))]
        else:
            month = timezone.localtime(sent_at).strftime("%Y-%m")
            keys = [(month, month)]
        for key, label in keys:
            bucket = buckets.setdefault(key, Bucket(key, label))
            bucket.add(answered=answered is not None, csat=csat, nps=nps)
    groups = list(buckets.values())
    if filters.group != "month":
        groups.sort(key=lambda b: (-b.sent, b.label))
    return Results(survey, filters, totals, groups, truncated)


def questions_summary(user: User, survey: Survey, *, limit: int = 20) -> list[dict[str, object]]:
    """Per choice question, how often each option was picked (customers ``user`` sees)."""
    visible = invitations_visible_to(user).filter(survey=survey, answered_at__isnull=False)
    summary = []
    for question in survey.questions.filter(kind__in=("single", "multiple")).order_by("position"):
        counts = dict.fromkeys(question.choices, 0)
        answers = Answer.objects.filter(
            question=question, response__invitation__in=visible.values("pk")
        ).values_list("choices", flat=True)
        for chosen in answers[:MAX_REPORT_ROWS]:
            for choice in chosen or []:
                if choice in counts:
                    counts[choice] += 1
        summary.append({"question": question, "counts": list(counts.items())})
    return summary[:limit]


def recent_comments(user: User, survey: Survey, *, limit: int = 20) -> list[Answer]:
    visible = invitations_visible_to(user).filter(survey=survey, answered_at__isnull=False)
    return list(
        Answer.objects.filter(response__invitation__in=visible.values("pk"))
        .exclude(text="")
        .filter(~Q(text=""))
        .select_related("response__customer", "question")
        .order_by("-response__answered_at", "-pk")[:limit]
    )
