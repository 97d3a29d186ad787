from __future__ import annotations

import pytest

from kehu.messaging import sending


@pytest.fixture(autouse=True)
def unthrottled(settings, monkeypatch):
    """No pacing in tests (the throttle has its own test)."""
    settings.KEHU_MESSAGES_PER_SECOND = 0
    settings.KEHU_SMS_BACKEND = "logging"
    monkeypatch.setattr(sending, "sleep", lambda seconds: None)
