"""The pages of issue 18's missing screens fit a phone (375 px) and a laptop (1,280 px) in
Chinese and in English: the page content never scrolls sideways. (The navigation bar is
the shell's, checked by its own test.) Ends with an admin applying a rule from the
model page and watching the progress page finish."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kehu.accounts.models import Role
from kehu.jobs.models import JobRun, JobStatus
from kehu.lifecycle.apply import apply_job_name
from kehu.lifecycle.models import LifecycleModel
from tests.browser.helpers import login
from tests.factories import make_customer, make_user
from tests.messaging.factories import consenting_customer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_models"),
]

OVERFLOW = """() => {
  const main = document.querySelector('main');
  const wide = [...main.querySelectorAll('*')].filter(
    (el) => el.getBoundingClientRect().right > main.getBoundingClientRect().right + 1
      && !el.closest('.table-responsive'));
  return {scroll: main.scrollWidth - main.clientWidth,
          wide: wide.slice(0, 3).map((el) => el.outerHTML.slice(0, 120))};
}"""


def _pages(model: LifecycleModel, run: JobRun) -> list[str]:
    return [
        "/customers/pool/rules/",
        "/customers/transfer/",
        "/customers/pool/",
        "/lifecycle/flags/",
        "/lifecycle/flags/key_account/",
        "/lifecycle/models/",
        "/lifecycle/models/new/?copy=six_phase",
        f"/lifecycle/models/{model.key}/",
        f"/lifecycle/models/{model.key}/apply/{run.pk}/",
        "/messages/new/",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_fit_a_phone_and_a_laptop(browser, live_server, language):
    boss = make_user(Role.ADMIN, username="boss", team=None)
    consenting_customer(boss, name="王小明")
    model = LifecycleModel.objects.get(key="six_phase")
    run = JobRun.objects.create(
        name=apply_job_name(model),
        status=JobStatus.OK,
        started_at=timezone.now(),
        progress_done=1,
        progress_total=1,
        result={"model": model.key, "customers": 1, "changes": 1},
    )
    for width in (375, 1280):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
        page = context.new_page()
        page.set_default_timeout(30_000)
        login(page, live_server.url, "boss")
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        for path in _pages(model, run):
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, path
            measured = page.evaluate(OVERFLOW)
            assert measured["scroll"] <= 0 and not measured["wide"], (path, width, measured)
        # The group-send preview, with its counts.
        page.goto(f"{live_server.url}/messages/new/")
        page.fill("#id_name", "x")
        page.select_option("#id_channel", "sms")
        page.fill("#id_body", "{称呼}好")
        page.click("button[value=preview]")
        page.wait_for_selector("#preview-reach")
        measured = page.evaluate(OVERFLOW)
        assert measured["scroll"] <= 0 and not measured["wide"], ("preview", width, measured)
        page.screenshot(path=f"/tmp/kehu-send-preview-{language}-{width}.png", full_page=True)
        context.close()


def test_an_admin_applies_the_rules_and_watches_them_finish(page, live_server):
    boss = make_user(Role.ADMIN, username="boss", team=None)
    for name in ("甲", "乙"):
        make_customer(None, name=name, actor=boss)
    login(page, live_server.url, "boss")
    page.goto(f"{live_server.url}/lifecycle/models/six_phase/")
    page.click("#apply-now")
    page.wait_for_selector("#apply-result")  # jobs run inline in the suite
    assert "评估了 2 位客户" in page.inner_text("#apply-result")
    run = JobRun.objects.get(name__startswith="lifecycle_apply:")
    assert run.status == JobStatus.OK and run.progress_done == run.progress_total == 2
    page.screenshot(path="/tmp/kehu-lifecycle-apply.png", full_page=True)
