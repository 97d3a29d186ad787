"""Messages to one or many customers (节假日群发): templates, consent, campaigns.

``message_to_customers`` is the entry point other apps call (crisis updates from
complaints, survey invitations, care greetings); its signature is fixed.

Consent policy (PIPL), one rule per purpose:

* ``marketing`` (the default, also for ``purpose=""``) and ``care``: only customers
  who *granted* consent on the channel; never asked counts as no.
* ``incident`` and ``survey`` (service messages about something the customer is
  involved in): everyone except customers who *withdrew* consent on the channel.

Every e-mail ends with an unsubscribe link (a signed URL, no login, see
``links.unsubscribe_url``) and carries ``List-Unsubscribe`` headers; every SMS ends with
"回T退订".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core.errors import ConflictError, NotAllowedError
from kehu.core.sql import chunks
from kehu.customers.access import contact_data_visible_q
from kehu.customers.audiences import audience_for
from kehu.customers.models import Customer, CustomerPhone
from kehu.customers.search import search_page
from kehu.customers.selectors import CustomerFilters
from kehu.messaging.access import (
    can_change_consent,
    can_change_template,
    can_send,
    sendable_q,
)
from kehu.messaging.audience import Reach, SendScope, audience_reach, recipient_block, send_scope
from kehu.messaging.links import unsubscribe_read, unsubscribe_url
from kehu.messaging.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Consent,
    ConsentEvent,
    ConsentSource,
    ConsentStatus,
    MessageTemplate,
    Purpose,
    Recipient,
    RecipientStatus,
    SkipReason,
)
from kehu.messaging.placeholders import MissingValue, customer_values, render, template_validate
from kehu.messaging.tasks import campaign_send

SMS_OPT_OUT = "回T退订"
CHUNK = 500
MAX_AUDIENCE = 1_000_000


# --- consent (who may be sent what: ``audience.recipient_block``) -------------------------


@transaction.atomic
def consent_set(
    *,
    actor: User | None,
    customer: Customer,
    channel: str,
    status: str,
    source: str,
    note: str = "",
    version: int | None = None,
) -> Consent:
    """Record the customer's consent on ``channel``; history kept in ``ConsentEvent``.

    ``actor`` is ``None`` for the customer themself (unsubscribe link, SMS reply).
    ``version`` (optional) guards against two people changing it at once.
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的渠道：%(c)s") % {"c": channel}]})
    if status not in ConsentStatus.values:
        raise ValidationError({"status": [_("未知的同意状态：%(s)s") % {"s": status}]})
    if source not in ConsentSource.values:
        raise ValidationError({"source": [_("未知的来源：%(s)s") % {"s": source}]})
    if actor is not None and not can_change_consent(actor, customer):
        raise NotAllowedError(_("你不能修改该客户的接收同意。"))
    now = timezone.now()
    current = Consent.objects.select_for_update().filter(customer=customer, channel=channel).first()
    if current is not None and version is not None and current.version != version:
        raise ConflictError(_("接收同意已被他人修改，请刷新后重试。"))
    if current is None:
        current = Consent(customer=customer, channel=channel, version=0)
    elif current.status == status:
        return current  # nothing changed: no history row
    current.status, current.source, current.actor, current.at = status, source, actor, now
    current.version += 1
    current.save()
    ConsentEvent.objects.create(
        customer=customer,
        channel=channel,
        status=status,
        source=source,
        actor=actor,
        note=note[:200],
        at=now,
    )
    return current


def unsubscribe(token: str) -> tuple[Customer, str] | None:
    """Withdraw consent through a link (the customer, no login). Idempotent."""
    found = unsubscribe_read(token)
    if found is not None:
        customer, channel = found
        consent_set(
            actor=None,
            customer=customer,
            channel=channel,
            status=ConsentStatus.WITHDRAWN,
            source=ConsentSource.UNSUBSCRIBE,
        )
    return found


# --- templates --------------------------------------------------------------------------


