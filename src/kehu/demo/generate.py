"""The demo data set: two sales teams and every role, and customers that look like a
Chinese SMB's book — people and companies, real places, valid mobile numbers,
contacts, tags, owners and a public pool. Deterministic for a seed.

Customers are written in bulk (thousands per second) but stay consistent with what
the services write: pinyin sort keys, primary phones, a "create" history row, owner
history and the search index.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from kehu.accounts.models import Role, Team, User
from kehu.core.bulk import bulk_insert, insert_objects, next_id, sequences_reset
from kehu.customers.duplicates import duplicate_scan, duplicate_scan_save
from kehu.customers.models import (
    ChangeAction,
    CompanySize,
    Contact,
    Customer,
    CustomerChange,
    CustomerKind,
    CustomerPhone,
    Gender,
    IncomeBand,
    OwnerChange,
    OwnerChangeKind,
    SearchToken,
    SourceChannel,
    Tag,
)
from kehu.customers.search import SearchDocument
from kehu.customers.services import customer_create, derived_fields
from kehu.demo import names
from kehu.demo.behaviour import demo_behaviour
from kehu.demo.service import demo_service
from kehu.lifecycle.demo import demo_lifecycle
from kehu.pipeline.demo import demo_pipeline
from kehu.value.demo import value_demo

DEMO_PASSWORD = "kehu-demo-2026"
POOL_SHARE = 0.10
COMPANY_SHARE = 0.30
BATCH = 5000

TEAMS = {
    "华东销售部": [
        ("east_mgr", "周建国", Role.MANAGER),
        ("east_s1", "李娜", Role.SALES),
        ("east_s2", "王磊", Role.SALES),
        ("east_s3", "陈静", Role.SALES),
    ],
    "华南销售部": [
        ("south_mgr", "黄志强", Role.MANAGER),
        ("south_s1", "林晓东", Role.SALES),
        ("south_s2", "郑梦瑶", Role.SALES),
        ("south_s3", "梁家豪", Role.SALES),
    ],
}
OTHERS = [
    ("admin", "系统管理员", Role.ADMIN, None),
    ("service1", "客服小刘", Role.SERVICE, None),
    ("analyst1", "数据分析师", Role.ANALYST, None),
]


class DemoError(Exception):
    pass


def _user(username: str, display: str, role: str, team: Team | None, password: str) -> User:
    user = User(
        username=username,
        display_name=display,
        role=role,
        team=team,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        password=password,
    )
    user.save()
    return user


def demo_users() -> list[User]:
    """Create the demo organisation; returns the users who own customers."""
    # One hash for the one demo password: Argon2 per user took most of a second each.
    password = make_password(DEMO_PASSWORD)
    owners: list[User] = []
    for team_name, members in TEAMS.items():
        team = Team.objects.create(name=team_name)
        for username, display, role in members:
            owners.append(_user(username, display, role, team, password))
    for username, display, role, _no_team in OTHERS:
        _user(username, display, role, None, password)
    return owners


@dataclass
class Place:
    province: str
    city: str
    district: str


@dataclass
class DemoCustomer:
    customer: Customer
    phones: list[str]
    tags: list[str]
    contacts: list[Contact] = field(default_factory=list)


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._surnames = [s for s, _w in names.SURNAMES]
        self._surname_weights = [w for _s, w in names.SURNAMES]
        self._provinces = list(names.PROVINCE_WEIGHTS)
        self._province_weights = list(names.PROVINCE_WEIGHTS.values())
        self._used_phones: set[str] = set()

    def person_name(self) -> str:
        surname = self.rng.choices(self._surnames, self._surname_weights)[0]
        size = 1 if self.rng.random() < 0.35 else 2
        return surname + "".join(self.rng.choice(names.GIVEN_CHARS) for _ in range(size))

    def place(self) -> Place:
        province = self.rng.choices(self._provinces, self._province_weights)[0]
        city = self.rng.choice(list(names.REGIONS[province]))
        return Place(province, city, self.rng.choice(names.REGIONS[province][city]))

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._used_phones:
                self._used_phones.add(number)
                return "+86" + number

    def company_name(self, place: Place) -> tuple[str, str]:
        brand = "".join(self.rng.sample(names.BRAND_CHARS, 2))
        trade, industry = self.rng.choice(names.COMPANY_TRADES)
        city = place.city.removesuffix("市")
        suffix = self.rng.choice(names.COMPANY_SUFFIXES)
        if self.rng.random() < 0.8:
            return f"{city}{brand}{trade}{suffix}", industry
        return f"{brand}{trade}（{city}）{suffix}", industry

    def customer(self, owner: User | None, now: dt.datetime) -> DemoCustomer:
        rng = self.rng
        place = self.place()
        is_company = rng.random() < COMPANY_SHARE
        source = rng.choice([c for c in SourceChannel.values if c])
        if is_company:
            name, industry = self.company_name(place)
            customer = Customer(
                kind=CustomerKind.COMPANY,
                name=name,
                industry=industry,
                company_size=rng.choice([c for c in CompanySize.values if c]),
                email=f"info{rng.randrange(10**5)}@{'example'}.com" if rng.random() < 0.5 else "",
            )
        else:
            name = self.person_name()
            birthday = dt.date(rng.randint(1955, 2003), rng.randint(1, 12), rng.randint(1, 28))
            has_birthday = rng.random() < 0.7
            customer = Customer(
                kind=CustomerKind.PERSON,
                name=name,
                gender=rng.choice([Gender.MALE, Gender.FEMALE]),
                birthday=birthday if has_birthday else None,
                birthday_is_lunar=has_birthday and rng.random() < 0.25,
                income_band=rng.choice([c for c in IncomeBand.values if c]),
                industry=rng.choice(names.PERSON_INDUSTRIES),
                interests="、".join(rng.sample(names.INTERESTS, rng.randint(0, 3))),
                wechat_id=f"wx_{rng.randrange(10**7)}" if rng.random() < 0.6 else "",
            )
        customer.province, customer.city, customer.district = (
            place.province,
            place.city,
            place.district,
        )
        customer.source_channel = source
        customer.owner = owner
        customer.team_id = owner.team_id if owner else None
        customer.claimed_at = now if owner else None
        derived_fields(customer)
        phones = [self.mobile() for _ in range(1 if rng.random() < 0.85 else 2)]
        tags = rng.sample(names.TAGS, rng.choice([0, 0, 1, 1, 2]))
        item = DemoCustomer(customer, phones, tags)
        if is_company:
            for i in range(rng.randint(1, 3)):
                item.contacts.append(
                    Contact(
                        name=self.person_name(),
                        title=rng.choice(names.TITLES),
                        phone=self.mobile(),
                        is_primary=i == 0,
                    )
                )
        return item


def _batches(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        yield min(size, total - done)
        done += size


# The phases of a load and the share of its time each took (the default demo, 2,000
# customers: 39 s on a busy 2-core machine), so that the progress bar moves evenly.
DEMO_PHASES = {
    "users": 0.04,
    "customers": 0.19,
    "orders and interactions": 0.12,
    "complaints, surveys, care": 0.34,
    "customer value": 0.03,
    "lifecycle history": 0.22,
    "duplicates": 0.06,
}


class _Phases:
    """Turns "phase P is this far" into the whole load's fraction for ``progress``."""

    def __init__(self, progress: Callable[[float, str], None] | None) -> None:
        self.progress = progress
        self.start = 0.0
        self.name = ""

    def begin(self, name: str) -> None:
        if self.name:
            self.start += DEMO_PHASES[self.name]
        self.name = name
        self.within(0.0)

    def within(self, fraction: float) -> None:
        if self.progress:
            self.progress(min(1.0, self.start + DEMO_PHASES[self.name] * fraction), self.name)


