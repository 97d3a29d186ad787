"""Target fit (目标客户定位, 000 §1.2): how much a customer or a lead resembles the
business's best customers — the top 20 % by profit of the value run's 20/60/20 split —
on profile attributes only, with the reasons in words.

The nightly value run (``services.score_run``) fits ``calc.target_fit`` on the
customers it scored (top 20 % against the rest), stores the fitted table on the run
(``ScoreRun.target_fit``) and one ``TargetFit`` row per customer not deleted, bought or
not. ``target_fit_score(profile)`` scores any profile (a lead's, a customer created
since the run) from the stored table at once, without refitting.

Attributes: industry, province, city, company size, customer kind, source channel,
gender, age band (from the birthday, as of the run's day), income band, tags.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.sql import values_insert
from kehu.customers.models import (
    CompanySize,
    Customer,
    CustomerKind,
    Gender,
    IncomeBand,
    SourceChannel,
)
from kehu.value import scoring
from kehu.value.calc import target_fit as calc
from kehu.value.calc.errors import FitError
from kehu.value.models import RunStatus, ScoreRun, TargetFit

BATCH = 100_000
WRITE_CHUNK = 10_000
# (attribute, Customer column) of the single-valued attributes read as they are.
COLUMNS = (
    ("industry", "industry"),
    ("province", "province"),
    ("city", "city"),
    ("company_size", "company_size"),
    ("kind", "kind"),
    ("source_channel", "source_channel"),
    ("gender", "gender"),
    ("income_band", "income_band"),
)
MULTI = ("tag",)
ATTRIBUTES = (*(a for a, _c in COLUMNS), "age_band", *MULTI)
ATTRIBUTE_LABELS = {
    "industry": gettext_noop("行业"),
    "province": gettext_noop("省份"),
    "city": gettext_noop("城市"),
    "company_size": gettext_noop("企业规模"),
    "kind": gettext_noop("客户类型"),
    "source_channel": gettext_noop("来源渠道"),
    "gender": gettext_noop("性别"),
    "age_band": gettext_noop("年龄段"),
    "income_band": gettext_noop("收入水平"),
    "tag": gettext_noop("标签"),
}
CHOICES: dict[str, Any] = {
    "company_size": CompanySize,
    "kind": CustomerKind,
    "source_channel": SourceChannel,
    "gender": Gender,
    "income_band": IncomeBand,
}
# (lowest age, code, label) of each age band, youngest first.
AGE_BANDS = (
    (0, "under_25", gettext_noop("25 岁以下")),
    (25, "25_34", gettext_noop("25–34 岁")),
    (35, "35_44", gettext_noop("35–44 岁")),
    (45, "45_54", gettext_noop("45–54 岁")),
    (55, "55_64", gettext_noop("55–64 岁")),
    (65, "65_plus", gettext_noop("65 岁及以上")),
)
AGE_LABELS = {code: label for _low, code, label in AGE_BANDS}
MAX_AGE = 120


def age_band(birthday: dt.date | None, as_of: dt.date) -> str:
    """The age band code of someone born on ``birthday`` on ``as_of`` ("" unknown)."""
    if birthday is None:
        return ""
    age = as_of.year - birthday.year - ((as_of.month, as_of.day) < (birthday.month, birthday.day))
    return _band(age)


def _band(age: int) -> str:
    if not 0 <= age <= MAX_AGE:
        return ""
    code = ""
    for low, band, _label in AGE_BANDS:
        if age >= low:
            code = band
    return code


# --- profiles -------------------------------------------------------------------------------


def customer_profile(customer: Customer, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The profile of one customer, as ``target_fit_score`` takes it."""
    profile: dict[str, Any] = {attr: getattr(customer, column) for attr, column in COLUMNS}
    profile["age_band"] = age_band(customer.birthday, as_of or timezone.localdate())
    profile["tag"] = sorted(customer.tags.values_list("name", flat=True))
    return profile


