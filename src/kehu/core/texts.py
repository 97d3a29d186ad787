"""Words the system writes for people (a task's title, a notification), stored as facts.

A job or a service that composes text for a row — "生日关怀：农历生日（八月十五）",
"回访到期：…" — stores a message ``code`` and its JSON ``params`` instead of the
words, and the row is rendered in the reader's language when it is shown (a page in
the request's language, an e-mail in the site's language): never in the language that
happened to be active when the job ran. The row's text columns keep what people type
and the words of rows written before codes existed.

Each app registers the codes it writes, with a function per part of the row that it
renders (``title``, ``body``…), in its ``AppConfig.ready()``; the app that owns the
table (``followups`` for tasks and notifications) renders through ``message_render``
without importing the apps above it. A part a code does not render, an unknown code,
or params a renderer cannot read (a row written by a newer or an older version) give
the stored text.

Registered codes (``message_codes()`` lists them, a test renders each in both
languages); their params are described where they are rendered:

==========================================  ===============================================
codes                                       rows; rendered by
==========================================  ===============================================
``followups.kind``, ``.task_due``,          tasks titled by their kind, reminders;
``.pool_notice``                            ``followups/texts.py``
``customers.reclaimed``, ``.merged``,       owner changes; ``customers/texts.py``
``.unmerged``
``complaints.changed``, ``.moved``,         complaint steps, escalation notifications;
``.incident``, ``.escalated``               ``complaints/texts.py``
``care.item``                               care tasks; ``care/texts.py``
``surveys.low_score``                       low-score tasks; ``surveys/texts.py``
``value.retention``                         retention tasks; ``value/texts.py``
``pipeline.stale``                          stale-opportunity tasks; ``pipeline/texts.py``
==========================================  ===============================================

(The lifecycle engine's stage changes keep their own structure, ``rules.explanation_text``;
care agenda lines are worded by their reason, ``care/texts.py``.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

Params = Mapping[str, Any]
Part = Callable[[Params], str]

_messages: dict[str, dict[str, Part]] = {}


def message_register(code: str, **parts: Part) -> None:
    """Register how the rows written with ``code`` read: one function per part."""
    if not code or len(code) > 40:
        raise ValueError(f"message code {code!r}: 1–40 characters")
    _messages[code] = dict(parts)


def message_codes() -> dict[str, tuple[str, ...]]:
    """Every registered code and the parts it renders."""
    return {code: tuple(parts) for code, parts in sorted(_messages.items())}


def message_render(code: str, params: Params | None, part: str, stored: str = "") -> str:
    """The ``part`` of a row written with ``code`` and ``params``, in the active
    language; ``stored`` (the row's own text) when there is no code, the code does not
    render that part, or the params cannot be read."""
    if not code:
        return stored
    render = _messages.get(code, {}).get(part)
    if render is None or not isinstance(params, Mapping):
        return stored
    try:
        return render(params)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        logger.warning("message %s: cannot render %s from %r", code, part, params)
        return stored


class TextJSONEncoder(json.JSONEncoder):
    """JSON for params and explanations: text kept as UTF-8, not escaped (a Chinese name
    takes 3 bytes a character instead of 6; on SQLite JSON is stored as text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)