def demo_load(
    *, customers: int, seed: int, progress: Callable[[float, str], None] | None = None
) -> dict[str, int]:
    """Load the demo data set into an empty database; ``progress`` hears the fraction
    done (0 to 1) and the phase, as it goes."""
    if Customer.objects.exists() or User.objects.filter(username="admin").exists():
        raise DemoError("the database already has data; the demo loads into an empty one")
    phases = _Phases(progress)
    phases.begin("users")
    with transaction.atomic():
        owners = demo_users()
        admin = User.objects.get(username="admin")
        tags = {name: Tag.objects.create(name=name) for name in names.TAGS}
    if connection.vendor == "sqlite":
        # A fresh database being filled in bulk: a big page cache keeps the search
        # index's B-tree in memory while it grows (the default 2 MB thrashes).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-262144")
    phases.begin("customers")
    gen = Generator(seed)
    now = timezone.now()
    created = 0
    duplicates = customers // 100  # about 1 % entered twice, as in every real book
    ids = _Ids(customer=next_id(Customer), contact=next_id(Contact))
    for size in _batches(customers - duplicates, BATCH):
        with transaction.atomic():
            items = [
                gen.customer(None if gen.rng.random() < POOL_SHARE else gen.rng.choice(owners), now)
                for _ in range(size)
            ]
            for item in items:
                item.customer.pk = ids.customer
                ids.customer += 1
                item.customer.created_by = item.customer.updated_by = item.customer.owner or admin
                item.customer.created_at = item.customer.updated_at = now
            insert_objects(Customer, [i.customer for i in items])
            _write_related(items, tags, now, ids)
        created += size
        phases.within(created / max(1, customers - duplicates))
    sequences_reset(Customer, Contact)
    phases.begin("orders and interactions")
    behaviour = demo_behaviour(
        seed=seed,
        customers=list(Customer.objects.order_by("id").values_list("pk", "owner_id")),
        users=owners,
        service=User.objects.filter(role=Role.SERVICE).first(),
        admin=admin,
        now=now,
    )
    phases.begin("complaints, surveys, care")
    service = demo_service(
        seed=seed,
        customer_ids=list(Customer.objects.order_by("id").values_list("pk", flat=True)),
        admin=admin,
        service=User.objects.filter(role=Role.SERVICE).first(),
        now=now,
    )
    pipeline = demo_pipeline(seed=seed, now=now)
    # Value first: the lifecycle rules may read tier, RFM, P(alive), CLV and risk.
    phases.begin("customer value")
    value_demo()
    phases.begin("lifecycle history")
    demo_lifecycle(
        customer_ids=list(Customer.objects.values_list("pk", flat=True)),
        now=now,
        progress=phases.within,
    )
    phases.begin("duplicates")
    with transaction.atomic():  # a bulk load: one commit, not one per customer
        planted = _plant_duplicates(gen, admin, duplicates)
    duplicate_scan_save(duplicate_scan())
    phases.within(1.0)
    return {
        "customers": created + planted,
        "users": User.objects.count(),
        **behaviour,
        **service,
        **pipeline,
    }


