"""The words of the low-score follow-up task (``services._low_score_task``), rendered in
the reader's language when shown (``kehu.core.texts``; registered in
``SurveysConfig.ready()``): params ``survey`` (its name), ``csat`` and ``nps``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

LOW_SCORE_MESSAGE = "surveys.low_score"


def low_score_title(params: Mapping[str, Any]) -> str:
    return (_("低分回访：%(survey)s") % {"survey": params["survey"]})[:200]


def low_score_notes(params: Mapping[str, Any]) -> str:
    scores = []
    if params.get("csat") is not None:
        scores.append(_("满意度 %(n)d 分") % {"n": params["csat"]})
    if params.get("nps") is not None:
        scores.append(_("推荐意愿 %(n)d 分") % {"n": params["nps"]})
    return _("客户在调查中打了低分（%(scores)s），请今天联系客户。") % {
        "scores": _("，").join(scores)
    }
