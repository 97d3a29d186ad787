"""One small world with a record of every kind a URL can name, in ASCII only.

The access sweep (``test_access_sweep``) and the every-page browser test
(``tests/browser/test_every_page``) both stand on it. Everything a person types is
ASCII, so in an English page any Chinese character is a UI string left untranslated;
the seeded Chinese records (lifecycle models, festivals, care rules) are renamed for
the same reason.

The cast (README's roles): ``sales`` (team East) owns the records other people must
not reach; ``east_sales2`` (same team), ``west_sales`` and ``west_manager`` (team
West) are outsiders to them; ``manager`` manages East; ``admin``, ``service`` and
``analyst`` see every customer. ``pool`` is a public-pool customer whose contact
data no salesperson may read: its phones, e-mail, WeChat id and address (current and
earlier ones, and its contact person's) are ``POOL_SECRETS``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kehu.accounts.models import Role, Team, User
from kehu.accounts.services import token_create
from kehu.care.models import CadenceRule, CareRule, Festival, RuleKind
from kehu.channels.models import ChannelCost
from kehu.complaints.services import complaint_create, incident_create
from kehu.coupons.services import template_create
from kehu.customers.models import Contact, Customer, DuplicatePair, Tag
from kehu.customers.ownership import pool_release
from kehu.customers.services import contact_save, customer_create, customer_update
from kehu.exports.models import ExportRecord
from kehu.exports.services import exports_dir
from kehu.followups.models import Notification
from kehu.followups.services import task_create
from kehu.imports.models import ImportJob
from kehu.interactions.services import interaction_log
from kehu.jobs.models import JobRun, JobStatus
from kehu.lifecycle.apply import apply_job_name
from kehu.lifecycle.models import Flag, LifecycleModel, Rule, Stage
from kehu.messaging.services import Audience, campaign_create, template_save
from kehu.orders.catalog import category_create
from kehu.orders.models import Order
from kehu.orders.services import LineData, OrderData, order_upsert, product_create
from kehu.pipeline.services import LineInput, opportunity_create
from kehu.surveys.services import invitations_send, response_record, survey_save, trigger_save

PASSWORD = "pw-Kehu-2026"

# The pool customer's contact data, as stored; the sweep looks for each of them (and
# the phones in every way a page may print them) in every answer a salesperson gets.
POOL_PHONE = "+8613912345678"
POOL_OLD_PHONE = "+8613911112222"
POOL_CONTACT_PHONE = "+8613987654321"
POOL_SECRETS = (
    "pool.secret@example.com",
    "pool.old@example.com",
    "pool.contact@example.com",
    "wx_pool_secret",
    "wx_pool_old",
    "wx_pool_contact",
    "88 Hidden Lane",
    "1 Old Road",
)


def phone_spellings(e164: str) -> list[str]:
    """The ways a page may print a mainland mobile number: +86…, 139…, 139 1234 5678,
    139-1234-5678, +86 139 1234 5678."""
    national = e164.removeprefix("+86")
    spaced = f"{national[:3]} {national[3:7]} {national[7:]}"
    return [e164, national, spaced, spaced.replace(" ", "-"), f"+86 {spaced}"]


def pool_needles() -> list[str]:
    needles = list(POOL_SECRETS)
    for phone in (POOL_PHONE, POOL_OLD_PHONE, POOL_CONTACT_PHONE):
        needles += phone_spellings(phone)
    return needles


ROLES = (
    "admin",
    "manager",
    "west_manager",
    "sales",
    "east_sales2",
    "west_sales",
    "service",
    "analyst",
)


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _user(username: str, role: str, team: Team | None, label: str) -> User:
    user = User(
        username=username,
        role=role,
        team=team,
        display_name=label,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


SEEDS = (
    ("lifecycle", "0002_seed", "LifecycleModel"),
    ("care", "0002_seed", "Festival"),
    ("complaints", "0002_default_deadlines", "ComplaintDeadline"),
    ("segments", "0002_rfm_segments", "Segment"),
    ("pipeline", "0002_seed_phases", "Phase"),
    ("exits", "0002_seed_reasons", "ExitReason"),
    ("loyalty", "0002_seed", "Level"),
)


def _seeds_again() -> None:
    """The data migrations' records, when a transactional test flushed them."""
    import importlib

    from django.apps import apps
    from django.db import connection

    for app, migration, model in SEEDS:
        if not apps.get_model(app, model).objects.exists():
            module = importlib.import_module(f"kehu.{app}.migrations.{migration}")
            module.seed(apps, connection.schema_editor())