def _plant_duplicates(gen: Generator, admin: User, count: int) -> int:
    """Entered twice, as happens in every CRM: the same person under another owner with
    the same mobile, the same company written another way. The duplicates page and
    the merge screen have something to show."""
    rng = gen.rng
    originals = list(Customer.objects.order_by("id").values_list("pk", flat=True))
    picked = rng.sample(originals, min(count, len(originals)))
    found = Customer.objects.prefetch_related("phones").in_bulk(picked)
    sales = list(User.objects.filter(role=Role.SALES))
    planted = 0
    for pk in picked:
        original = found[pk]
        if original.kind == CustomerKind.COMPANY:
            city = original.city.removesuffix("市")
            base = original.name.replace(f"（{city}）", "").removeprefix(city)
            for suffix in ("股份有限公司", "有限责任公司", "有限公司"):
                base = base.removesuffix(suffix)
            name = (
                f"{base}（{city}）有限公司"
                if original.name.startswith(city)
                else f"{city}{base}有限公司"
            )
            phones: list[str] = []
        else:
            name = original.name
            phones = [p.number for p in original.phones.all()][:1]
        customer_create(
            actor=admin,
            data={
                "name": name,
                "kind": original.kind,
                "province": original.province,
                "city": original.city,
                "industry": original.industry,
                "source_channel": rng.choice([c for c in SourceChannel.values if c]),
            },
            phones=phones,
            owner=rng.choice(sales),
            allow_duplicate=True,
        )
        planted += 1
    return planted


@dataclass
class _Ids:
    customer: int
    contact: int


def _write_related(
    items: list[DemoCustomer], tags: dict[str, Tag], now: dt.datetime, ids: _Ids
) -> None:
    insert_objects(
        CustomerPhone,
        [
            CustomerPhone(customer=i.customer, number=n, is_primary=k == 0)
            for i in items
            for k, n in enumerate(i.phones)
        ],
        with_id=False,
    )
    through = Customer.tags.through
    bulk_insert(
        through._meta.db_table,
        ["customer_id", "tag_id"],
        [(i.customer.pk, tags[t].pk) for i in items for t in i.tags],
    )
    contacts = []
    for item in items:
        for contact in item.contacts:
            contact.customer = item.customer
            contact.pk = ids.contact
            ids.contact += 1
            contact.created_at = contact.updated_at = now
            contacts.append(contact)
    insert_objects(Contact, contacts)
    insert_objects(
        CustomerChange,
        [
            CustomerChange(
                customer=i.customer, actor=i.customer.created_by, at=now, action=ChangeAction.CREATE
            )
            for i in items
        ],
        with_id=False,
    )
    insert_objects(
        OwnerChange,
        [
            OwnerChange(
                customer=i.customer,
                kind=OwnerChangeKind.CREATE,
                actor=i.customer.created_by,
                to_user=i.customer.owner,
                at=now,
            )
            for i in items
            if i.customer.owner_id
        ],
        with_id=False,
    )
    bulk_insert(
        SearchToken._meta.db_table,
        ["token", "customer_id"],
        [
            (token, doc.customer_id)
            for doc in (
                SearchDocument(
                    customer_id=i.customer.pk,
                    name=i.customer.name,
                    kind=i.customer.kind,
                    phones=tuple(i.phones),
                    email=i.customer.email,
                    wechat_id=i.customer.wechat_id,
                    contact_names=tuple(c.name for c in i.contacts),
                    contact_phones=tuple(c.phone for c in i.contacts if c.phone),
                )
                for i in items
            )
            for token in doc.tokens()
        ],
    )
