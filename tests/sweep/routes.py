"""Every URL the app answers, walked from Django's resolver and the Ninja API, and the
registry that says, for each URL keyword that names a record, how to get a record of
that kind and who must not reach it.

A new page or endpoint taking an id is covered by the sweep without anyone writing
its test: its keyword is looked up here. A keyword this registry does not know fails
``test_every_id_keyword_is_known`` until the next engineer adds it (with the record
it names and its outsiders), or lists the route in ``EXEMPT`` with the reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.sweep.world import World, own_contact, own_customer, own_order

# Outsiders: who must get exactly the answer of an id that does not exist.
OTHER_SALES = ("east_sales2", "west_sales", "west_manager")  # of a customer ``sales`` owns
NOT_ADMINS = ("manager", "west_manager", "sales", "east_sales2", "west_sales", "service", "analyst")
EVERYONE_BUT_SALES = (
    "admin",
    "manager",
    "west_manager",
    "east_sales2",
    "west_sales",
    "service",
    "analyst",
)


@dataclass(frozen=True)
class Kind:
    """A kind of record a URL keyword names."""

    label: str
    get: Callable[[World], Any]  # the record (of ``sales``'s sphere) the sweep uses
    outsiders: tuple[str, ...]  # roles that may not see it at all
    insider: str = "admin"  # a role that reaches it (the sweep checks it does)
    pool: Callable[[World], Any] | None = None  # the same kind, of the pool customer
    # One of the outsider's own (so that only the record under test stands in the way).
    own: Callable[[World, str], Any] | None = None
    missing: Any = 987_654_321  # an id no record has
    attribute: str = "pk"  # what the URL carries
    # Other records the same keyword may name, each with its own outsiders.
    variants: tuple[Kind, ...] = ()

    def id_of(self, world: World, *, pool: bool = False) -> Any:
        record = (self.pool if pool and self.pool else self.get)(world)
        return getattr(record, self.attribute)

    def own_id(self, world: World, role: str) -> Any:
        if self.own is None:
            return self.id_of(world)
        return getattr(self.own(world, role), self.attribute)


def _loyalty(what: str) -> Any:
    from kehu.loyalty.models import EarnRule, Gift, Level

    if what == "level":
        return Level.objects.order_by("pk").first()
    if what == "rule":
        return EarnRule.objects.order_by("pk").first()
    return Gift.objects.get_or_create(name="Tea cup", defaults={"points_cost": 10})[0]


# A deleted customer is gone for everyone but admins (who may restore it): for those
# who would see it alive, its owner first.
DELETED_CUSTOMER = Kind(
    "deleted customer", lambda w: w.deleted_customer, ("sales", "manager", "service", "analyst")
)
CUSTOMER = Kind(
    "customer",
    lambda w: w.customer,
    OTHER_SALES,
    insider="sales",
    pool=lambda w: w.pool,
    own=own_customer,
    variants=(DELETED_CUSTOMER,),
)

LIFECYCLE_MODEL = Kind(
    "lifecycle model",
    lambda w: w.lifecycle_model,
    NOT_ADMINS,
    missing="no-such-model",
    attribute="key",
)
APPLY_RUN = Kind("run of applying a lifecycle model", lambda w: w.apply_run, NOT_ADMINS)
FLAG = Kind("manual flag", lambda w: w.flag, (), missing="no-such-flag", attribute="key")
FLAG_ADMIN = Kind(
    "manual flag (its definition)",
    lambda w: w.flag,
    NOT_ADMINS,
    missing="no-such-flag",
    attribute="key",
)

# An import is its importer's (and the admins'): every other role answers 404.
IMPORT_JOB = Kind(
    "import",
    lambda w: w.import_job,
    ("manager", "west_manager", "east_sales2", "west_sales", "service", "analyst"),
    insider="sales",
)

# An export (its record, its file) is its exporter's and the admins'.
EXPORT_RECORD = Kind(
    "export",
    lambda w: w.export_record,
    ("manager", "west_manager", "east_sales2", "west_sales", "service", "analyst"),
    insider="sales",
)

# The URL keyword → the kind of record it names. ``namespace:keyword`` where one
# keyword names different records in different apps (``rule_id``): then the plain
# keyword is deliberately absent, so a new app's ``rule_id`` must be added too; and
# ``namespace:name:keyword`` for the one route that needs another record.
REGISTRY: dict[str, Kind] = {
    "customer_id": CUSTOMER,
    # The loyalty programme's levels, earn rules and gifts: admins only.
    "loyalty:level:item_id": Kind("membership level", lambda w: _loyalty("level"), NOT_ADMINS),
    "loyalty:rule:item_id": Kind("earn rule", lambda w: _loyalty("rule"), NOT_ADMINS),
    "loyalty:gift:item_id": Kind("gift", lambda w: _loyalty("gift"), NOT_ADMINS),
    # Only admins restore, and only deleted customers.
    "customers:restore:customer_id": DELETED_CUSTOMER,
    "other_id": Kind(
        "customer (merged into the first)",
        lambda w: w.customer2,
        OTHER_SALES,
        insider="sales",
        own=lambda w, role: own_customer(w, role, second=True),
    ),
    # Undoing a merge is for admins (it restores both customers).
    "merge_id": Kind("merge record", lambda w: w.merge, NOT_ADMINS),
    "pair_id": Kind("duplicate pair", lambda w: w.pair, OTHER_SALES, insider="sales"),
    "task_id": Kind(
        "follow-up task", lambda w: w.task, OTHER_SALES, insider="sales", pool=lambda w: w.pool_task
    ),
    # A notification is its recipient's alone, admins included.
    "notification_id": Kind(
        "notification", lambda w: w.notification, EVERYONE_BUT_SALES, insider="sales"
    ),
    "order_id": Kind(
        "order",
        lambda w: w.order,
        OTHER_SALES,
        insider="sales",
        pool=lambda w: w.pool_order,
        own=own_order,
    ),
    # Products are a catalogue everyone reads (admins and managers change them).
    "product_id": Kind("product", lambda w: w.product, ()),
    # A contact: its customer's rules; a pool customer's contacts are hidden from sales.
    "contact_id": Kind(
        "contact",
        lambda w: w.contact,
        OTHER_SALES,
        insider="sales",
        pool=lambda w: w.pool_contact,
        own=own_contact,
    ),
    # Categories: admins and managers only; the others are refused whatever the id.
    "category_id": Kind(
        "product category",
        lambda w: w.product_category,
        ("sales", "east_sales2", "west_sales", "service", "analyst"),
    ),
    "complaint_id": Kind(
        "complaint",
        lambda w: w.complaint,
        OTHER_SALES,
        insider="sales",
        pool=lambda w: w.pool_complaint,
    ),
    # Channel costs: admins and managers only; the others are refused whatever the id.
    "cost_id": Kind(
        "channel cost",
        lambda w: w.channel_cost,
        ("sales", "east_sales2", "west_sales", "service", "analyst"),
    ),
    # An exit follows its customer; the reasons (taxonomy) are admins' (tests/exits).
    "exit_id": Kind(
        "customer exit",
        lambda w: w.exit_record,
        OTHER_SALES,
        insider="sales",
        pool=lambda w: w.pool_exit,
    ),
    "exits:reason_id": Kind("exit reason", lambda w: w.exit_reason, NOT_ADMINS),
    # An opportunity: its owner's and team's, like a customer (tests/pipeline).
    "opportunity_id": Kind("opportunity", lambda w: w.opportunity, OTHER_SALES, insider="sales"),
    # Everyone reads incidents (only the complaints they may see are listed).
    "incident_id": Kind("incident", lambda w: w.incident, ()),
    # Survey templates are everyone's to send; editing and reports are role checks.
    "survey_id": Kind("survey", lambda w: w.survey, ()),
    "trigger_id": Kind("survey trigger", lambda w: w.trigger, ()),
    "invitation_id": Kind(
        "survey invitation",
        lambda w: w.invitation,
        OTHER_SALES,
        insider="sales",
        pool=lambda w: w.pool_invitation,
    ),
    "response_id": Kind("survey response", lambda w: w.response, OTHER_SALES, insider="sales"),
    # A campaign: its creator, admins and the creator's team manager.
    "campaign_id": Kind(
        "campaign",
        lambda w: w.campaign,
        ("east_sales2", "west_sales", "west_manager", "service", "analyst"),
        insider="sales",
    ),
    # Message templates are shared by everyone who sends.
    "template_id": Kind("message template", lambda w: w.template, ()),
    # Care settings, lifecycle models and their rules: admins only.
    "care:rule_id": Kind("care rule", lambda w: w.care_rule, NOT_ADMINS),
    "festival_id": Kind("festival", lambda w: w.festival, NOT_ADMINS),
    "cadence_id": Kind("contact cadence", lambda w: w.cadence, NOT_ADMINS),
    "lifecycle:key": LIFECYCLE_MODEL,
    "lifecycle:stage_id": Kind("lifecycle stage", lambda w: w.stage, NOT_ADMINS),
    # A run of applying a model's rules (its progress page): admins only.
    "lifecycle:apply_progress:run_id": APPLY_RUN,
    "api:kehu_api_lifecycle_lifecycle_model_apply:key": LIFECYCLE_MODEL,
    "api:kehu_api_lifecycle_lifecycle_model_apply_read:key": LIFECYCLE_MODEL,
    "api:kehu_api_lifecycle_lifecycle_model_apply_read:run_id": APPLY_RUN,
    # Manual flags: admins define them; a customer's flag is the customer's guard.
    "lifecycle:flag_edit:key": FLAG_ADMIN,
    "lifecycle:flag_retire:key": FLAG_ADMIN,
    "api:kehu_api_flags_flags_patch:key": FLAG_ADMIN,
    "api:kehu_api_flags_customer_flag_set:key": FLAG,
    "api:kehu_api_flags_customer_flag_clear:key": FLAG,
    # Moving all of a user's customers: a user the actor may not see answers 404.
    "api:kehu_api_ownership_user_customers_transfer_endpoint:user_id": Kind(
        "user",
        lambda w: w.users["sales"],
        ("west_manager", "west_sales", "east_sales2", "service"),
        insider="manager",
    ),
    "job_id": IMPORT_JOB,
    "import_id": IMPORT_JOB,
    "record_id": EXPORT_RECORD,
    "export_id": EXPORT_RECORD,
    "lifecycle:rule_id": Kind("lifecycle rule", lambda w: w.lifecycle_rule, NOT_ADMINS),
    # Leads follow their owner and team like customers; the pool's are everyone's who
    # may claim. Their settings (reasons, region routes): admins only.
    "lead_id": Kind(
        "lead", lambda w: w.lead, OTHER_SALES, insider="sales", pool=lambda w: w.pool_lead
    ),
    "leads:reason_id": Kind("disqualification reason", lambda w: w.lead_reason, NOT_ADMINS),
    "leads:route_id": Kind("region route", lambda w: w.lead_route, NOT_ADMINS),
    # Coupon templates: admins and managers (analysts read them); sales only with
    # KEHU_COUPONS_SALES_ISSUE; the others are refused whatever the id.
    "coupon_template_id": Kind(
        "coupon template",
        lambda w: w.coupon_template,
        ("sales", "east_sales2", "west_sales", "service"),
    ),
    # A private segment (a static list of sales's): its owner and admins only.
    "segment_id": Kind(
        "segment (private)",
        lambda w: w.segment,
        ("manager", "west_manager", "east_sales2", "west_sales", "service", "analyst"),
        insider="sales",
    ),
    # Retention playbooks: admins, managers and analysts read them (reports are
    # aggregates), admins and managers change and start them; a run follows its customer.
    "playbook_id": Kind(
        "retention playbook",
        lambda w: w.playbook,
        ("sales", "east_sales2", "west_sales", "service"),
    ),
    "retention:run_id": Kind(
        "retention run", lambda w: w.retention_run, OTHER_SALES, insider="manager"
    ),
    "retention:start_customer:customer_id": Kind(
        "customer (start a playbook)", lambda w: w.customer, OTHER_SALES, insider="manager"
    ),
}

# Routes with their own access rule, not "the record's owner and their managers".
EXEMPT: dict[str, str] = {
    "loyalty:join": "a member's referral code, not a record: it only fills in the new-"
    "customer form for whoever may create customers (tests/loyalty/test_views.py)",
    "followups:calendar": "a secret calendar-feed token is the key (calendar apps cannot "
    "log in); a wrong token answers 404 (tests/followups)",
    "surveys:answer": "the customer's signed, single-use survey link is the key; no login "
    "(tests/surveys/test_answer_page.py)",
    "messaging:unsubscribe": "the signed unsubscribe link is the key; no login (tests/messaging)",
    "imports:template": "a kind of import, not a record: whoever may import downloads "
    "its template (tests/imports/test_views.py)",
    "exports:form": "a list's name, not a record: each list's rows are scoped by its own "
    "selector (tests/exports)",
    "api:kehu_api_exports_export_list": "a list's name, not a record: each list's rows are "
    "scoped by its own selector (tests/exports)",
    "admin:*": "Django's admin: staff only (admins, who see every record); every other "
    "role is sent to its login (test_django_admin_is_for_admins_only)",
}


def kind_for(route_name: str, keyword: str) -> Kind | None:
    namespace = route_name.split(":", 1)[0]
    return (
        REGISTRY.get(f"{route_name}:{keyword}")
        or REGISTRY.get(f"{namespace}:{keyword}")
        or REGISTRY.get(keyword)
    )


def exemption(name: str) -> str | None:
    namespace = name.split(":", 1)[0]
    return EXEMPT.get(name) or EXEMPT.get(f"{namespace}:*")


@dataclass(frozen=True)
class Route:
    """One URL of the app: a Django page (``methods`` unknown: GET and POST are both
    tried) or an API operation (its declared method)."""

    name: str  # namespace:name
    template: str  # "/customers/{customer_id}/"
    keywords: tuple[str, ...]
    api: bool
    methods: tuple[str, ...] = ("GET", "POST")
    body_schema: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0]

    def url(self, values: dict[str, Any]) -> str:
        return self.template.format(**values)


def _template(route: str) -> str:
    """``customers/<int:customer_id>/`` → ``customers/{customer_id}/``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            yield f"{namespace}:{entry.name}", prefix + str(entry.pattern), entry