def profile_normalise(profile: Mapping[str, Any], *, as_of: dt.date) -> dict[str, Any]:
    """``profile`` with the known attributes only: ``tags`` read as ``tag``, a
    ``birthday`` (a date or ISO text) as its ``age_band``; unknown keys left out."""
    out: dict[str, Any] = {}
    for attr in ATTRIBUTES:
        if attr in profile:
            out[attr] = profile[attr]
    if "tag" not in out and "tags" in profile:
        out["tag"] = profile["tags"]
    if "tag" in out and isinstance(out["tag"], str):
        out["tag"] = [out["tag"]]
    if not out.get("age_band") and profile.get("birthday"):
        birthday = profile["birthday"]
        if isinstance(birthday, str):
            try:
                birthday = dt.date.fromisoformat(birthday)
            except ValueError:
                birthday = None
        if isinstance(birthday, dt.date):
            out["age_band"] = age_band(birthday, as_of)
    return out


@dataclass(frozen=True)
class Profiles:
    """Every customer's profile as features (``calc.target_fit``'s input)."""

    customer: np.ndarray  # sorted ids
    rows: np.ndarray  # index into ``customer``
    features: np.ndarray  # index into ``vocabulary``
    vocabulary: list[tuple[str, str]]


def _birthday_number() -> str:
    if connection.vendor == "postgresql":
        return "COALESCE(to_char(birthday, 'YYYYMMDD')::integer, 0)"
    return "COALESCE(CAST(strftime('%%Y%%m%%d', birthday) AS INTEGER), 0)"