def _seeded_in_ascii() -> None:
    """The records the migrations seed in Chinese, renamed as an admin may: data, not
    UI strings, and the English page check must not mistake them for either."""
    for model in LifecycleModel.objects.all():
        LifecycleModel.objects.filter(pk=model.pk).update(
            name=f"Model {model.key}", description=f"Seeded model {model.key}"
        )
    for stage in Stage.objects.all():
        Stage.objects.filter(pk=stage.pk).update(
            name=f"Stage {stage.key}", description=f"Seeded stage {stage.key}"
        )
    for rule in Rule.objects.all():
        Rule.objects.filter(pk=rule.pk).update(name=f"Rule {rule.pk}")
    # Renamed below the ORM's save: touch the rules so the engine's cached plans (keyed
    # on the latest change) are read again with the new names.
    from django.utils import timezone

    Rule.objects.update(updated_at=timezone.now())
    from kehu.segments.models import Segment

    for segment in Segment.objects.exclude(builtin=""):
        Segment.objects.filter(pk=segment.pk).update(name=f"Segment {segment.builtin}")
    for festival in Festival.objects.all():
        Festival.objects.filter(pk=festival.pk).update(
            name=f"Festival {festival.pk}", greeting="Happy holidays, {姓名}"
        )
    for flag in Flag.objects.all():
        Flag.objects.filter(pk=flag.pk).update(
            name=f"Flag {flag.key}", description=f"Seeded flag {flag.key}"
        )
    for care_rule in CareRule.objects.all():
        CareRule.objects.filter(pk=care_rule.pk).update(name=f"Care rule {care_rule.pk}")
    from kehu.exits.models import ExitReason

    for reason in ExitReason.objects.all():
        ExitReason.objects.filter(pk=reason.pk).update(
            name=f"Reason {reason.key}", description=f"Seeded reason {reason.key}"
        )
    from kehu.loyalty.models import EarnRule, Level

    for level in Level.objects.all():
        Level.objects.filter(pk=level.pk).update(
            name=f"Level {level.pk}", benefits=f"Seeded benefits {level.pk}"
        )
    for earn in EarnRule.objects.all():
        EarnRule.objects.filter(pk=earn.pk).update(name=f"Earn rule {earn.pk}")


def build_world(*, full: bool = False) -> World:
    """The world; ``full`` also scores customer value and builds today's care agenda
    (the data of the value and care pages)."""
    _seeds_again()
    _seeded_in_ascii()
    east = Team.objects.create(name="East Team")
    west = Team.objects.create(name="West Team")
    users = {
        "admin": _user("admin", Role.ADMIN, None, "Ada Admin"),
        "manager": _user("manager", Role.MANAGER, east, "Max Manager"),
        "west_manager": _user("west_manager", Role.MANAGER, west, "Wes Manager"),
        "sales": _user("sales", Role.SALES, east, "Sam Sales"),
        "east_sales2": _user("east_sales2", Role.SALES, east, "Sue Sales"),
        "west_sales": _user("west_sales", Role.SALES, west, "Walt Sales"),
        "service": _user("service", Role.SERVICE, east, "Sid Service"),
        "analyst": _user("analyst", Role.ANALYST, None, "Ann Analyst"),
    }
    tokens = {name: token_create(user=user, name="sweep")[1] for name, user in users.items()}
    world = World(users=users, tokens=tokens)
    _customers(world)
    _sales(world)
    _service(world)
    _marketing(world)
    _settings(world)
    _pool(world)
    _leads(world)
    _retention(world)
    if full:
        from kehu.care.services import agenda_build
        from kehu.value.services import score_run

        score_run(actor=users["admin"], as_of=timezone.localdate())
        agenda_build(day=timezone.localdate())
    return world