@transaction.atomic
def template_save(
    *,
    actor: User,
    template: MessageTemplate | None = None,
    name: str,
    channel: str,
    subject: str = "",
    body: str,
    version: int | None = None,
) -> MessageTemplate:
    if not can_send(actor):
        raise NotAllowedError(_("你不能编辑消息模板。"))
    if template is not None and not can_change_template(actor, template):
        raise NotAllowedError(_("只有模板的作者、其团队的经理或管理员可以修改或删除它。"))
    if template is None:
        template = MessageTemplate(created_by=actor)
    elif version is not None and template.version != version:
        raise ConflictError(_("模板已被他人修改，请刷新后重试。"))
    else:
        template.version += 1
    template.name, template.channel, template.subject, template.body = name, channel, subject, body
    template.updated_by = actor
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def template_delete(*, actor: User, template: MessageTemplate) -> None:
    """Delete a shared template (kept for the campaigns that used it, hidden)."""
    if not can_change_template(actor, template):
        raise NotAllowedError(_("只有模板的作者、其团队的经理或管理员可以修改或删除它。"))
    MessageTemplate.objects.filter(pk=template.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), updated_at=timezone.now(), updated_by=actor
    )


# --- audiences and campaigns ----------------------------------------------------------------


@dataclass
class Audience:
    """Who a campaign goes to: explicit ids, a tag, or a customer-list filter."""

    customer_ids: list[int] = field(default_factory=list)
    tag_id: int | None = None
    filters: CustomerFilters | None = None

    def describe(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.customer_ids:
            data["customer_ids"] = len(self.customer_ids)
        if self.tag_id:
            data["tag"] = self.tag_id
        if self.filters is not None:
            data["filters"] = {k: v for k, v in vars(self.filters).items() if v}
        return data


def audience_ids(actor: User, audience: Audience, purpose: str = Purpose.MARKETING) -> list[int]:
    """The ids of the customers ``audience`` names that ``actor`` may message."""
    scope = sendable_q(actor, purpose)
    if audience.tag_id:
        scope &= Q(tags__id=audience.tag_id)
    if audience.customer_ids:
        scope &= Q(pk__in=audience.customer_ids[:MAX_AUDIENCE])
    filters = audience.filters
    if filters is not None:
        extra = filters.as_q()
        if extra:
            scope &= Q(**extra)
        if filters.segment:
            scope &= audience_for(actor, "segment", filters.segment).q
        if filters.q.strip():
            found = search_page(
                filters.q,
                scope,
                contact_visible=contact_data_visible_q(actor),
                limit=MAX_AUDIENCE,
                cap=MAX_AUDIENCE,
            )
            return sorted(found.ids)
    if not (audience.customer_ids or audience.tag_id or filters is not None):
        return []
    ids = Customer.objects.alive().filter(scope).order_by("pk").values_list("pk", flat=True)
    return list(dict.fromkeys(ids[:MAX_AUDIENCE]))


def _purpose(purpose: str) -> str:
    purpose = purpose or Purpose.MARKETING
    if purpose not in Purpose.values:
        raise ValidationError({"purpose": [_("未知的用途：%(p)s") % {"p": purpose}]})
    return purpose


def _channel(channel: str) -> str:
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("未知的渠道：%(c)s") % {"c": channel}]})
    return channel


def _plan(
    *,
    campaign: Campaign,
    customer_ids: Sequence[int],
    extra: Mapping[int, Mapping[str, str]],
) -> list[Recipient]:
    """One unsaved ``Recipient`` per customer (in ``customer_ids`` order): rendered and
    queued, or skipped with the reason. A few queries per ``CHUNK`` customers."""
    channel, purpose = campaign.channel, campaign.purpose
    customers = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=customer_ids)
        .select_related("owner")
        .only(
            "pk", "kind", "name", "gender", "birthday", "email", "custom_fields",
            "owner__username", "owner__display_name",
        )
    }  # fmt: skip
    consents = dict(
        Consent.objects.filter(customer_id__in=customer_ids, channel=channel).values_list(
            "customer_id", "status"
        )
    )
    phones: dict[int, str] = {}
    if channel == Channel.SMS:
        for customer_id, number in (
            CustomerPhone.objects.filter(customer_id__in=customer_ids)
            .order_by("customer_id", "-is_primary", "id")
            .values_list("customer_id", "number")
        ):
            phones.setdefault(customer_id, number)
    now = timezone.now()
    rows = []
    for customer_id in customer_ids:
        customer = customers.get(customer_id)
        if customer is None:
            continue
        row = Recipient(campaign=campaign, customer=customer, created_at=now, updated_at=now)
        row.address = customer.email if channel == Channel.EMAIL else phones.get(customer_id, "")
        blocked = recipient_block(purpose, consents.get(customer_id), bool(row.address))
        if blocked is None:
            values = customer_values(customer, customer.owner.label if customer.owner else "")
            values.update(extra.get(customer_id, {}))
            try:
                row.subject = render(campaign.subject, values)[:200]
                row.body = _with_opt_out(render(campaign.body, values), channel, customer_id)
            except MissingValue as missing:
                blocked = SkipReason.MISSING_DATA
                row.detail = "{" + missing.name + "}"
        if blocked is not None:
            row.status, row.reason = RecipientStatus.SKIPPED, blocked
        rows.append(row)
    return rows


