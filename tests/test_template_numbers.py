"""Every template shows money, percentages and counts the one way (the ``money``,
``percent`` and ``count`` filters of ``core/templatetags/kehu.py``), and every button reads
as an action in English. A new page that prints an amount raw, glues a "%" or a "¥" to a
number, or labels a button with a history word fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

import kehu

TEMPLATES = Path(kehu.__file__).parent / "templates"

# A variable whose last part names an amount of money.
MONEY = re.compile(
    r"(?:^|\.)(amount|total|revenue|net_revenue|profit|gross_profit|price|unit_price|cost|"
    r"unit_cost|clv|money_at_stake|refundable|refunded_total|discount)$"
)
MONEY_OF = re.compile(r"(?:^|\.)clv\.(total|mean|median)$")
# ``total`` of these is a number of things, not money.
COUNT_HOLDERS = {"progress", "report", "preview", "page", "totals", "results", "counts"}

VARIABLE = re.compile(r"\{\{\s*(.+?)\s*\}\}")
WITH_ARGUMENT = re.compile(r"\{%\s*(?:blocktranslate|blocktrans|with)\b([^%]*)%\}")
ASSIGNMENT = re.compile(r"\b\w+=(\S+)")


def _templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def _expressions(text: str) -> list[tuple[int, str]]:
    """``(line, expression)`` of every ``{{ … }}`` and every ``name=value`` of a
    ``{% blocktranslate with … %}`` / ``{% with … %}``."""
    found = []
    for match in VARIABLE.finditer(text):
        found.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    for match in WITH_ARGUMENT.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.extend((line, value) for value in ASSIGNMENT.findall(match.group(1)))
    return found


def _is_money(variable: str) -> bool:
    if MONEY_OF.search(variable):
        return True
    match = MONEY.search(variable)
    if not match:
        return False
    holder = variable[: match.start()].rsplit(".", 1)[-1]
    return not (match.group(1) == "total" and holder in COUNT_HOLDERS)


def test_money_in_templates_goes_through_the_money_filter():
    raw = []
    for path in _templates():
        for line, expression in _expressions(path.read_text(encoding="utf-8")):
            variable, *filters = [part.strip() for part in expression.split("|")]
            names = [f.split(":", 1)[0] for f in filters]
            if _is_money(variable) and "money" not in names:
                raw.append(f"{path.relative_to(TEMPLATES)}:{line}: {{{{ {expression} }}}}")
    assert not raw, "money shown without |money:\n" + "\n".join(raw)


GLUED = [
    (re.compile(r"\}\}\s*%|%\}\s*%(?!\})|\{%\s*endif\s*%\}%"), "a '%' after a number (|percent)"),
    (re.compile(r"[¥￥]\s*\{\{"), "a '¥' before a number (|money)"),
    (re.compile(r"\}\}\s*元"), "'元' after a number (|money)"),
    (re.compile(r"\|\s*intcomma\b"), "intcomma (|count)"),
]


def test_no_template_glues_units_to_numbers_by_hand():
    found = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        # style="width: {{ x }}%" is CSS, not text
        text = re.sub(r'style="[^"]*"', "", text)
        for pattern, what in GLUED:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}: {match.group(0)!r}")
    assert not found, "\n".join(found)


BUTTON = re.compile(
    r"<(button|summary)\b[^>]*>\s*(?:\{%[^%]*%\}\s*)*"
    r"\{%\s*translate\s+\"([^\"]+)\"(?:\s+context\s+\"([^\"]+)\")?\s*%\}"
    r"|<a\b[^>]*class=\"[^\"]*\bbtn\b[^\"]*\"[^>]*>\s*"
    r"\{%\s*translate\s+\"([^\"]+)\"(?:\s+context\s+\"([^\"]+)\")?\s*%\}"
)
# Buttons whose English may start with a past participle on purpose.
PAST_ON_PURPOSE = {"已领取，查看"}  # "Claimed – view": shown after the claim, links on


@pytest.mark.django_db
def test_buttons_read_as_actions_in_english():
    """One message id for a history label ("Released to public pool") and a button gave
    the button a past tense; a button's text takes the ``action`` context instead."""
    wrong = []
    with translation.override("en"):
        for path in _templates():
            text = path.read_text(encoding="utf-8")
            for match in BUTTON.finditer(text):
                msgid = match.group(2) or match.group(4)
                context = match.group(3) or match.group(5)
                english = (
                    translation.pgettext(context, msgid) if context else translation.gettext(msgid)
                )
                first = english.split()[0] if english.split() else ""
                if first.endswith("ed") and msgid not in PAST_ON_PURPOSE:
                    line = text.count("\n", 0, match.start()) + 1
                    wrong.append(f"{path.relative_to(TEMPLATES)}:{line}: {msgid} → {english}")
    assert not wrong, "buttons that read as past events:\n" + "\n".join(wrong)