@functools.cache
def page_routes() -> tuple[Route, ...]:
    """Every pattern of Django's resolver, through every include, except the API's
    (``api_routes`` walks those with their methods)."""
    routes = []
    for name, pattern, entry in _walk(get_resolver().url_patterns, "/", ""):
        if name.startswith("api:"):
            continue
        keywords = tuple(entry.pattern.converters) if hasattr(entry.pattern, "converters") else ()
        if not keywords and entry.pattern.regex.groupindex:
            keywords = tuple(entry.pattern.regex.groupindex)
        routes.append(Route(name, _template(pattern), keywords, api=False))
    return tuple(routes)


@functools.cache
def openapi() -> dict[str, Any]:
    from kehu.api.urls import api

    return api.get_openapi_schema()


@functools.cache
def api_routes() -> tuple[Route, ...]:
    """Every operation of the Ninja API, with its method and request-body schema."""
    routes = []
    for path, operations in openapi()["paths"].items():
        for method, operation in operations.items():
            keywords = tuple(
                p["name"] for p in operation.get("parameters", []) if p["in"] == "path"
            )
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            routes.append(
                Route(
                    f"api:{operation['operationId']}",
                    path,
                    keywords,
                    api=True,
                    methods=(method.upper(),),
                    body_schema=body["schema"] if body else None,
                )
            )
    return tuple(routes)


def components() -> dict[str, Any]:
    return openapi()["components"]["schemas"]
