"""Acting on several agenda lines at once from the care page: a follow-up task for each
ticked line that has none, or the ticked lines' tasks marked done. Each line is
checked on its own (seen, the actor's to act on, not done already); the result says
which were refused and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.care.access import can_act_on_items
from kehu.care.models import CareItem, TaskKindChoice
from kehu.care.selectors import care_items_visible_to
from kehu.care.services import TASK_KINDS, due_at_for
from kehu.care.texts import TASK_MESSAGE
from kehu.customers.access import can_log_interaction
from kehu.followups.models import Task, TaskKind, TaskStatus
from kehu.followups.services import Refusal, task_assignees, tasks_finish

MAX_ITEMS = 200


class ItemRefusal(Refusal):
    HAS_TASK = "has_task"  # "create tasks": the line has one already
    NO_TASK = "no_task"  # "done": the line has no task to finish


@dataclass
class ItemsResult:
    done: list[int] = field(default_factory=list)  # line ids
    refused: dict[int, str] = field(default_factory=dict)  # line id → ``ItemRefusal``


def _ids(item_ids: Iterable[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids:
        raise ValidationError({"items": _("请先勾选关怀事项。")})
    if len(ids) > MAX_ITEMS:
        raise ValidationError({"items": _("一次最多处理 %(n)d 项。") % {"n": MAX_ITEMS}})
    return ids


@transaction.atomic
def care_items_tasks_create(*, actor: User, item_ids: Iterable[int]) -> ItemsResult:
    """A follow-up task for each ticked line without one, given to the customer's owner
    when the actor may give them tasks, else to the actor (as the daily job would, with
    the same title, kind and due time)."""
    if not can_act_on_items(actor):
        raise PermissionDenied
    ids = _ids(item_ids)
    items = {
        i.pk: i
        for i in care_items_visible_to(actor)
        .filter(pk__in=ids)
        .select_related("customer", "rule")
        .select_for_update(of=("self",))
    }
    assignable = set(task_assignees(actor).values_list("pk", flat=True))
    today = timezone.localdate()
    result = ItemsResult()
    made: list[tuple[CareItem, Task]] = []
    for item_id in ids:
        item = items.get(item_id)
        if item is None:
            result.refused[item_id] = Refusal.NOT_FOUND
        elif item.task_id is not None:
            result.refused[item_id] = ItemRefusal.HAS_TASK
        elif not can_log_interaction(actor, item.customer):
            result.refused[item_id] = Refusal.FORBIDDEN
        else:
            owner = item.customer.owner_id
            rule = item.rule
            kind = TASK_KINDS.get(
                TaskKindChoice(rule.task_kind or TaskKindChoice.GREETING), TaskKind.CARE
            )
            words: dict[str, object]
            if item.params is None:  # a line built with its words, before params
                words = {"title": f"{rule.name}：{item.note}"[:200], "notes": item.note}
            else:  # its facts: the task reads in its reader's language
                facts = {"rule": rule.name, "reason": item.reason, "note": item.params}
                words = {"message": TASK_MESSAGE, "params": facts}
            task = Task(
                customer_id=item.customer_id,
                assignee_id=owner if owner in assignable else actor.pk,
                kind=kind,
                **words,
                due_at=due_at_for(max(item.occurs_on, today)),
                status=TaskStatus.OPEN,
                created_by=actor,
            )
            made.append((item, task))
    Task.objects.bulk_create([task for _item, task in made])
    for item, task in made:
        item.task = task
        result.done.append(item.pk)
    CareItem.objects.bulk_update([item for item, _task in made], ["task"])
    return result


@transaction.atomic
def care_items_done(*, actor: User, item_ids: Iterable[int]) -> ItemsResult:
    """The ticked lines' tasks marked done (each checked as my work's bulk bar does)."""
    if not can_act_on_items(actor):
        raise PermissionDenied
    ids = _ids(item_ids)
    items = dict(care_items_visible_to(actor).filter(pk__in=ids).values_list("pk", "task_id"))
    result = ItemsResult()
    by_task: dict[int, int] = {}
    for item_id in ids:
        if item_id not in items:
            result.refused[item_id] = Refusal.NOT_FOUND
        elif items[item_id] is None:
            result.refused[item_id] = ItemRefusal.NO_TASK
        else:
            by_task[items[item_id]] = item_id
    finished = tasks_finish(actor=actor, task_ids=list(by_task), status=TaskStatus.DONE)
    result.done = [by_task[task_id] for task_id in finished.done]
    for task_id, reason in finished.refused.items():
        result.refused[by_task[task_id]] = reason
    return result
