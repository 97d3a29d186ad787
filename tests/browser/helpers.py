"""What the browser journeys share."""

from __future__ import annotations


def login(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Kehu-2026")
    page.click("button:has-text('登录')")
    page.wait_for_load_state()