def _customers(world: World) -> None:
    admin, sales, west_sales = (world.users[k] for k in ("admin", "sales", "west_sales"))
    Tag.objects.get_or_create(name="vip")
    o = world.objects
    o["customer"] = customer_create(
        actor=sales,
        data={
            "name": "Acme Trading",
            "kind": "company",
            "email": "buyer@acme.example.com",
            "wechat_id": "wx_acme",
            "province": "Zhejiang",
            "city": "Hangzhou",
            "address": "5 Market Street",
            "industry": "Retail",
            "notes": "Prefers calls in the morning.",
            "birthday": dt.date(1980, 5, 17),
        },
        phones=("+8613800000001",),
        tags=("vip",),
        contacts=({"name": "Bob Buyer", "title": "Purchasing", "phone": "+8613800000002"},),
    )
    o["contact"] = o["customer"].contacts.get()
    # A change in its history (the card shows what changed from what to what).
    o["customer"] = customer_update(
        actor=sales,
        customer=o["customer"],
        version=o["customer"].version,
        data={"industry": "Wholesale", "notes": ""},
    )
    o["customer2"] = customer_create(
        actor=sales,
        data={"name": "Acme Trading Co", "kind": "company", "city": "Hangzhou"},
        phones=("+8613800000003",),
        allow_duplicate=True,
    )
    merged = customer_create(
        actor=sales,
        data={"name": "Acme Old Account", "kind": "company", "city": "Ningbo"},
        phones=("+8613800000004",),
        allow_duplicate=True,
    )
    from kehu.customers.merge import customer_merge

    o["merge"] = customer_merge(actor=sales, survivor_id=o["customer"].pk, other_id=merged.pk)
    a, b = sorted((o["customer"].pk, o["customer2"].pk))
    o["pair"] = DuplicatePair.objects.create(
        customer_a_id=a, customer_b_id=b, score=0.9, reasons=["phone"], found_at=timezone.now()
    )
    o["west_customer"] = customer_create(
        actor=west_sales,
        data={"name": "Westwind Ltd", "kind": "company", "city": "Chengdu"},
        phones=("+8613800000005",),
    )
    o["person"] = customer_create(
        actor=sales,
        data={"name": "Li Lei", "gender": "male", "birthday": dt.date(1990, 2, 3)},
        phones=("+8613800000006",),
    )
    o["deleted_customer"] = customer_create(
        actor=admin, data={"name": "Gone Gmbh", "kind": "company"}, owner=sales
    )
    from kehu.customers.services import customer_delete

    customer_delete(actor=admin, customer=o["deleted_customer"])
    # A private static list of sales's with one customer (segments).
    from kehu.segments.services import members_add, segment_create

    o["segment"] = segment_create(
        actor=sales, data={"name": "Morning callers", "kind": "static", "sharing": "private"}
    )
    members_add(actor=sales, segment=o["segment"], customer_ids=[o["customer"].pk])


def _order(actor: User, customer: Customer, number: str, *, days_ago: int, lines: Any) -> Order:
    order, _outcome = order_upsert(
        actor=actor,
        data=OrderData(
            source="shop",
            external_id=number,
            ordered_at=timezone.now() - dt.timedelta(days=days_ago),
            customer_id=customer.pk,
            lines=lines,
        ),
    )
    return order