def _with_opt_out(body: str, channel: str, customer_id: int) -> str:
    if channel == Channel.SMS:
        body = body.rstrip()
        return body if body.endswith(SMS_OPT_OUT) else f"{body} {SMS_OPT_OUT}"
    link = unsubscribe_url(customer_id, channel)
    return f"{body.rstrip()}\n\n--\n" + _("不想再收到此类邮件？退订：%(url)s") % {"url": link}


def _extra_keys(extra: Mapping[int, Mapping[str, str]]) -> set[str]:
    keys: set[str] = set()
    for values in extra.values():
        keys.update(values)
    return keys


def message_to_customers(
    *,
    actor: User | None,
    customer_ids: Sequence[int],
    channel: str,
    body: str,
    subject: str = "",
    name: str,
    purpose: str = "",
    extra: Mapping[int, Mapping[str, str]] | None = None,
) -> Any:
    """Queue one message per customer on the job queue and return the campaign.

    ``channel`` is ``"email"`` or ``"sms"``. ``body`` and ``subject`` are templates:
    placeholders such as ``{称呼}``, ``{姓名}``, ``{公司}``, ``{生日}``, ``{负责人}`` are
    filled per customer, and ``extra[customer_id]`` adds per-customer keys (a survey's
    ``{链接}``). Customers without consent for the channel, or without an address on
    it, are skipped and counted with the reason. ``actor`` is ``None`` for system jobs.
    ``purpose`` says why (``"incident"``, ``"survey"``, ``"care"``...) for reports.
    Raises ``ValidationError`` for an unknown placeholder or channel.
    """
    return _campaign_start(
        actor=actor,
        customer_ids=customer_ids,
        channel=channel,
        body=body,
        subject=subject,
        name=name,
        purpose=purpose,
        extra=extra or {},
        audience={"customer_ids": len(customer_ids)},
    )


def _validate(
    *,
    actor: User | None,
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    extra_keys: Iterable[str],
) -> tuple[str, str]:
    channel, purpose = _channel(channel), _purpose(purpose)
    if actor is not None and not can_send(actor, purpose):
        raise NotAllowedError(_("你的角色不能发送此类消息。"))
    errors: dict[str, list[str]] = {}
    if not body.strip():
        errors["body"] = [_("正文不能为空。")]
    elif len(body) > 5000:
        errors["body"] = [_("正文最多 5000 个字符。")]
    if channel == Channel.EMAIL and not subject.strip():
        errors["subject"] = [_("邮件需要主题。")]
    if errors:
        raise ValidationError(errors)
    template_validate(subject=subject, body=body, extra_keys=extra_keys)
    return channel, purpose


