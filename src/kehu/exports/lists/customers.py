"""The customer list (客户) as an export: the page's filters and search, its access
rule, and pool customers' contact data masked for salespeople as on the page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kehu.accounts.models import User
from kehu.customers.access import contact_data_visible_q, visibility_q
from kehu.customers.models import (
    CompanySize,
    Customer,
    CustomerKind,
    CustomerPhone,
    Gender,
    IncomeBand,
    SourceChannel,
)
from kehu.customers.search import search_customer_ids
from kehu.customers.selectors import (
    custom_field_definitions,
    customer_filters_from,
    filters_scope,
)
from kehu.exports.registry import (
    Cells,
    Chunk,
    Column,
    ExportList,
    Source,
    choice,
    joined,
    local_time,
    plain,
    read_fields,
    register,
    user_label,
)

MAX_SELECTION = 10_000


def selection_ids(raw: str) -> list[int]:
    """``"3,1,2"`` → ``[3, 2, 1]`` (newest first), junk left out."""
    ids = {int(part) for part in raw.split(",") if part.strip().isdigit()}
    return sorted(ids, reverse=True)[:MAX_SELECTION]


def customer_source(user: User, params: Mapping[str, str]) -> Source:
    """The customers the list page shows for ``params`` (every page of them), or the
    ticked ones (``ids``) among those the user may see."""
    visible = Customer.objects.alive().filter(visibility_q(user))
    raw_ids = params.get("ids", "")
    if raw_ids:
        ids = selection_ids(raw_ids)
        return Source(visible, ids=ids, filters={"ids": ",".join(map(str, ids))})
    filters = customer_filters_from(params)
    scope = filters_scope(user, filters)
    recorded = {k: v for k, v in params.items() if k in CUSTOMER_FILTER_KEYS and v}
    if filters.q.strip():
        ids = search_customer_ids(
            filters.q,
            scope,
            contact_visible=contact_data_visible_q(user),
            limit=settings.KEHU_EXPORT_SEARCH_MAX,
        )
        return Source(visible, ids=ids, filters=recorded)
    customers = Customer.objects.alive().filter(scope)
    if filters.tag:
        customers = customers.distinct()
    return Source(customers, filters=recorded)


def customer_extras(ids: Sequence[int]) -> dict[str, Sequence[Any]]:
    """Phones (primary first) and tags of a chunk of customers, in two queries. A chunk
    of neighbouring ids is read as an id range (a long ``IN (...)`` costs more to
    build than the rows it saves)."""
    wanted = set(ids)
    phones: defaultdict[int, list[str]] = defaultdict(list)
    tags: defaultdict[int, list[str]] = defaultdict(list)
    low, high = min(ids), max(ids)
    dense = high - low < 4 * len(ids)
    where = (
        {"customer_id__gte": low, "customer_id__lte": high} if dense else {"customer_id__in": ids}
    )
    numbers = read_fields(
        CustomerPhone.objects.filter(**where).order_by("customer_id", "-is_primary", "id"),
        ["customer_id", "number"],
    )
    for customer_id, number in zip(numbers["customer_id"], numbers["number"], strict=True):
        if customer_id in wanted:
            phones[customer_id].append(number)
    names = read_fields(
        Customer.tags.through.objects.filter(**where).order_by("tag__name"),
        ["customer_id", "tag__name"],
    )
    for customer_id, name in zip(names["customer_id"], names["tag__name"], strict=True):
        if customer_id in wanted:
            tags[customer_id].append(name)
    none: tuple[str, ...] = ()
    return {
        "_phones": [phones.get(i, none) for i in ids],
        "_tags": [tags.get(i, none) for i in ids],
    }


def _custom_column(key: str, label: str) -> Column:
    def make() -> Cells:
        def cells(chunk: Chunk) -> list[Any]:
            out = []
            for fields in chunk["custom_fields"]:
                value = (fields or {}).get(key)
                out.append("、".join(map(str, value)) if isinstance(value, list) else value)
            return out

        return cells

    return Column(f"custom:{key}", label, ("custom_fields",), make, default=False)


def customer_columns() -> list[Column]:
    columns = [
        plain("id", _("编号"), "pk"),
        plain("name", _("名称")),
        choice("kind", _("类型"), CustomerKind.choices),
        joined("phones", _("电话"), "_phones", personal=True, contact=True),
        plain("email", _("邮箱"), personal=True, contact=True),
        plain("wechat_id", _("微信号"), personal=True, contact=True),
        plain("province", _("省份")),
        plain("city", _("城市")),
        plain("district", _("区县"), default=False),
        plain("address", _("地址"), personal=True, contact=True),
        plain("industry", _("行业")),
        choice("company_size", _("企业规模"), CompanySize.choices, default=False),
        choice("source_channel", _("来源渠道"), SourceChannel.choices),
        choice("gender", _("性别"), Gender.choices, personal=True, default=False),
        plain("birthday", _("生日"), personal=True, default=False),
        choice("income_band", _("收入水平"), IncomeBand.choices, personal=True, default=False),
        plain("interests", _("兴趣爱好"), personal=True, default=False),
        plain("notes", _("备注"), default=False),
        joined("tags", _("标签"), "_tags"),
        user_label("owner", _("负责人"), "owner"),
        plain("team", _("团队"), "team__name"),
        local_time("last_contact_at", _("最近跟进")),
        local_time("created_at", _("创建时间")),
    ]
    columns += [_custom_column(d.key, d.label) for d in custom_field_definitions()]
    return columns


CUSTOMER_FILTER_KEYS = (
    *("q", "owner", "pool", "team", "tag", "province", "city", "source", "kind"),
    "segment",
    "winback",
)

CUSTOMERS = register(
    ExportList(
        key="customers",
        label=_("客户"),
        columns=customer_columns,
        source=customer_source,
        pool_owner="owner_id",
        extras=customer_extras,
        sheet=_("客户"),
        page_url="customers:list",
        filter_keys=(*CUSTOMER_FILTER_KEYS, "ids"),
    )
)