def _sales(world: World) -> None:
    admin, sales = world.users["admin"], world.users["sales"]
    o = world.objects
    o["product"] = product_create(
        actor=admin,
        data={
            "name": "Green Tea 250g",
            "sku": "TEA-250",
            "category": "Tea",
            "price": Decimal("16660.00"),
            "unit_cost": Decimal("9000.00"),
        },
    )
    o["product_category"] = category_create(actor=admin, name="Tea")
    o["channel_cost"] = ChannelCost.objects.create(
        channel="website", month=dt.date(2026, 1, 1), amount=Decimal("100")
    )
    line = (LineData(quantity=Decimal("2"), product_id=o["product"].pk),)
    o["order"] = _order(sales, o["customer"], "A-1001", days_ago=40, lines=line)
    _order(sales, o["customer"], "A-1002", days_ago=10, lines=line)
    _order(sales, o["person"], "A-1003", days_ago=400, lines=line)
    o["task"] = task_create(
        actor=sales,
        customer=o["customer"],
        data={
            "kind": "call",
            "title": "Call about the spring order",
            "notes": "Ask about volumes.",
            "due_at": timezone.now() + dt.timedelta(days=1),
        },
    )
    task_create(
        actor=sales,
        customer=o["person"],
        data={
            "kind": "visit",
            "title": "Overdue visit",
            "due_at": timezone.now() - dt.timedelta(days=3),
        },
    )
    interaction_log(
        actor=sales,
        customer=o["customer"],
        data={
            "kind": "call",
            "outcome": "Interested",
            "notes": "Wants a quote.",
            "next_step": "Send quote",
        },
    )
    o["opportunity"] = opportunity_create(
        actor=sales,
        customer=o["customer"],
        name="Spring tea contract",
        lines=[LineInput(o["product"].pk, Decimal("3"))],
        next_step="Send the quote",
    )
    o["notification"] = Notification.objects.create(
        user=sales,
        key="sweep-notification",
        title="Task due: call Acme",
        body="The call about the spring order is due.",
        url=f"/customers/{o['customer'].pk}/",
        task=o["task"],
        created_at=timezone.now(),
    )


def _service(world: World) -> None:
    admin, sales, service = (world.users[k] for k in ("admin", "sales", "service"))
    o = world.objects
    o["incident"] = incident_create(
        actor=admin,
        data={
            "title": "Damp tea batch",
            "cause": "Storage leak",
            "description": "Batch 7 got wet.",
        },
    )
    o["complaint"] = complaint_create(
        actor=sales,
        customer=o["customer"],
        data={
            "channel": "phone",
            "category": "quality",
            "severity": "high",
            "description": "The tea arrived damp.",
            "order_id": o["order"].pk,
            "incident_id": o["incident"].pk,
        },
    )
    o["survey"] = survey_save(
        actor=admin,
        data={"name": "Service survey", "intro": "Two questions.", "thanks": "Thank you!"},
        questions=[
            {"kind": "csat", "text": "How happy are you with us?", "required": True},
            {"kind": "nps", "text": "Would you recommend us?", "required": False},
            {"kind": "single", "text": "How did you reach us?", "choices": ["Phone", "Web"]},
            {"kind": "text", "text": "Anything else?", "required": False},
        ],
    )
    o["trigger"] = trigger_save(
        actor=admin,
        survey=o["survey"],
        data={"kind": "order_paid", "delay_days": 3, "channel": "sms", "language": "en"},
    )
    result = invitations_send(
        actor=service, survey=o["survey"], customers=[o["customer"]], channel="link", language="en"
    )
    [o["invitation"]] = result.invitations
    token = result.links[o["invitation"].pk].rstrip("/").rsplit("/", 1)[-1]
    world.objects["survey_token"] = token
    questions = list(o["survey"].questions.order_by("position"))
    o["response"] = response_record(
        raw_token=token,
        values={
            f"q{questions[0].pk}": "5",
            f"q{questions[1].pk}": "9",
            f"q{questions[2].pk}": "Phone",
            f"q{questions[3].pk}": "Great tea.",
        },
    )
    # A second invitation, still open (its answer page is the public survey page).
    result = invitations_send(
        actor=service, survey=o["survey"], customers=[o["person"]], channel="link", language="en"
    )
    [open_invitation] = result.invitations
    o["open_survey_token"] = result.links[open_invitation.pk].rstrip("/").rsplit("/", 1)[-1]


def _marketing(world: World) -> None:
    sales = world.users["sales"]
    o = world.objects
    o["template"] = template_save(
        actor=sales,
        name="Spring greeting",
        channel="sms",
        body="Hello {姓名}, spring tea is in.",
    )
    o["coupon_template"] = template_create(
        actor=world.users["admin"],
        data={"name": "Spring 20 off", "value": Decimal("20"), "valid_days": 30},
    )
    o["campaign"] = campaign_create(
        actor=sales,
        name="Spring tea",
        channel="sms",
        audience=Audience(customer_ids=[o["customer"].pk]),
        body="Spring tea is in.",
    )