def _factorize(values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """(code per value, the distinct values in order of first sight); None as ""."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(v or "", len(index)) for v in values), dtype=np.int64, count=len(values)
    )
    return codes, list(index)


def profiles_read(*, as_of: dt.date) -> Profiles:
    """The profiles of every customer not deleted (one scan of the customer table and
    one of its tags), the age bands as of ``as_of``."""
    columns = ", ".join(column for _a, column in COLUMNS)
    sql = (
        f"SELECT id, {columns}, {_birthday_number()} FROM customers_customer "
        "WHERE deleted_at IS NULL ORDER BY id"
    )
    ids: list[int] = []
    values: list[list[str]] = [[] for _ in COLUMNS]
    births: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [])
        while batch := cursor.fetchmany(BATCH):
            parts = list(zip(*batch, strict=True))
            ids.extend(parts[0])
            for i in range(len(COLUMNS)):
                values[i].extend(parts[1 + i])
            births.extend(parts[-1])
    customer = np.asarray(ids, dtype=np.int64)
    n = customer.shape[0]
    vocabulary: list[tuple[str, str]] = []
    all_rows: list[np.ndarray] = []
    all_features: list[np.ndarray] = []

    def add(attr: str, codes: np.ndarray, labels: Sequence[str], rows: np.ndarray) -> None:
        """Features ``(attr, labels[code])`` of ``rows`` (an empty label: none)."""
        offset = len(vocabulary)
        vocabulary.extend((attr, str(label)) for label in labels)
        empty = np.array([str(label).strip() == "" for label in labels], dtype=bool)
        keep = ~empty[codes] if len(labels) else np.zeros(codes.shape[0], dtype=bool)
        all_rows.append(rows[keep])
        all_features.append(codes[keep] + offset)

    everyone = np.arange(n, dtype=np.int64)
    for (attr, _column), column_values in zip(COLUMNS, values, strict=True):
        add(attr, *_factorize(column_values), everyone)
    born = np.asarray(births, dtype=np.int64)
    day = as_of.year * 10000 + as_of.month * 100 + as_of.day
    ages = np.where(born > 0, (day - born) // 10000, -1)
    bands = np.zeros(n, dtype=np.int64)  # 0: unknown
    for i, (low, _code, _label) in enumerate(AGE_BANDS):
        bands[(ages >= low) & (ages <= MAX_AGE)] = i + 1
    add("age_band", bands, ["", *(code for _low, code, _label in AGE_BANDS)], everyone)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ct.customer_id, t.name FROM customers_customer_tags ct "
            "JOIN customers_tag t ON t.id = ct.tag_id"
        )
        tags = cursor.fetchall()
    if tags:
        owners = np.asarray([c for c, _t in tags], dtype=np.int64)
        found, index = scoring.member(customer, owners)
        codes, labels = _factorize([t for _c, t in tags])
        add("tag", codes[found], labels, index[found])
    rows = np.concatenate(all_rows) if all_rows else np.zeros(0, dtype=np.int64)
    features = np.concatenate(all_features) if all_features else np.zeros(0, dtype=np.int64)
    return Profiles(customer, rows.astype(np.int64), features.astype(np.int64), vocabulary)


# --- the nightly fit ------------------------------------------------------------------------


def target_fit_run(
    *, run: ScoreRun, as_of: dt.date, customers: np.ndarray, top: np.ndarray
) -> dict[str, Any]:
    """Fit on ``customers`` (sorted ids of the run's scored customers) with ``top``
    (True: in the top 20 % by profit), store the table on ``run`` (saved by the caller)
    and rewrite every customer's ``TargetFit`` row. In the caller's transaction.
    Returns the table's figures (or the reason there is none) for the run's detail."""
    profiles = profiles_read(as_of=as_of)
    found, index = scoring.member(customers, profiles.customer)
    trained = np.full(profiles.customer.shape[0], -1, dtype=np.int64)
    trained[found] = np.arange(int(found.sum()))
    labels = np.zeros(int(found.sum()), dtype=bool)
    labels[:] = top[index[found]]
    keep = trained[profiles.rows] >= 0
    try:
        table = calc.fit(
            trained[profiles.rows][keep],
            profiles.features[keep],
            profiles.vocabulary,
            labels,
            multi=MULTI,
        )
    except FitError as error:
        run.target_fit = {}
        return {"code": error.code, **error.detail}
    run.target_fit = table.to_json()
    n = profiles.customer.shape[0]
    probability, matrix = calc.score_matrix(
        table, profiles.rows, profiles.features, profiles.vocabulary, n
    )
    weights = (table.slope * calc.feature_weights(table, profiles.vocabulary)).round(4).tolist()
    scores = np.clip(np.rint(probability * 100), 0, 100).astype(np.int64).tolist()
    # Customers share few sets of reasons: each set adapted for the database once.
    adapt = connection.ops.adapt_json_value
    adapted: dict[tuple[int, ...], Any] = {}

    def reasons_of(key: tuple[int, ...]) -> Any:
        found = adapted.get(key)
        if found is None:
            value = [[*profiles.vocabulary[f], weights[f]] for f in key if f >= 0]
            found = adapted[key] = adapt(value, None)
        return found

    TargetFit.objects.all().delete()
    ids = profiles.customer.tolist()
    columns = ["customer_id", "run_id", "score", "reasons"]
    for start in range(0, n, WRITE_CHUNK):
        stop = min(n, start + WRITE_CHUNK)
        keys = matrix[start:stop].tolist()
        values_insert(
            TargetFit,
            columns,
            [
                (ids[start + i], run.pk, scores[start + i], reasons_of(tuple(key)))
                for i, key in enumerate(keys)
            ],
        )
    return {"code": "ok", "customers": table.customers, "top": table.top}


# --- reading ----------------------------------------------------------------------------------


def table_latest() -> tuple[ScoreRun, calc.FitTable] | None:
    """The latest finished run with a fitted table, and the table."""
    runs = ScoreRun.objects.exclude(status=RunStatus.RUNNING).order_by("-as_of", "-id")
    for run in runs.only("pk", "as_of", "target_fit", "status")[:5]:
        table = calc.FitTable.from_json(run.target_fit) if run.target_fit else None
        if table is not None:
            return run, table
    return None


def value_label(attr: str, value: str) -> str:
    """The words of an attribute's value in the reader's language."""
    if attr == "age_band":
        return _(AGE_LABELS[value]) if value in AGE_LABELS else value
    choices = CHOICES.get(attr)
    if choices is not None:
        try:
            return str(choices(value).label)
        except ValueError:
            return value
    return value


def reasons_texts(reasons: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Stored ``[[attribute, value, weight]]`` → ``[{"attribute", "value", "weight",
    "text"}]`` with ``text`` like "行业=餐饮"."""
    out = []
    for reason in reasons or []:
        if not isinstance(reason, list | tuple) or len(reason) < 2:
            continue
        attr, value = str(reason[0]), str(reason[1])
        weight = reason[2] if len(reason) > 2 and isinstance(reason[2], int | float) else None
        label = _(ATTRIBUTE_LABELS[attr]) if attr in ATTRIBUTE_LABELS else attr
        text = _("%(attribute)s=%(value)s") % {
            "attribute": label,
            "value": value_label(attr, value),
        }
        out.append({"attribute": attr, "value": value, "weight": weight, "text": text})
    return out


def reasons_sentence(reasons: Sequence[Mapping[str, Any]]) -> str:
    """ "与高价值客户相似：行业=餐饮，城市=佛山" ("" without a reason)."""
    if not reasons:
        return ""
    joined = _("，").join(str(r["text"]) for r in reasons)
    return _("与高价值客户相似：%(reasons)s") % {"reasons": joined}


@dataclass(frozen=True)
class FitResult:
    score: int  # 0..100: the chance, in %, of being among the top 20 % by profit
    base: int  # the same for the average customer (about 20)
    reasons: list[dict[str, Any]]
    text: str
    as_of: dt.date
    live: bool  # scored now from the table (not stored by the run)


def _result(run: ScoreRun, table: calc.FitTable, probability: float, reasons: Any) -> FitResult:
    texts = reasons_texts(reasons)
    return FitResult(
        score=int(np.clip(round(probability * 100), 0, 100)),
        base=round(table.base * 100),
        reasons=texts,
        text=reasons_sentence(texts),
        as_of=run.as_of,
        live=True,
    )


def target_fit_score(profile: Mapping[str, Any]) -> tuple[int | None, list[dict[str, Any]]]:
    """(score 0..100, reasons) of any profile — a lead's, a customer's — from the latest
    fitted table, without refitting; (None, []) while nothing is fitted. ``profile``
    keys: industry, province, city, company_size, kind, source_channel, gender,
    income_band, age_band or birthday, tags (a list of names)."""
    found = target_fit_profile(profile)
    return (found.score, found.reasons) if found is not None else (None, [])


def target_fit_profile(profile: Mapping[str, Any]) -> FitResult | None:
    """``target_fit_score`` with the base rate, the sentence and the run's day."""
    latest = table_latest()
    if latest is None:
        return None
    run, table = latest
    clean = profile_normalise(profile, as_of=timezone.localdate())
    probability, reasons = calc.score_profile(table, clean)
    return _result(run, table, probability, reasons)


def customer_target_fit(customer: Customer) -> FitResult | None:
    """The customer's stored target fit, or (a customer created since the run) scored
    now from the latest table; None while nothing is fitted."""
    latest = table_latest()
    if latest is None:
        return None
    run, table = latest
    row = TargetFit.objects.filter(customer=customer, run=run).first()
    if row is None:
        probability, reasons = calc.score_profile(table, customer_profile(customer))
        return _result(run, table, probability, reasons)
    texts = reasons_texts(row.reasons)
    return FitResult(
        score=row.score,
        base=round(table.base * 100),
        reasons=texts,
        text=reasons_sentence(texts),
        as_of=run.as_of,
        live=False,
    )
