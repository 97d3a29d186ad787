"""The words of the care agenda, rendered in the reader's language when shown.

The daily job stores each agenda line's facts (``CareItem.params``, read by its
``reason``) and each care task's (``Task.message`` ``care.item``), never its words: a
line built by the job at 03:00 reads "Lunar birthday (month 8, day 15)" to an English
reader and "农历生日（八月十五）" to a Chinese one. ``agenda.py`` makes the params (the
same few shapes for a million customers: built once each and shared).

=================  ======================================================================
reason             params
=================  ======================================================================
birthday           ``month``, ``day``; ``moved``: born on 29 February, celebrated on 28
lunar_birthday     ``month``, ``day``, ``leap`` (born in a leap month); ``moved`` (a 30th
                   this year's month lacks: the 29th); ``no_leap`` (no such leap month
                   this year: the regular month)
festival           ``festivals``: their names
cadence            ``days`` (the cadence); ``idle``: days since the last contact, absent
                   when never contacted
anniversary        ``kind`` (``membership``, ``first_purchase``), ``years``, ``date``
visit              ``every``: days between visits
=================  ======================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from kehu.care import lunar

TASK_MESSAGE = "care.item"

# The lunar calendar's month and day names (正月…腊月, 初一…三十) in the reader's
# language: in Chinese the names themselves, in English numbers.
MONTHS = (
    pgettext_lazy("农历月", "正月"),
    pgettext_lazy("农历月", "二月"),
    pgettext_lazy("农历月", "三月"),
    pgettext_lazy("农历月", "四月"),
    pgettext_lazy("农历月", "五月"),
    pgettext_lazy("农历月", "六月"),
    pgettext_lazy("农历月", "七月"),
    pgettext_lazy("农历月", "八月"),
    pgettext_lazy("农历月", "九月"),
    pgettext_lazy("农历月", "十月"),
    pgettext_lazy("农历月", "冬月"),
    pgettext_lazy("农历月", "腊月"),
)
DAYS = (
    pgettext_lazy("农历日", "初一"),
    pgettext_lazy("农历日", "初二"),
    pgettext_lazy("农历日", "初三"),
    pgettext_lazy("农历日", "初四"),
    pgettext_lazy("农历日", "初五"),
    pgettext_lazy("农历日", "初六"),
    pgettext_lazy("农历日", "初七"),
    pgettext_lazy("农历日", "初八"),
    pgettext_lazy("农历日", "初九"),
    pgettext_lazy("农历日", "初十"),
    pgettext_lazy("农历日", "十一"),
    pgettext_lazy("农历日", "十二"),
    pgettext_lazy("农历日", "十三"),
    pgettext_lazy("农历日", "十四"),
    pgettext_lazy("农历日", "十五"),
    pgettext_lazy("农历日", "十六"),
    pgettext_lazy("农历日", "十七"),
    pgettext_lazy("农历日", "十八"),
    pgettext_lazy("农历日", "十九"),
    pgettext_lazy("农历日", "二十"),
    pgettext_lazy("农历日", "廿一"),
    pgettext_lazy("农历日", "廿二"),
    pgettext_lazy("农历日", "廿三"),
    pgettext_lazy("农历日", "廿四"),
    pgettext_lazy("农历日", "廿五"),
    pgettext_lazy("农历日", "廿六"),
    pgettext_lazy("农历日", "廿七"),
    pgettext_lazy("农历日", "廿八"),
    pgettext_lazy("农历日", "廿九"),
    pgettext_lazy("农历日", "三十"),
)


def month_text(month: int, leap: bool = False) -> str:
    """(6, leap) → 闰六月 / leap month 6."""
    name = str(MONTHS[month - 1])
    return pgettext("农历月", "闰%(month)s") % {"month": name} if leap else name


def lunar_date_text(month: int, day: int, leap: bool = False) -> str:
    """(8, 15) → 八月十五 / month 8, day 15 (``lunar.lunar_label`` in the reader's
    language)."""
    return pgettext("农历日期", "%(month)s%(day)s") % {
        "month": month_text(month, leap),
        "day": str(DAYS[day - 1]),
    }


def _lunar_birthday(params: Mapping[str, Any]) -> str:
    month, day, leap = int(params["month"]), int(params["day"]), bool(params.get("leap"))
    moved = bool(params.get("moved"))
    label = lunar_date_text(month, day, leap)
    if params.get("no_leap"):
        return _("农历生日（%(label)s；本年无%(leap)s，按%(regular)s）") % {
            "label": label,
            "leap": month_text(month, True),
            "regular": lunar_date_text(month, min(day, 29 if moved else 30)),
        }
    if moved:
        return _("农历生日（本年该月无三十日，提前至廿九）")
    return _("农历生日（%(label)s）") % {"label": label}


def _birthday(params: Mapping[str, Any]) -> str:
    if params.get("moved"):
        return _("公历生日（本年无2月29日，提前至2月28日）")
    return _("公历生日（%(month)d月%(day)d日）") % {
        "month": int(params["month"]),
        "day": int(params["day"]),
    }


def _festival(params: Mapping[str, Any]) -> str:
    names = _("、").join(str(name) for name in params["festivals"])
    return (_("节日：%(names)s") % {"names": names})[:200]


def _cadence(params: Mapping[str, Any]) -> str:
    if params.get("idle") is None:
        return _("从未联系，回访周期 %(days)d 天") % {"days": int(params["days"])}
    return _("已 %(idle)d 天未联系（回访周期 %(days)d 天）") % {
        "idle": int(params["idle"]),
        "days": int(params["days"]),
    }


def _anniversary(params: Mapping[str, Any]) -> str:
    label = _("成为客户") if params["kind"] == "membership" else _("首次购买")
    return _("%(label)s %(years)d 周年（%(date)s）") % {
        "label": label,
        "years": int(params["years"]),
        "date": params["date"],
    }


def _visit(params: Mapping[str, Any]) -> str:
    return _("重要客户定期拜访/送礼（每 %(days)d 天）") % {"days": int(params["every"])}


NOTES = {
    "birthday": _birthday,
    "lunar_birthday": _lunar_birthday,
    "festival": _festival,
    "cadence": _cadence,
    "anniversary": _anniversary,
    "visit": _visit,
}


def care_note(reason: str, params: Mapping[str, Any] | None, stored: str = "") -> str:
    """An agenda line's words in the active language (``stored``: a line written with
    its words, before params existed, or params this version cannot read)."""
    render = NOTES.get(reason)
    if render is None or not isinstance(params, Mapping):
        return stored
    try:
        return render(params)
    except (KeyError, TypeError, ValueError, IndexError):
        return stored


def lunar_birthday_params(
    key: lunar.BirthKey, celebration: lunar.Celebration, lunar_year: int
) -> dict[str, Any]:
    """The facts of a lunar birthday this lunar year: what moved and why."""
    params: dict[str, Any] = {"month": key.month, "day": key.day}
    if key.leap:
        params["leap"] = True
        try:
            has_leap = lunar.leap_month(lunar_year) == key.month
        except lunar.LunarRangeError:
            has_leap = False
        if not has_leap:
            params["no_leap"] = True
    if celebration.moved:
        params["moved"] = True
    return params


# --- the care task (``services._tasks_create``) --------------------------------------------


def task_title(params: Mapping[str, Any]) -> str:
    note = care_note(params["reason"], params["note"])
    return (_("%(rule)s：%(note)s") % {"rule": params["rule"], "note": note})[:200]


def task_notes(params: Mapping[str, Any]) -> str:
    return care_note(params["reason"], params["note"])
