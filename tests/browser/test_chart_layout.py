"""Chart legends are not drawn over the axes (issue 18, item 14): on the value dashboard
and the lifecycle analytics page, at 1,280 and 375 px, in Chinese and English, every
chart's legend lies apart from its axes (labels, names and the plot they frame).
ECharts 6 puts a legend at the bottom by default, over the x-axis labels."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.lifecycle.engine import lifecycle_evaluate
from tests.factories import make_customer, make_user
from tests.lifecycle.factories import buy, days_ago
from tests.value.test_numbers import _run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_models"),
]

# Each drawn chart: its legend's box and its axes' boxes, in the chart's pixels (the
# component views' groups; ECharts draws on a canvas, so there is no DOM to measure).
BOXES = """() => Array.from(document.querySelectorAll("[_echarts_instance_]")).map((el) => {
  const chart = echarts.getInstanceByDom(el);
  const box = (view) => {
    const r = view.group.getBoundingRect().clone();
    const m = view.group.getComputedTransform();
    if (m) { r.applyTransform(m); }
    return {x: r.x, y: r.y, w: r.width, h: r.height};
  };
  const views = (chart._componentsViews || []).filter((v) => v.group && !v.group.ignore);
  return {
    id: el.id, width: el.clientWidth, height: el.clientHeight,
    legends: views.filter((v) => v.type.startsWith("legend")).map(box),
    axes: views.filter((v) => /axis$/i.test(v.type) && v.type !== "axisPointer").map(box),
  };
})"""


PAGES = (("/value/", "#chart-split canvas"), ("/lifecycle/analytics/", "#chart-time canvas"))


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    if min(a["w"], a["h"], b["w"], b["h"]) <= 0:
        return False
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def test_legends_stay_off_the_axes(browser, live_server):
    boss = make_user(Role.ADMIN, username="boss", team=None)
    people = [make_customer(None, name=f"客户{i}", actor=boss) for i in range(6)]
    for i, person in enumerate(people):
        buy(boss, person, days_ago(80 - 12 * i))
        buy(boss, person, days_ago(30 - 4 * i))
    lifecycle_evaluate([p.pk for p in people], now=timezone.now())
    _run()
    seen: dict[str, int] = {}
    wrong = []
    for language in ("zh-CN", "en"):
        for width in (1280, 375):
            context = browser.new_context(locale=language, viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(30_000)
            _login(page, live_server.url)
            for path, charts in PAGES:
                page.goto(live_server.url + path)
                page.wait_for_selector(charts)
                page.wait_for_timeout(300)  # the first frame is drawn
                for chart in page.evaluate(BOXES):
                    for legend in chart["legends"]:
                        seen[chart["id"]] = seen.get(chart["id"], 0) + 1
                        for axis in chart["axes"]:
                            if _overlap(legend, axis):
                                wrong.append(f"{language} {width}px {chart['id']}: {legend} {axis}")
            context.close()
    # The charts with a legend were measured on every page, size and language.
    assert {"chart-pareto", "chart-split", "chart-over-time", "chart-time"} <= set(seen)
    assert not wrong, "\n".join(wrong)


def _login(page, url: str) -> None:
    """As ``helpers.login``, in any language (its button is found by its place)."""
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-Kehu-2026")
    page.click("form button.w-100")
    page.wait_for_load_state()
