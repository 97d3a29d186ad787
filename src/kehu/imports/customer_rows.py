"""One row of a customer file as the arguments of ``customer_prepare``.

The cells become values here (``kehu.imports.values``: Excel dates, phones stored as
numbers, full-width digits); every rule about a customer stays the customer services'.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from kehu.accounts.models import Role, User
from kehu.customers.access import can_write, visibility_q
from kehu.customers.duplicates import email_key, name_key
from kehu.customers.models import Contact, Customer, CustomerKind, CustomerPhone
from kehu.customers.selectors import custom_field_definitions
from kehu.customers.services import PreparedCustomer, customer_owner_check, customer_prepare
from kehu.imports.fields import CHOICE, DATE, LIST, PHONE, ImportField, field_by_key
from kehu.imports.mapping import CUSTOM_PREFIX, choice_for
from kehu.imports.models import DuplicatePolicy, ImportJob, OwnerRule, RowOutcome
from kehu.imports.plans import ModelValues
from kehu.imports.readers import Row
from kehu.imports.rows import Planned, error_text
from kehu.imports.values import BadValue, as_date, as_phones, as_text

MAX_CELL = 5000  # the longest text a customer field holds (notes)
_TAG_SPLIT = re.compile(r"[,，、;；|/\n]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class CustomerRow:
    """What a row says about a customer, ready for ``customer_prepare``."""

    data: dict[str, Any] = field(default_factory=dict)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    owner_text: str = ""
    _keys: list[tuple[str, str]] | None = field(default=None, init=False, repr=False)

    def match_keys(self) -> list[tuple[str, str]]:
        """What duplicate detection compares (kehu.customers.duplicates): each phone,
        the e-mail, and for a company its name key in its city."""
        if self._keys is None:
            self._keys = self._match_keys()
        return self._keys

    def _match_keys(self) -> list[tuple[str, str]]:
        found = [("phone", number) for number in self.phones]
        email = email_key(self.data.get("email", ""))
        if email:
            found.append(("email", email))
        kind = self.data.get("kind") or CustomerKind.PERSON
        city = self.data.get("city", "")
        if kind == CustomerKind.COMPANY and city:
            key = name_key(self.data.get("name", ""), kind, city, self.data.get("province", ""))
            if key:
                found.append(("name", f"{city}\x1f{key}"))
        return found


def _join(parts: list[str]) -> str:
    if all(_CJK.search(p) for p in parts):
        return "".join(parts)
    return " ".join(parts)


@functools.lru_cache(maxsize=64)
def _columns(
    headers: tuple[str, ...], mapping: tuple[tuple[str, str], ...]
) -> list[tuple[int, str, str, ImportField | None]]:
    """The mapped columns of a file, looked up once: (index, header, field key or
    custom field key, the field, None for a custom field)."""
    targets = dict(mapping)
    out: list[tuple[int, str, str, ImportField | None]] = []
    for index, header in enumerate(headers):
        key = targets.get(header, "")
        if key.startswith(CUSTOM_PREFIX):
            out.append((index, header, key[len(CUSTOM_PREFIX) :], None))
        elif key and (spec := field_by_key("customers", key)) is not None:
            out.append((index, header, key, spec))
    return out


def customer_row(
    mapping: dict[str, str],
    headers: list[str],
    cells: list[Any],
    value_mapping: dict[str, dict[str, str]],
) -> CustomerRow:
    """The row read through the mapping; ``ValidationError`` keyed by header."""
    errors: dict[str, list[str]] = {}
    collected: dict[str, list[Any]] = {}
    row = CustomerRow()
    width = len(cells)
    for index, header, key, spec in _columns(tuple(headers), tuple(mapping.items())):
        cell = cells[index] if index < width else None
        try:
            if spec is None:  # a custom field
                value = cell if not isinstance(cell, str) else as_text(cell, limit=MAX_CELL)
                if value not in (None, ""):
                    row.custom_fields[key] = value
                continue
            if spec.reads == PHONE:
                collected.setdefault(key, []).extend(as_phones(cell))
            elif spec.reads == DATE:
                if as_text(cell):
                    collected.setdefault(key, []).append(as_date(cell))
            elif spec.reads == CHOICE:
                choice = choice_for(spec, as_text(cell, limit=100), value_mapping)
                if choice:
                    collected.setdefault(key, []).append(choice)
            elif spec.reads == LIST:
                text = as_text(cell, limit=MAX_CELL)
                collected.setdefault(key, []).extend(
                    t.strip() for t in _TAG_SPLIT.split(text) if t.strip()
                )
            else:
                text = as_text(cell, limit=MAX_CELL)
                if text:
                    collected.setdefault(key, []).append(text)
        except BadValue as exc:
            errors.setdefault(header, []).append(str(exc))
        except ValidationError as exc:
            errors.setdefault(header, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    for key, values in collected.items():
        if key == "phone":
            row.phones = list(dict.fromkeys(values))
        elif key == "tags":
            row.tags = values
        elif key == "owner":
            row.owner_text = values[0]
        elif key == "name":
            row.data["name"] = _join(values)
        elif key == "notes":
            row.data["notes"] = "\n".join(values)
        elif key in ("company", "title"):
            continue
        else:
            row.data[key] = values[0]
    company = (collected.get("company") or [""])[0]
    if company and not row.data.get("kind"):
        row.data["kind"] = CustomerKind.COMPANY
    if company and row.data.get("kind") == CustomerKind.COMPANY:
        person = row.data.get("name", "")
        row.data["name"] = company
        if person and person != company:
            row.contacts.append(
                {
                    "name": person[:100],
                    "title": (collected.get("title") or [""])[0][:100],
                    "phone": row.phones[0] if row.phones else "",
                    "email": row.data.get("email", ""),
                    "is_primary": True,
                }
            )
    if not row.data.get("name"):
        raise ValidationError({"name": [_("客户名称不能为空。")]})
    return row


_CUSTOMER_VALUES = ModelValues(
    Customer,
    skip=("owner_id", "team_id", "created_by_id", "updated_by_id", "created_at", "updated_at"),
)
_CONTACT_VALUES = ModelValues(Contact, skip=("customer_id", "created_at", "updated_at"))


class CustomerPlanner:
    """Plans the rows of one job, chunk after chunk (it remembers the keys of the rows
    above, to find duplicates inside the file, and whose turn it is in a team)."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.actor: User = job.user
        self.definitions = custom_field_definitions()
        self.seen: dict[tuple[str, str], int] = {}
        self.owners_ok: set[int | None] = set()
        self.users: dict[str, User | None] = {}
        self.turn = 0
        self.team: list[User] = []
        if job.owner_rule == OwnerRule.TEAM and job.owner_team_id:
            self.team = list(
                User.objects.filter(
                    team_id=job.owner_team_id,
                    is_active=True,
                    role__in=(Role.SALES, Role.MANAGER),
                ).order_by("id")
            )

    # --- owners ------------------------------------------------------------------

    def _user_named(self, text: str) -> User | None:
        if text not in self.users:
            self.users[text] = (
                User.objects.filter(Q(username=text) | Q(display_name=text), is_active=True)
                .order_by("id")
                .first()
            )
        return self.users[text]

    def owner_for(self, row: CustomerRow) -> User | None:
        rule = self.job.owner_rule
        if rule == OwnerRule.POOL:
            return None
        if rule == OwnerRule.USER and self.job.owner_user is not None:
            return self.job.owner_user
        if rule == OwnerRule.TEAM and self.team:
            member = self.team[self.turn % len(self.team)]
            self.turn += 1
            return member
        if rule == OwnerRule.COLUMN and row.owner_text:
            owner = self._user_named(row.owner_text)
            if owner is None:
                raise ValidationError(
                    {"owner": [_("找不到负责人“%(name)s”。") % {"name": row.owner_text[:50]}]}
                )
            return owner
        return self.actor

    # --- planning ----------------------------------------------------------------

    def _prepare(self, raw: Row) -> Planned:
        cells = list(raw.cells)
        if raw.error:
            return Planned(raw.number, cells, RowOutcome.ERROR, raw.error)
        try:
            row, prepared = self._checked(cells, owner_here=True)
        except (ValidationError, PermissionDenied) as exc:
            return Planned(raw.number, cells, RowOutcome.ERROR, self._error(exc))
        return Planned(raw.number, cells, RowOutcome.NEW, row=row, prepared=prepared)

    def _checked(
        self, cells: list[Any], *, owner_here: bool
    ) -> tuple[CustomerRow, PreparedCustomer]:
        """The row read and checked by ``customer_prepare``; its owner chosen and
        checked here, or (``owner_here=False``, a worker) later by ``_owner_error``."""
        job = self.job
        row = customer_row(job.mapping, job.headers, cells, job.value_mapping or {})
        owner = self.owner_for(row) if owner_here else None
        key = owner.pk if owner else None
        prepared = customer_prepare(
            actor=self.actor,
            data=row.data,
            phones=row.phones,
            tags=row.tags,
            custom_fields=row.custom_fields,
            owner=owner,
            contacts=row.contacts,
            definitions=self.definitions,
            owner_checked=not owner_here or key in self.owners_ok,
        )
        if owner_here:
            self.owners_ok.add(key)
        return row, prepared

    def _error(self, exc: ValidationError | PermissionDenied) -> str:
        if isinstance(exc, PermissionDenied):
            return _("您无权创建客户。")
        return error_text(self.job, exc)

    # --- checked in worker processes (kehu.imports.parallel) ------------------------

    def check_rows(self, rows: list[Row]) -> list[tuple[int, list[Any], str, Any]]:
        """In a worker: each row's checks that need no database and no owner —
        (number, cells, error, its plan as ``dump`` gives it or None)."""
        out: list[tuple[int, list[Any], str, Any]] = []
        for raw in rows:
            cells = list(raw.cells)
            if raw.error:
                out.append((raw.number, cells, raw.error, None))
                continue
            try:
                row, prepared = self._checked(cells, owner_here=False)
            except (ValidationError, PermissionDenied) as exc:
                out.append((raw.number, cells, self._error(exc), None))
                continue
            plan = Planned(raw.number, cells, RowOutcome.NEW, row=row, prepared=prepared)
            out.append((raw.number, cells, "", self.dump(plan)))
        return out

    def plan_checked(self, checked: list[tuple[int, list[Any], str, Any]]) -> list[Planned]:
        """The workers' rows planned here: their owners chosen and checked, then
        duplicates found."""
        plans: list[Planned] = []
        for number, cells, error, stored in checked:
            if stored is None:
                plans.append(Planned(number, cells, RowOutcome.ERROR, error))
                continue
            row = CustomerRow(**stored["row"])
            owner_error = self._owner_error(row)[1]
            if owner_error:
                plans.append(Planned(number, cells, RowOutcome.ERROR, owner_error))
                continue
            plans.append(Planned(number, cells, RowOutcome.NEW, row=row, stored=stored))
        return self.classify(plans)

    def _owner_error(self, row: CustomerRow) -> tuple[User | None, str]:
        """The row's owner by the job's rule, checked once per owner: (owner, "") or
        (None, why not)."""
        try:
            owner = self.owner_for(row)
            key = owner.pk if owner else None
            if key not in self.owners_ok:
                customer_owner_check(self.actor, owner)
                self.owners_ok.add(key)
        except (ValidationError, PermissionDenied) as exc:
            return None, self._error(exc)
        return owner, ""

    # --- the dry run's plans, kept for the run (kehu.imports.plans) ----------------

    def dump(self, plan: Planned) -> dict[str, Any] | None:
        """What the run needs of a checked row, as JSON (None for an error)."""
        if plan.stored is not None:
            return plan.stored
        if plan.row is None or plan.prepared is None:
            return None
        row, prepared = plan.row, plan.prepared
        return {
            "row": {
                "data": row.data,
                "phones": row.phones,
                "tags": row.tags,
                "custom_fields": row.custom_fields,
                "contacts": row.contacts,
                "owner_text": row.owner_text,
            },
            "customer": _CUSTOMER_VALUES.dump(prepared.customer),
            "phones": prepared.phones,
            "tags": prepared.tags,
            "contacts": [_CONTACT_VALUES.dump(c) for c in prepared.contacts],
            "tokens": sorted(prepared.search_tokens()),
        }

    def restore(self, record: Any) -> Planned:
        """A row as the dry run planned it (its ``ImportRow`` values), its owner chosen
        and checked again (the owner rule, a team's turn, a user since deactivated)."""
        stored = record.plan
        cells = record.cells or []
        if record.outcome == RowOutcome.ERROR or not stored:
            return Planned(record.number, cells, RowOutcome.ERROR, record.error)
        values = stored["row"]
        data = {
            key: _CUSTOMER_VALUES.fields[key].to_python(value)
            if key in _CUSTOMER_VALUES.fields
            else value
            for key, value in values["data"].items()
        }
        row = CustomerRow(
            data=data,
            phones=values["phones"],
            tags=values["tags"],
            custom_fields=values["custom_fields"],
            contacts=values["contacts"],
            owner_text=values["owner_text"],
        )
        owner, owner_error = self._owner_error(row)
        if owner_error:
            return Planned(record.number, cells, RowOutcome.ERROR, owner_error)
        customer = _CUSTOMER_VALUES.load(
            stored["customer"],
            owner=owner,
            team_id=owner.team_id if owner else None,
            created_by=self.actor,
            updated_by=self.actor,
        )
        contacts = [_CONTACT_VALUES.load(c) for c in stored["contacts"]]
        prepared = PreparedCustomer(
            customer,
            stored["phones"],
            stored["tags"],
            contacts,
            tokens=frozenset(stored["tokens"]) if "tokens" in stored else None,
        )
        return Planned(record.number, cells, RowOutcome.NEW, row=row, prepared=prepared)

    def plan_stored(self, records: list[Any]) -> list[Planned]:
        """The run's plan of rows the dry run checked: duplicates found again."""
        return self.classify([self.restore(r) for r in records])

    def plan(self, rows: list[Row]) -> list[Planned]:
        return self.classify([self._prepare(raw) for raw in rows])

    def classify(self, plans: list[Planned]) -> list[Planned]:
        """New, update or duplicate, against the database and the rows above."""
        good = [p for p in plans if p.row is not None]
        matches = self._matches([k for p in good for k in p.row.match_keys()])  # type: ignore[union-attr]
        found = {m for ids in matches.values() for m in ids}
        customers = {
            c.pk: c for c in Customer.objects.filter(pk__in=found).only("id", "owner_id", "team_id")
        }
        visible = set(
            Customer.objects.filter(visibility_q(self.actor), pk__in=found).values_list(
                "pk", flat=True
            )
        )
        create_anyway = self.job.policy == DuplicatePolicy.CREATE
        for plan in good:
            keys = plan.row.match_keys()  # type: ignore[union-attr]
            above = next((self.seen[k] for k in keys if k in self.seen), None)
            if above is not None and not create_anyway:
                plan.outcome = RowOutcome.DUPLICATE
                plan.error = _("与文件第 %(row)d 行是同一客户。") % {"row": above}
                continue
            existing = next((i for k in keys for i in matches.get(k, ())), None)
            if existing is not None and not create_anyway:
                customer = customers[existing]
                if existing in visible and can_write(self.actor, customer):
                    plan.outcome = RowOutcome.UPDATE
                    plan.match_id = existing
                elif existing in visible and customer.owner_id is None:
                    plan.outcome = RowOutcome.DUPLICATE
                    plan.error = _("已存在（在公海中，请先领取）")
                else:
                    plan.outcome = RowOutcome.DUPLICATE
                    plan.error = _("已存在（其他人的客户）")
            for key in keys:
                self.seen.setdefault(key, plan.number)
        return plans

    def _matches(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[int]]:
        """Existing live customers by key, three queries for the whole chunk."""
        out: dict[tuple[str, str], list[int]] = {}
        phones = sorted({v for k, v in keys if k == "phone"})
        emails = sorted({v for k, v in keys if k == "email"})
        names = {v for k, v in keys if k == "name"}
        if phones:
            for number, cid in CustomerPhone.objects.filter(
                number__in=phones, customer__deleted_at__isnull=True
            ).values_list("number", "customer_id"):
                out.setdefault(("phone", number), []).append(cid)
        if emails:
            for email, cid in (
                Customer.objects.alive().filter(email__in=emails).values_list("email", "pk")
            ):
                out.setdefault(("email", email), []).append(cid)
        if names:
            # City and key only in the filter, so that the (city, name_key) index
            # serves it: the key alone scanned every customer (0.5 s a chunk at
            # 1,000,000), and with the kind or "not deleted" SQLite, without
            # statistics, took their indexes. Those two are checked here.
            pairs = [n.split("\x1f", 1) for n in names]
            for city, key, kind, deleted, cid in Customer.objects.filter(
                city__in=sorted({c for c, _k in pairs}),
                name_key__in=sorted({k for _c, k in pairs}),
            ).values_list("city", "name_key", "kind", "deleted_at", "pk"):
                alive = deleted is None
                if alive and kind == CustomerKind.COMPANY and f"{city}\x1f{key}" in names:
                    out.setdefault(("name", f"{city}\x1f{key}"), []).append(cid)
        for ids in out.values():
            ids.sort()
        return out
