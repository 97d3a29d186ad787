"""An e-mail backend for the worker test: one JSON line per message in the file
``KEHU_TEST_MAILBOX``. With ``KEHU_TEST_MAIL_STALL_AFTER=k`` it hangs in the middle of
sending message k + 1 (after touching ``<mailbox>.stalled``) so the test can kill the
worker exactly there; ``KEHU_TEST_MAIL_DELAY`` (seconds) makes each message slow."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


def mailbox_read(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [tuple(json.loads(line)) for line in lines if line]  # type: ignore[misc]


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        box = Path(os.environ["KEHU_TEST_MAILBOX"])
        stall_after = int(os.environ.get("KEHU_TEST_MAIL_STALL_AFTER") or 0)
        delay = float(os.environ.get("KEHU_TEST_MAIL_DELAY") or 0)
        for message in email_messages:
            time.sleep(delay)
            if stall_after and len(mailbox_read(box)) >= stall_after:
                box.with_suffix(".stalled").touch()
                time.sleep(3600)  # killed here, half-way through sending
            with box.open("a", encoding="utf-8") as out:
                out.write(json.dumps([message.to[0], message.subject], ensure_ascii=False) + "\n")
        return len(email_messages)
