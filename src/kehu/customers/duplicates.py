"""Duplicate customers: caught at the door (on create) and found across the whole
database (``kehu dedupe scan``).

Evidence, strongest first:

* the same normalised phone number (E.164) or e-mail address;
* a company name that is the same after normalisation (``name_key``: full-/half-width,
  case, spaces and punctuation, bracketed parts such as （中国）, legal-form suffixes
  such as 有限公司/有限责任公司, and the city/province prefix) in the same city;
* a company name that is very similar (rapidfuzz) in the same city. A short name one
  character off is common between genuinely different companies (杭州明远科技 and
  杭州明达科技 both exist), so a similar short name counts only with corroboration:
  the same street address.

The scan never compares all pairs: it blocks by the normalised keys (phone, e-mail,
city + name key, city + each one-character deletion of the name key) and scores only
the pairs that share a block.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from kehu.accounts.models import Role, User
from kehu.core.errors import KehuError
from kehu.customers.access import visibility_q
from kehu.customers.models import Customer, CustomerKind, CustomerPhone, DuplicatePair

REASONS = {
    "phone": _("电话相同"),
    "email": _("邮箱相同"),
    "name": _("同城公司名称相同"),
    "similar_name": _("同城公司名称相近"),
    "address": _("地址相同"),
}
STRONG = frozenset({"phone", "email", "name"})
# Scores of single pieces of evidence, combined as independent: 1 - Π(1 - s).
SCORE_PHONE = 0.95
SCORE_EMAIL = 0.9
SCORE_NAME = 0.9
SIMILAR_ALONE = 90  # rapidfuzz ratio at which a similar name is evidence by itself
SIMILAR_WITH_ADDRESS = 70  # ... and with the same address
CREATE_SIMILAR = 80  # on create, warn from this ratio on (a human decides)
MIN_SCORE = 0.6
MAX_BLOCK = 50  # a phone shared by more customers is a switchboard, not a duplicate

_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "责任公司",
    "集团公司",
    "股份公司",
    "公司",
    "集团",
    "co.,ltd",
    "co.ltd",
    "coltd",
    "ltd",
    "inc",
)
_PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】")
_NOISE = re.compile(r"[\s\u3000·•.,，。、\-_'\"&/\\]+")


def _fold(text: str) -> str:
    """Full-width to half-width, lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _place_names(place: str) -> list[str]:
    place = _fold(place).strip()
    if not place:
        return []
    short = re.sub(r"(省|市|自治区|特别行政区|壮族|回族|维吾尔)+$", "", place)
    return sorted({place, short} - {""}, key=len, reverse=True)


def name_key(name: str, kind: str, city: str = "", province: str = "") -> str:
    """The name as duplicate detection compares it.

    >>> name_key("明远科技（杭州）有限公司", "company", "杭州市")
    '明远科技'
    >>> name_key("杭州 明远科技 有限责任公司", "company", "杭州市")
    '明远科技'
    """
    text = _fold(name)
    if kind != CustomerKind.COMPANY:
        return _NOISE.sub("", text)[:200]
    text = _BRACKETS.sub("", text)
    text = _NOISE.sub("", text)
    full = text
    changed = True
    while changed and text:
        changed = False
        for form in _LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                changed = True
                break
    places = [*_place_names(province), *_PROVINCES, *_place_names(city)]
    for _round in range(2):  # 浙江杭州明远… : the province, then the city
        for prefix in places:
            if text.startswith(prefix) and len(text) > len(prefix) + 1:
                text = text[len(prefix) :]
    return (text or full)[:200]


def address_key(address: str) -> str:
    return _NOISE.sub("", _fold(address))


def email_key(email: str) -> str:
    return (email or "").strip().lower()


def combine(scores: Iterable[float]) -> float:
    rest = 1.0
    for score in scores:
        rest *= 1.0 - score
    return round(1.0 - rest, 4)


def brand_ratio(a: str, b: str) -> float:
    """The similarity of what tells two company names apart: without the trade word
    they end on (a shared suffix of 2+ characters, 科技/餐饮管理), the brand is all
    that is left. 佛山户乐炼餐饮管理 and 佛山乐炼餐饮管理 are 92 % alike as strings but
    differ in half the brand."""
    common = 0
    while common < min(len(a), len(b)) and a[-1 - common] == b[-1 - common]:
        common += 1
    if common < 2:
        return fuzz.ratio(a, b)
    return fuzz.ratio(a[:-common], b[:-common])


def similar_score(ratio: float, *, same_address: bool) -> float:
    """The evidence a similar (not equal) name gives, 0 when it is not enough."""
    if same_address and ratio >= SIMILAR_WITH_ADDRESS:
        return 0.6 + 0.35 * ratio / 100
    if ratio >= SIMILAR_ALONE:
        return 0.85 * ratio / 100
    return 0.0


# --- on create ---------------------------------------------------------------------------


