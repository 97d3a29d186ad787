"""An admin imports a workbook: upload → mapping (a value the file spells its own way)
→ dry run with an error → fix the mapping → run, then finds the customers by the
pinyin of their names in the customer search."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from kehu.accounts.models import Role
from tests.browser.helpers import login
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, settings) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


def _workbook(tmp_path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["姓名", "联系电话", "性别", "所在城市", "客户来源"])
    sheet.append(["欧阳娜娜", 13800138000, "女", "杭州", "官网"])
    sheet.append(["诸葛明", 13900139000, "男", "上海", "朋友介绍"])
    path = tmp_path / "客户.xlsx"
    workbook.save(path)
    return path


def test_admin_imports_a_workbook_and_finds_the_customers(page, live_server, tmp_path):
    make_user(Role.ADMIN, username="boss")
    url = live_server.url
    login(page, url, "boss")
    page.goto(f"{url}/imports/")
    page.set_input_files("#id_file", str(_workbook(tmp_path)))
    page.click("#upload-submit")
    page.wait_for_url("**/mapping/")
    assert page.locator("#mapping-table").inner_text().count("联系电话") == 1
    # 朋友介绍 is no source the app knows: left unmapped, the dry run says so.
    page.click("#mapping-check")
    page.wait_for_url("**/check/")
    assert page.locator("#count-error").inner_text() == "1"
    assert "朋友介绍" in page.locator("#problems").inner_text()
    page.click("text=修改映射")
    page.wait_for_url("**/mapping/")
    row = page.locator("#value-mapping tr", has_text="朋友介绍")
    row.locator("select").select_option("referral")
    page.click("#mapping-check")
    page.wait_for_url("**/check/")
    assert page.locator("#count-new").inner_text() == "2"
    assert page.locator("#count-error").inner_text() == "0"
    page.click("#run-import")
    page.wait_for_url("**/summary/")
    assert page.locator("#import-status").inner_text() == "已完成"
    page.goto(f"{url}/customers/?q=oyn")
    assert "欧阳娜娜" in page.locator("body").inner_text()
    page.goto(f"{url}/customers/?q=zhuge")
    assert "诸葛明" in page.locator("body").inner_text()