def _settings(world: World) -> None:
    admin = world.users["admin"]
    o = world.objects
    o["care_rule"] = CareRule.objects.create(
        name="Birthday call", kind=RuleKind.BIRTHDAY, create_task=True, created_by=admin
    )
    o["festival"] = Festival.objects.create(
        name="Company day", calendar="solar", month=9, day=1, greeting="Happy company day!"
    )
    tag = Tag.objects.get(name="vip")
    o["cadence"] = CadenceRule.objects.create(tag=tag, days=30)
    o["lifecycle_model"] = LifecycleModel.objects.get(key="six_phase")
    o["stage"] = Stage.objects.filter(model=o["lifecycle_model"]).order_by("position", "pk").first()
    o["lifecycle_rule"] = Rule.objects.filter(model=o["lifecycle_model"]).order_by("pk").first()
    o["flag"] = Flag.objects.order_by("pk").first()
    o["apply_run"] = JobRun.objects.create(
        name=apply_job_name(o["lifecycle_model"]),
        status=JobStatus.OK,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    o["import_job"] = ImportJob.objects.create(
        user=world.users["sales"],
        kind="customers",
        status="done",
        original_name="customers.csv",
        headers=["Name"],
        checked_at=timezone.now(),
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    o["export_record"] = ExportRecord.objects.create(
        user=world.users["sales"],
        list_key="customers",
        columns=["name"],
        file_format="csv",
        status="done",
        rows=1,
        finished_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=24),
        file_name=f"sweep-{uuid.uuid4().hex}.csv",
    )
    # Its file, so that its download answers its exporter (and is gone after the run).
    export_file = exports_dir() / o["export_record"].file_name
    export_file.parent.mkdir(parents=True, exist_ok=True)
    export_file.write_text("name\n", encoding="utf-8")
    atexit.register(export_file.unlink, missing_ok=True)


def _pool(world: World) -> None:
    """A customer whose contact data changed while ``sales`` owned it (so it is in the
    history too), with an order, a complaint, a task and an invitation, then released
    to the public pool."""
    sales, service = world.users["sales"], world.users["service"]
    o = world.objects
    pool = customer_create(
        actor=sales,
        data={
            "name": "Pool Person",
            "email": "pool.old@example.com",
            "wechat_id": "wx_pool_old",
            "address": "1 Old Road",
            "city": "Suzhou",
            "industry": "Catering",
        },
        phones=(POOL_OLD_PHONE,),
    )
    pool = customer_update(
        actor=sales,
        customer=pool,
        version=pool.version,
        data={
            "email": "pool.secret@example.com",
            "wechat_id": "wx_pool_secret",
            "address": "88 Hidden Lane",
        },
        phones=(POOL_PHONE,),
    )
    o["pool_contact"] = contact_save(
        actor=sales,
        customer=pool,
        data={
            "name": "Pat Contact",
            "phone": POOL_CONTACT_PHONE,
            "email": "pool.contact@example.com",
            "wechat_id": "wx_pool_contact",
        },
    )
    line = (LineData(quantity=Decimal("1"), product_id=o["product"].pk),)
    o["pool_order"] = _order(sales, pool, "P-2001", days_ago=90, lines=line)
    o["pool_complaint"] = complaint_create(
        actor=sales,
        customer=pool,
        data={"channel": "email", "description": "Late delivery.", "order_id": o["pool_order"].pk},
    )
    o["pool_task"] = task_create(
        actor=sales,
        customer=pool,
        data={
            "kind": "call",
            "title": "Call Pool Person",
            "due_at": timezone.now() + dt.timedelta(days=2),
        },
    )
    result = invitations_send(
        actor=service, survey=o["survey"], customers=[pool], channel="link", language="en"
    )
    [o["pool_invitation"]] = result.invitations
    pool.refresh_from_db()
    o["pool"] = pool_release(actor=sales, customer=pool, reason="Not interested for now")
    _exits(world)


def _exits(world: World) -> None:
    """An exit of ``sales``'s customer and one of the pool customer (written as the
    churn rule would, without moving their stages)."""
    from kehu.exits.models import ExitReason, ExitRecord
    from kehu.exits.snapshot import ExitPlan, exits_create

    o = world.objects
    o["exit_reason"] = ExitReason.objects.get(key="price")
    for key, customer in (("exit_record", o["customer"]), ("pool_exit", o["pool"])):
        [pk] = exits_create(
            [
                ExitPlan(
                    customer_id=customer.pk,
                    at=timezone.now() - dt.timedelta(days=1),
                    reason_id=o["exit_reason"].pk,
                    source="manual",
                    created_by_id=world.users["sales"].pk,
                )
            ]
        )
        o[key] = ExitRecord.objects.get(pk=pk)


def own_customer(world: World, role: str, *, second: bool = False) -> Customer:
    """A customer of ``role``'s own (made once): what an outsider may rightly touch.
    Roles that own no customers see them all: ``sales``'s then."""
    user = world.users[role]
    if user.role not in (Role.SALES, Role.MANAGER):
        return world.objects["customer2" if second else "customer"]
    key = f"own_customer:{role}:{second}"
    if key not in world.objects:
        world.objects[key] = customer_create(
            actor=world.users["admin"],
            data={"name": f"Own {role} {'two' if second else 'one'}"},
            owner=user,
            allow_duplicate=True,
        )
    return world.objects[key]


def own_contact(world: World, role: str) -> Contact:
    key = f"own_contact:{role}"
    if key not in world.objects:
        customer = own_customer(world, role)
        world.objects[key] = contact_save(
            actor=world.users["admin"], customer=customer, data={"name": f"Own {role} contact"}
        )
    return world.objects[key]


def own_order(world: World, role: str) -> Order:
    key = f"own_order:{role}"
    if key not in world.objects:
        customer = own_customer(world, role)
        line = (LineData(quantity=Decimal("1"), product_id=world.objects["product"].pk),)
        world.objects[key] = _order(
            world.users["admin"], customer, f"OWN-{role}", days_ago=5, lines=line
        )
    return world.objects[key]


def _leads(world: World) -> None:
    """A lead ``sales`` owns (called once), one in the lead pool, a disqualification
    reason and a region route."""
    from kehu.accounts.models import User as _User
    from kehu.leads.assignment import region_route_save
    from kehu.leads.models import DisqualifyReason
    from kehu.leads.services import attempt_log, lead_create

    admin, sales = world.users["admin"], world.users["sales"]
    o = world.objects
    o["lead"], _created = lead_create(
        actor=sales,
        data={"name": "Lena Lead", "phone": "+8613800000031", "company": "Lead Works"},
        owner=sales,
    )
    attempt_log(actor=sales, lead=o["lead"], outcome="connected", note="Interested")
    o["pool_lead"], _created = lead_create(
        actor=admin, data={"name": "Paul Pool", "phone": "+8613800000032"}, owner=None
    )
    o["lead_reason"] = DisqualifyReason.objects.create(name="No budget", position=1)
    o["lead_route"] = region_route_save(
        actor=admin, province="Zhejiang", city="", user=_User.objects.get(pk=sales.pk)
    )


def _retention(world: World) -> None:
    """A playbook (admins and managers edit it) and a run for sales's customer."""
    import random

    from kehu.retention.models import PlaybookRun
    from kehu.retention.services import playbook_create, playbook_start

    o = world.objects
    o["playbook"] = playbook_create(
        actor=world.users["admin"],
        data={"name": "Win them back", "trigger": "manual", "holdout_percent": 0},
        steps=[{"kind": "call", "title": "Ask why", "due_days": 2}],
    )
    playbook_start(
        actor=world.users["admin"],
        playbook=o["playbook"],
        customer_ids=[o["customer"].pk],
        rng=random.Random(1),
    )
    o["retention_run"] = PlaybookRun.objects.get(customer=o["customer"])
