"""Access, swept: every page and API route that takes an id, for every role that must
be refused, answers exactly as for an id that does not exist, and no answer a
salesperson gets carries a pool customer's contact data.

Nobody writes these per page: the routes come from Django's resolver and the Ninja
API, the records from ``routes.REGISTRY``. A route that names a record with a keyword
the registry does not know fails ``test_every_id_keyword_is_known``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sweep.probe import (
    Answer,
    Clients,
    answer_of,
    body_for,
    body_id_fields,
    changed_tables,
    rolled_back,
    snapshot,
)
from tests.sweep.routes import (
    EXEMPT,
    Kind,
    Route,
    api_routes,
    exemption,
    kind_for,
    page_routes,
)
from tests.sweep.world import ROLES, World, build_world, pool_needles

pytestmark = pytest.mark.django_db


def all_routes() -> list[Route]:
    return [*page_routes(), *api_routes()]


def swept_routes() -> list[Route]:
    """The routes that name a record: by a URL keyword, or (API) by a body field."""
    return [
        route
        for route in all_routes()
        if not exemption(route.name) and (route.keywords or (route.api and body_id_fields(route)))
    ]


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def test_every_id_keyword_is_known() -> None:
    unknown = [
        f"{route.name} {route.template}: <{keyword}>"
        for route in all_routes()
        if not exemption(route.name)
        for keyword in route.keywords
        if kind_for(route.name, keyword) is None
    ]
    assert not unknown, (
        "These routes name a record the access sweep does not know. Add the keyword to "
        "tests/sweep/routes.py REGISTRY (how to make such a record, who must not reach "
        "it), or to EXEMPT with the reason:\n" + "\n".join(unknown)
    )


def test_every_exemption_names_a_route() -> None:
    names = {route.name for route in all_routes()}
    namespaces = {name.split(":", 1)[0] for name in names}
    stale = [
        key
        for key in EXEMPT
        if not (key in names or (key.endswith(":*") and key[:-2] in namespaces))
    ]
    assert not stale, f"EXEMPT lists routes that no longer exist: {stale}"


def test_the_sweep_covers_every_kind_of_route() -> None:
    """The walk itself: pages and API, GET and writes, URL and body ids (a walk that
    silently found nothing would let everything pass)."""
    routes = swept_routes()
    assert sum(not r.api for r in routes) >= 50
    assert sum(r.api for r in routes) >= 30
    assert {"GET", "POST", "PATCH", "PUT", "DELETE"} <= {m for r in routes for m in r.methods}
    assert any(r.api and not r.keywords for r in routes)  # POST /interactions: customer_id


class Sweep:
    def __init__(self, world: World) -> None:
        self.world = world
        self.clients = Clients(world)
        self.problems: list[str] = []

    def kinds(self, route: Route) -> dict[str, Kind]:
        kinds: dict[str, Kind] = {}
        for keyword in route.keywords:
            kind = kind_for(route.name, keyword)
            assert kind is not None, keyword
            kinds[keyword] = kind
        if route.api:
            kinds.update(body_id_fields(route))
        return kinds

    def version(self, route: Route, values: dict[str, Any]) -> int | None:
        """The current version of the record the URL names (what a client read)."""
        if not route.keywords:
            return None
        kind = self.kinds(route)[route.keywords[0]]
        record = kind.get(self.world)
        row = type(record)._default_manager.filter(pk=record.pk).values().first() or {}
        return row.get("version")

    def ask(
        self, role: str, route: Route, method: str, values: dict[str, Any], ids: tuple[Any, ...]
    ) -> Answer:
        """The answer, with ``ids`` (the record's and the missing one) made alike."""
        url = route.url({k: values[k] for k in route.keywords})
        body_ids = {k: v for k, v in values.items() if k not in route.keywords}
        version = self.version(route, values)
        body = body_for(route, method, body_ids, version) if route.api else None
        response = self.clients.call(role, route, method, url, body)
        return answer_of(response, ids)

    def outsiders(self, route: Route, method: str) -> None:
        """Each outsider of each record the route names gets the missing-id answer; the
        route's other records are the outsider's own, so only that record stands in
        the way. A refused request changes nothing."""
        kinds = self.kinds(route)
        cases = []
        for keyword, named in kinds.items():
            for kind in (named, *named.variants):
                for role in kind.outsiders:
                    mine = {k: other.own_id(self.world, role) for k, other in kinds.items()}
                    mine[keyword] = kind.id_of(self.world)
                    cases.append((keyword, kind, role, mine, {**mine, keyword: kind.missing}))
        if not cases:
            return
        before = snapshot()
        answered = False
        for keyword, kind, role, real_ids, missing_ids in cases:
            ids = (real_ids[keyword], kind.missing)
            real = self.ask(role, route, method, real_ids, ids)
            missing = self.ask(role, route, method, missing_ids, ids)
            where = f"{method} {route.template} as {role}, {keyword} = sales's {kind.label}"
            if real.status >= 500 or missing.status >= 500:
                self.problems.append(f"{where}: {real} / missing id: {missing}")
            elif real != missing:
                self.problems.append(f"{where}: {real}, but for a missing id: {missing}")
            elif keyword in route.keywords and not real.refused:
                self.problems.append(f"{where}: {real}, not refused (403/404/405)")
            answered = answered or real.status < 400
        changed = changed_tables(before, snapshot())
        if changed and not answered:
            self.problems.append(
                f"{method} {route.template}: refused outsiders' requests changed {changed}"
            )

    def insider(self, route: Route) -> None:
        """The records the sweep uses are the ones the route names: someone who may
        reach them gets another answer than for a missing id (by some method)."""
        kinds = self.kinds(route)
        roles = list(dict.fromkeys([*(k.insider for k in kinds.values()), "admin"]))
        ids = {k: kind.id_of(self.world) for k, kind in kinds.items()}
        for keyword, kind in kinds.items():
            answers = []
            for role in roles:
                for method in route.methods:
                    pair = (ids[keyword], kind.missing)
                    with rolled_back():
                        real = self.ask(role, route, method, ids, pair)
                    with rolled_back():
                        missing = self.ask(
                            role, route, method, {**ids, keyword: kind.missing}, pair
                        )
                    answers.append(f"{method} as {role}: {real} / {missing}")
                    if real.status >= 500:
                        self.problems.append(f"{method} {route.template} as {role}: {real}")
                    if real != missing:
                        break
                else:
                    continue
                break
            else:
                self.problems.append(
                    f"{route.template}: nobody gets another answer for sales's {kind.label} "
                    f"than for a missing {keyword} ({'; '.join(answers)}): the registry's "
                    "record or insider is wrong"
                )


def _report(problems: list[str]) -> str:
    return f"{len(problems)} problems:\n" + "\n".join(problems)


def test_outsiders_get_the_answer_of_a_missing_id_on_pages(world: World) -> None:
    sweep = Sweep(world)
    for route in swept_routes():
        if not route.api:
            for method in route.methods:
                sweep.outsiders(route, method)
            sweep.insider(route)
    assert not sweep.problems, _report(sweep.problems)


def test_outsiders_get_the_answer_of_a_missing_id_in_the_api(world: World) -> None:
    sweep = Sweep(world)
    for route in swept_routes():
        if route.api:
            for method in route.methods:
                sweep.outsiders(route, method)
            sweep.insider(route)
    assert not sweep.problems, _report(sweep.problems)


def _text(response: Any) -> str:
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return content.decode("utf-8", errors="replace")


def test_pool_contact_data_reaches_no_salesperson(world: World) -> None:
    """Every GET a salesperson can make, with every id pointing at the pool customer
    (or its order, complaint, task, invitation) where there is one."""
    clients = Clients(world)
    needles = pool_needles()
    leaks = []
    for route in all_routes():
        if exemption(route.name) or "GET" not in route.methods:
            continue
        kinds = {k: kind_for(route.name, k) for k in route.keywords}
        values = {k: kind.id_of(world, pool=True) for k, kind in kinds.items() if kind}
        url = route.url(values)
        for role in ("sales", "west_sales"):
            calls = [clients.call(role, route, "GET", url)]
            if not route.api:  # the htmx partial of the page, too
                calls.append(clients.page(role).get(url, headers={"HX-Request": "true"}))
            for response in calls:
                found = [needle for needle in needles if needle in _text(response)]
                if found:
                    leaks.append(f"GET {url} as {role} ({response.status_code}): {found}")
    assert not leaks, "A pool customer's contact data reached a salesperson:\n" + "\n".join(leaks)


def test_django_admin_is_for_admins_only(world: World) -> None:
    clients = Clients(world)
    user = world.users["sales"].pk
    for url in ("/django-admin/", f"/django-admin/accounts/user/{user}/change/"):
        assert clients.page("admin").get(url).status_code == 200
        for role in ROLES:
            if role != "admin":
                response = clients.page(role).get(url)
                assert response.status_code == 302, (url, role)
                assert response["Location"].startswith("/django-admin/login/"), (url, role)