def _campaign_start(
    *,
    actor: User | None,
    customer_ids: Sequence[int],
    channel: str,
    body: str,
    subject: str,
    name: str,
    purpose: str,
    extra: Mapping[int, Mapping[str, str]],
    audience: dict[str, Any],
    template: MessageTemplate | None = None,
) -> Campaign:
    channel, purpose = _validate(
        actor=actor,
        channel=channel,
        purpose=purpose,
        subject=subject,
        body=body,
        extra_keys=_extra_keys(extra),
    )
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    with transaction.atomic():
        if actor is not None:  # never anyone the sender may not message
            allowed: set[int] = set()
            for chunk in chunks(ids, CHUNK):
                allowed.update(
                    Customer.objects.alive()
                    .filter(sendable_q(actor, purpose), pk__in=chunk)
                    .values_list("pk", flat=True)
                )
            ids = [i for i in ids if i in allowed]
        campaign = Campaign.objects.create(
            name=(name.strip() or _("未命名群发"))[:200],
            channel=channel,
            purpose=purpose,
            template=template,
            subject=subject[:200],
            body=body,
            audience=audience,
            created_by=actor,
            created_at=timezone.now(),
        )
        queued = 0
        for chunk in chunks(ids, CHUNK):
            rows = _plan(campaign=campaign, customer_ids=chunk, extra=extra)
            Recipient.objects.bulk_create(rows, batch_size=CHUNK)
            queued += sum(1 for r in rows if r.status == RecipientStatus.QUEUED)
        if not queued:
            campaign.status, campaign.finished_at = CampaignStatus.DONE, timezone.now()
            campaign.save(update_fields=["status", "finished_at"])
        else:
            transaction.on_commit(lambda: _enqueue(campaign.pk))
    return campaign


def _enqueue(campaign_id: int) -> None:
    campaign_send(campaign_id)


def campaign_create(
    *,
    actor: User,
    name: str,
    channel: str,
    audience: Audience,
    purpose: str = Purpose.MARKETING,
    subject: str = "",
    body: str = "",
    template: MessageTemplate | None = None,
) -> Campaign:
    """A group send from the campaign page or the API: ``template`` or subject/body."""
    if template is not None:
        channel, subject, body = template.channel, template.subject, template.body
    purpose = _purpose(purpose)
    if not can_send(actor, purpose):
        raise NotAllowedError(_("你的角色不能发送此类消息。"))
    return _campaign_start(
        actor=actor,
        customer_ids=audience_ids(actor, audience, purpose),
        channel=channel,
        body=body,
        subject=subject,
        name=name,
        purpose=purpose,
        extra={},
        audience=audience.describe(),
        template=template,
    )


@dataclass
class Preview:
    count: int  # customers in the audience the sender may message
    reach: Reach  # of them: who will receive it, who is skipped and why
    samples: list[Recipient]  # the first who will receive it, rendered (unsaved)
    scope: str = SendScope.NONE  # whose customers the sender's sends can reach

    @property
    def receiving(self) -> int:
        return self.reach.receiving


def campaign_preview(
    *,
    actor: User,
    channel: str,
    audience: Audience,
    purpose: str = Purpose.MARKETING,
    subject: str = "",
    body: str = "",
    limit: int = 5,
) -> Preview:
    """Who would get the message — exactly: the customers with consent and an address on
    the channel — and who would be skipped, by reason, over the whole audience; and the
    first ``limit`` messages as they would be sent."""
    channel, purpose = _validate(
        actor=actor, channel=channel, purpose=purpose, subject=subject, body=body, extra_keys=()
    )
    ids = audience_ids(actor, audience, purpose)
    reach = audience_reach(ids, channel=channel, purpose=purpose, keep=limit)
    draft = Campaign(channel=channel, purpose=purpose, subject=subject, body=body)
    samples = _plan(campaign=draft, customer_ids=reach.first, extra={})
    return Preview(count=len(ids), reach=reach, samples=samples, scope=send_scope(actor))


@transaction.atomic
def campaign_cancel(*, actor: User, campaign: Campaign) -> int:
    """Stop a send: recipients still queued are skipped. Returns how many."""
    if not (actor.is_admin_role or campaign.created_by_id == actor.pk):
        raise NotAllowedError(_("只有发起人或管理员可以取消群发。"))
    now = timezone.now()
    stopped = Recipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED).update(
        status=RecipientStatus.SKIPPED, reason=SkipReason.CANCELLED, updated_at=now
    )
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
        status=CampaignStatus.CANCELLED, finished_at=now
    )
    campaign.refresh_from_db()
    return stopped