def _mask(name: str) -> str:
    """张三丰 → 张*丰, 杭州明远科技有限公司 → 杭州******有限公司 (the 撞单 check)."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    keep_tail = 4 if name.endswith("公司") and len(name) > 8 else 1
    keep_head = 2 if len(name) > 6 else 1
    return name[:keep_head] + "*" * (len(name) - keep_head - keep_tail) + name[-keep_tail:]


@dataclass
class Candidate:
    """A possible duplicate as a user may see it. Contact data is never included; a
    customer the user may not see shows only a masked name, owner and team."""

    customer_id: int
    score: float
    reasons: list[str]
    visible: bool
    name: str
    city: str
    owner_id: int | None
    owner: str
    team: str

    @property
    def strong(self) -> bool:
        return bool(STRONG & set(self.reasons))

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.customer_id if self.visible else None,
            "score": self.score,
            "reasons": self.reasons,
            "visible": self.visible,
            "name": self.name,
            "city": self.city,
            "owner": self.owner,
            "team": self.team,
        }


class DuplicateError(KehuError):
    code = "duplicate"
    status = 409

    def __init__(self, candidates: list[Candidate], *, can_override: bool):
        message = (
            _("可能与已有客户重复，请先核对；确认不是同一客户后可继续创建。")
            if can_override
            else _("该客户已由其他同事负责或在公海中，不能重复创建。")
        )
        super().__init__(
            str(message),
            details={
                "candidates": [c.as_dict() for c in candidates],
                "can_override": can_override,
            },
        )
        self.candidates = candidates
        self.can_override = can_override


def duplicate_candidates(
    *,
    actor: User,
    name: str,
    kind: str,
    city: str = "",
    province: str = "",
    phones: Sequence[str] = (),
    email: str = "",
    exclude: Iterable[int] = (),
    limit: int = 10,
) -> list[Candidate]:
    """Existing customers that look like the one described (phones already E.164)."""
    evidence: dict[int, dict[str, float]] = defaultdict(dict)
    if phones:
        for cid in CustomerPhone.objects.filter(
            number__in=list(phones), customer__deleted_at__isnull=True
        ).values_list("customer_id", flat=True):
            evidence[cid]["phone"] = SCORE_PHONE
    if email_key(email):
        for cid in (
            Customer.objects.alive()
            .filter(email__iexact=email_key(email))
            .values_list("pk", flat=True)[:limit]
        ):
            evidence[cid]["email"] = SCORE_EMAIL
    key = name_key(name, kind, city, province)
    if kind == CustomerKind.COMPANY and city and key:
        rows = dict(
            Customer.objects.alive()
            .filter(city=city, kind=CustomerKind.COMPANY)
            .exclude(name_key="")
            .values_list("pk", "name_key")
        )
        for choice, ratio, cid in process.extract(
            key, rows, scorer=fuzz.ratio, score_cutoff=CREATE_SIMILAR, limit=limit
        ):
            if choice == key:
                evidence[cid]["name"] = SCORE_NAME
            else:
                evidence[cid]["similar_name"] = round(0.85 * ratio / 100, 4)
    for cid in exclude:
        evidence.pop(cid, None)
    if not evidence:
        return []
    visible = set(
        Customer.objects.filter(visibility_q(actor), pk__in=list(evidence)).values_list(
            "pk", flat=True
        )
    )
    customers = Customer.objects.select_related("owner", "team").filter(pk__in=list(evidence))
    found = []
    for customer in customers:
        reasons = evidence[customer.pk]
        seen = customer.pk in visible
        found.append(
            Candidate(
                customer_id=customer.pk,
                score=combine(reasons.values()),
                reasons=sorted(reasons, key=list(REASONS).index),
                visible=seen,
                name=customer.name if seen else _mask(customer.name),
                city=customer.city,
                owner_id=customer.owner_id,
                owner=customer.owner.label if customer.owner else str(_("公海")),
                team=customer.team.name if customer.team else "",
            )
        )
    found.sort(key=lambda c: (-c.score, c.customer_id))
    return found[:limit]


def may_create_anyway(actor: User, candidates: Sequence[Candidate]) -> bool:
    """Managers and admins decide for themselves. A salesperson may not re-create a
    customer that strongly matches one somebody else owns or that sits in the pool
    (claim it instead): that is how 撞单 is prevented."""
    if actor.is_admin_role or actor.role == Role.MANAGER:
        return True
    return all(c.owner_id == actor.pk for c in candidates if c.strong)


# --- the whole-database scan -------------------------------------------------------------


@dataclass
class ScanResult:
    pairs: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    compared: int = 0

    def add(self, a: int, b: int, reason: str, score: float) -> None:
        if a == b:
            return
        key = (a, b) if a < b else (b, a)
        reasons = self.pairs.setdefault(key, {})
        reasons[reason] = max(score, reasons.get(reason, 0.0))

    def scored(self, min_score: float = MIN_SCORE) -> list[tuple[int, int, float, list[str]]]:
        out = []
        for (a, b), reasons in self.pairs.items():
            score = combine(reasons.values())
            if score >= min_score:
                out.append((a, b, score, sorted(reasons, key=list(REASONS).index)))
        out.sort(key=lambda row: (-row[2], row[0], row[1]))
        return out

    def groups(self, min_score: float = MIN_SCORE) -> list[tuple[float, list[int]]]:
        """Connected components of the scored pairs, best first."""
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        best: dict[int, float] = {}
        for a, b, score, _reasons in self.scored(min_score):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
            root = find(a)
            best[root] = max(score, best.get(ra, 0), best.get(rb, 0), best.get(root, 0))
        members: dict[int, list[int]] = defaultdict(list)
        for x in list(parent):
            members[find(x)].append(x)
        return sorted(
            ((best.get(root, 0.0), sorted(ids)) for root, ids in members.items()),
            key=lambda g: (-g[0], g[1][0]),
        )


def _block_pairs(rows: Iterable[tuple[object, int]], result: ScanResult, reason: str, score: float):
    blocks: dict[object, list[int]] = defaultdict(list)
    for key, cid in rows:
        blocks[key].append(cid)
    for ids in blocks.values():
        ids = sorted(set(ids))
        if 2 <= len(ids) <= MAX_BLOCK:
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    result.add(a, b, reason, score)


def _shared(sql: str) -> list[tuple[object, int]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def duplicate_scan(*, progress: Callable[[str], None] | None = None) -> ScanResult:
    """Every likely duplicate pair among live customers."""
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    result = ScanResult()
    customers = Customer._meta.db_table
    phones = CustomerPhone._meta.db_table
    say(str(_("电话号码…")))
    _block_pairs(
        _shared(
            f"SELECT p.number, p.customer_id FROM {phones} p "
            f"JOIN {customers} c ON c.id = p.customer_id AND c.deleted_at IS NULL "
            f"WHERE p.number IN (SELECT number FROM {phones} GROUP BY number "
            f"HAVING COUNT(*) > 1)"
        ),
        result,
        "phone",
        SCORE_PHONE,
    )
    say(str(_("邮箱…")))
    _block_pairs(
        _shared(
            f"SELECT email, id FROM {customers} WHERE deleted_at IS NULL AND email <> '' "
            f"AND email IN (SELECT email FROM {customers} WHERE email <> '' "
            f"GROUP BY email HAVING COUNT(*) > 1)"
        ),
        result,
        "email",
        SCORE_EMAIL,
    )
    say(str(_("公司名称…")))
    _company_names(result)
    result.seconds = time.perf_counter() - started
    return result


def _company_names(result: ScanResult) -> None:
    rows = (
        Customer.objects.alive()
        .filter(kind=CustomerKind.COMPANY)
        .exclude(name_key="")
        .values_list("pk", "city", "name_key", "address")
    )
    keys: dict[int, str] = {}
    addresses: dict[int, str] = {}
    exact: dict[tuple[str, str], list[int]] = defaultdict(list)
    near: dict[tuple[str, str], list[int]] = defaultdict(list)
    for cid, city, key, address in rows.iterator(chunk_size=20_000):
        keys[cid] = key
        if address:
            addresses[cid] = address_key(address)
        exact[(city, key)].append(cid)
        if len(key) >= 3:
            near[(city, key)].append(cid)
            for i in range(len(key)):
                near[(city, key[:i] + key[i + 1 :])].append(cid)
    _block_pairs(((k, cid) for k, ids in exact.items() for cid in ids), result, "name", SCORE_NAME)
    seen: set[tuple[int, int]] = set()
    for ids in near.values():
        if len(ids) < 2 or len(ids) > MAX_BLOCK:
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair in seen or keys[a] == keys[b]:
                    continue
                seen.add(pair)
                same_address = a in addresses and addresses.get(a) == addresses.get(b)
                ratio = fuzz.ratio(keys[a], keys[b])
                if not same_address:
                    ratio = min(ratio, brand_ratio(keys[a], keys[b]))
                score = similar_score(ratio, same_address=same_address)
                if score:
                    result.add(*pair, "similar_name", round(score, 4))
                    if same_address:
                        result.add(*pair, "address", 0.0)
    result.compared = len(seen)


@transaction.atomic
def duplicate_scan_save(result: ScanResult, *, min_score: float = MIN_SCORE) -> int:
    """Replace the open (not dismissed) pairs with this scan's; dismissed stay."""
    now = timezone.now()
    DuplicatePair.objects.filter(dismissed_at__isnull=True).delete()
    rows = [
        DuplicatePair(customer_a_id=a, customer_b_id=b, score=score, reasons=reasons, found_at=now)
        for a, b, score, reasons in result.scored(min_score)
    ]
    DuplicatePair.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(rows)


def duplicate_dismiss(*, actor: User, pair: DuplicatePair) -> None:
    """ "Not a duplicate": the pair stays dismissed across later scans."""
    pair.dismissed_at = timezone.now()
    pair.dismissed_by = actor
    pair.save(update_fields=["dismissed_at", "dismissed_by"])
