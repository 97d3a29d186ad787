"""Customer search: tokens in a B-tree side table, the same SQL on SQLite and PostgreSQL.

One box finds a customer by name or company substring (Chinese characters and
bigrams), by pinyin (full spelling or initials, prefix), by phone (full number
or its last 4+ digits), by e-mail, WeChat id or a contact's name.

Each token carries a one-letter kind so kinds never collide:

========  ==============================================  =============
kind      what                                            lookup
========  ==============================================  =============
``h``     one CJK character, or two adjacent ones         exact
``p``     full pinyin of a name (``pzhangsan``)           prefix
``i``     pinyin initials (``izs``)                       prefix
``j``     the first 2–4 pinyin initials                   exact
``w``     a Latin word of a name (lower case)             prefix
``e``     an e-mail or WeChat id, whole (lower case)      contact data
``t``     phone national digits reversed                  contact data
========  ==============================================  =============

Contact data (``e``, ``t``: the customer's and its contacts' phones, e-mails and
WeChat ids) is searched by part — a phone by its last 4+ digits, an e-mail or WeChat
id by its start — only among the customers whose contact data the user may see
(``access.contact_data_visible_q``, the detail view's rule). Elsewhere only the
complete value matches: enough to find whether a caller is already in the pool,
never enough to spell a hidden number or address out one character at a time.

A lookup reads the primary-key B-tree ``(token, customer_id)``: exact tokens in
customer-id order (so the first page stops early), prefixes as one range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from kehu.core.sql import values_in, values_insert
from kehu.customers.models import Customer, CustomerKind, SearchToken
from kehu.customers.phones import phone_national_digits, phone_normalize
from kehu.customers.pinyin import pinyin_readings

MAX_TOKEN = 64
COMPANY_PINYIN_STARTS = 8
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[0-9a-z]+")


def _is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def _cjk_runs(text: str) -> list[str]:
    runs, current = [], []
    for char in text:
        if _is_cjk(char):
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _text_tokens(text: str) -> set[str]:
    tokens: set[str] = set()
    for run in _cjk_runs(text):
        tokens.update("h" + c for c in run)
        tokens.update("h" + run[i : i + 2] for i in range(len(run) - 1))
    tokens.update("w" + word[: MAX_TOKEN - 1] for word in _WORD.findall(text.lower()))
    return tokens


def _name_tokens(name: str, *, person: bool) -> set[str]:
    tokens = _text_tokens(name)
    if _CJK.search(name):
        for syllables in pinyin_readings(name, person=person):
            # A company is often searched by the brand inside its name
            # ("xingchen" for 上海星辰科技): index the pinyin from each syllable on.
            starts = range(1) if person else range(min(len(syllables), COMPANY_PINYIN_STARTS))
            for start in starts:
                rest = syllables[start:]
                initials = "".join(s[0] for s in rest)
                tokens.add(("p" + "".join(rest))[:MAX_TOKEN])
                tokens.add(("i" + initials)[:MAX_TOKEN])
                # The first 2–4 initials as exact tokens: "zs" is then one index
                # lookup in customer order, not a prefix range to sort.
                tokens.update("j" + initials[:k] for k in range(2, min(len(initials), EDGE) + 1))
    return tokens


@dataclass(frozen=True)
class SearchDocument:
    """What is indexed for one customer."""

    customer_id: int
    name: str
    kind: str
    phones: tuple[str, ...] = ()
    email: str = ""
    wechat_id: str = ""
    contact_names: tuple[str, ...] = ()
    contact_phones: tuple[str, ...] = ()
    contact_emails: tuple[str, ...] = ()

    def tokens(self) -> set[str]:
        tokens = _name_tokens(self.name, person=self.kind == CustomerKind.PERSON)
        for contact in self.contact_names:
            tokens |= _name_tokens(contact, person=True)
        for phone in (*self.phones, *self.contact_phones):
            digits = phone_national_digits(phone)
            if digits:
                tokens.add("t" + digits[::-1])
        for value in (self.email, self.wechat_id, *self.contact_emails):
            if value:
                tokens.add(contact_token(value))
        return tokens


def contact_token(value: str) -> str:
    """The token of an e-mail or WeChat id: the whole value, lower case."""
    return ("e" + value.lower())[:MAX_TOKEN]


def document_for(customer: Customer) -> SearchDocument:
    contacts = list(customer.contacts.all())
    return SearchDocument(
        customer_id=customer.pk,
        name=customer.name,
        kind=customer.kind,
        phones=tuple(p.number for p in customer.phones.all()),
        email=customer.email,
        wechat_id=customer.wechat_id,
        contact_names=tuple(c.name for c in contacts),
        contact_phones=tuple(c.phone for c in contacts if c.phone),
        contact_emails=tuple(c.email for c in contacts if c.email),
    )


def search_index_customer(customer: Customer) -> None:
    """Replace a customer's tokens (call inside the writing transaction)."""
    SearchToken.objects.filter(customer_id=customer.pk).delete()
    search_index_bulk([document_for(customer)], replace=False)


def search_tokens_insert(tokens: Iterable[tuple[int, Iterable[str]]]) -> int:
    """Index new customers whose tokens are known: (customer id, tokens)."""
    rows = [(token, customer_id) for customer_id, found in tokens for token in found]
    values_insert(SearchToken, ("token", "customer_id"), rows)
    return len(rows)


def search_index_bulk(documents: Iterable[SearchDocument], *, replace: bool = True) -> int:
    """Index many customers with plain ``executemany`` (used by bulk loads)."""
    documents = list(documents)
    if replace:
        table = SearchToken._meta.db_table
        ids = sorted({doc.customer_id for doc in documents})
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(
                    f"DELETE FROM {table} WHERE customer_id IN ({','.join(['%s'] * len(chunk))})",
                    chunk,
                )
    return search_tokens_insert((doc.customer_id, doc.tokens()) for doc in documents)


# --- Queries ----------------------------------------------------------------------


def _prefix_range(prefix: str) -> Q:
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(token__gte=prefix, token__lt=upper)


@dataclass(frozen=True)
class ParsedQuery:
    exact: tuple[str, ...]  # every one must match (intersection)
    prefixes: tuple[str, ...]  # any one may match (union)
    alternative: str = ""  # an exact token that matches as well as the prefixes
    # Contact data: a part of it (prefix) where the user may see it, and the query as
    # a complete value (exact) wherever the customer is visible.
    contact_prefixes: tuple[str, ...] = ()
    contact_whole: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.exact and not self.prefixes and not self.contact_prefixes

    @property
    def names(self) -> ParsedQuery:
        """The query without its contact-data part."""
        return ParsedQuery(self.exact, self.prefixes, self.alternative)

    @property
    def contacts(self) -> ParsedQuery:
        """The contact-data part alone, every token a prefix."""
        return ParsedQuery((), tuple(dict.fromkeys(self.contact_prefixes + self.contact_whole)))

    @property
    def merged(self) -> ParsedQuery:
        """One query: contact data by part, like the names."""
        prefixes = tuple(dict.fromkeys(self.prefixes + self.contacts.prefixes))
        return ParsedQuery(self.exact, prefixes, self.alternative)


def query_parse(raw: str) -> ParsedQuery:
    text = raw.strip().lower()[:100]
    if not text:
        return ParsedQuery((), ())
    if _CJK.search(text):
        exact: set[str] = set()
        for run in _cjk_runs(text):
            if len(run) == 1:
                exact.add("h" + run)
            else:
                exact.update("h" + run[i : i + 2] for i in range(len(run) - 1))
        words = _WORD.findall(text)
        return ParsedQuery(tuple(sorted(exact)), tuple("w" + w for w in words[:1]))
    digits = re.sub(r"[\s\-()+]", "", text)
    if digits.isdigit():
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        if len(digits) >= 4:
            return ParsedQuery(
                (),
                (),
                contact_prefixes=("t" + digits[::-1][: MAX_TOKEN - 1],),
                contact_whole=("t" + _phone_digits(digits)[::-1][: MAX_TOKEN - 1],),
            )
        return ParsedQuery((), ("w" + digits,))
    if "@" in text or "." in text or "_" in text or "-" in text:
        token = contact_token(text)
        return ParsedQuery((), (), contact_prefixes=(token,), contact_whole=(token,))
    compact = re.sub(r"\s+", "", text)
    if compact.isascii() and compact.isalnum():
        compact = compact[: MAX_TOKEN - 1]
        token = contact_token(compact)
        if 2 <= len(compact) <= EDGE:
            return ParsedQuery(
                (),
                ("p" + compact, "w" + compact),
                alternative="j" + compact,
                contact_prefixes=(token,),
                contact_whole=(token,),
            )
        return ParsedQuery(
            (),
            ("p" + compact, "i" + compact, "w" + compact),
            contact_prefixes=(token,),
            contact_whole=(token,),
        )
    words = _WORD.findall(text)
    return ParsedQuery((), tuple("w" + w for w in words[:1]))


def _phone_digits(digits: str) -> str:
    """The national digits of a typed number (``021 6234 5678`` → ``2162345678``);
    the digits as typed when they are no complete number."""
    try:
        return phone_national_digits(phone_normalize(digits))
    except ValidationError:
        return digits


# How a search runs depends on how many index rows its driving token(s) match,
# counted up to a threshold (one cheap index range scan):
#
# * narrow (up to the threshold): every candidate id is read from the index, the
#   visible ones are kept in one query; the page and an exact count come from that.
# * broad (``zh``, ``li``, the surname 张): the page is read newest first — for a
#   prefix by walking customers and probing each one's tokens, for an exact token
#   straight from its (token, customer) index — one row more than the page tells
#   whether there is a next page, and the count is a lower bound ("20+").
#
# Sorting or counting every match of a broad query is what made it slow (and on
# PostgreSQL a LIMIT over a merge join could walk the whole table for a narrow one).
# Thresholds measured at 1M customers (benchmarks/bench_search.py).
BROAD_PREFIX_ROWS = 4500
EDGE = 4  # initials indexed as exact tokens up to this many letters
EDGE_RANGE = 200  # more pinyin/word-prefix matches than this: treat the query as a prefix
BROAD_PREFIX_ROWS_SCOPED = 7000
# Up to how many candidate ids are checked (and counted) at once: each is a probe of
# the customer table, about 1 µs on SQLite and 8 µs on PostgreSQL at 1M customers.
EXACT_CHECK = {"sqlite": 4500, "postgresql": 1500}


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]
    count: int  # exact up to the cap, else a lower bound
    capped: bool  # True: at least ``count`` match


def search_page(
    query: str,
    visible: Q,
    *,
    contact_visible: Q | None = None,
    limit: int,
    offset: int = 0,
    cap: int,
) -> SearchPage:
    """A page of the ids of visible customers matching ``query``, newest first.

    ``contact_visible`` (``access.contact_data_visible_q``) names the customers whose
    contact data the user may see: only there does a part of a phone number, e-mail
    or WeChat id match. ``None``: nobody's (only complete values match)."""
    parsed = query_parse(query)
    if parsed.empty:
        return SearchPage([], 0, False)
    if not parsed.contact_prefixes:
        return _search(parsed, visible, limit=limit, offset=offset, cap=cap)
    if contact_visible is not None and not contact_visible.children:
        return _search(parsed.merged, visible, limit=limit, offset=offset, cap=cap)
    # Elsewhere a contact value matches only whole: the few customers that have it (a
    # subquery the database runs once, inside the query that checks the candidates).
    whole = Q(
        pk__in=SearchToken.objects.filter(token__in=parsed.contact_whole).values("customer_id")
    )
    contact_scope = whole if contact_visible is None else contact_visible | whole
    names = parsed.names
    if names.empty:
        return _search(
            parsed.contacts, visible & contact_scope, limit=limit, offset=offset, cap=cap
        )
    # A word: names as always, contact data where allowed; both read from the first
    # match, then merged.
    want = offset + limit
    return _merged(
        _search(names, visible, limit=want, offset=0, cap=cap),
        _search(parsed.contacts, visible & contact_scope, limit=want, offset=0, cap=cap),
        offset=offset,
        limit=limit,
        cap=cap,
    )


def _merged(
    first: SearchPage, second: SearchPage, *, offset: int, limit: int, cap: int
) -> SearchPage:
    """Two pages of newest-first ids, each read from the first match on (at least
    ``offset + limit`` ids, or all), as one page."""
    if not second.ids:
        return SearchPage(first.ids[offset : offset + limit], first.count, first.capped)
    if not first.ids:
        return SearchPage(second.ids[offset : offset + limit], second.count, second.capped)
    ids = sorted(set(first.ids) | set(second.ids), reverse=True)
    complete = all(not p.capped and p.count <= len(p.ids) for p in (first, second))
    if complete:
        return SearchPage(ids[offset : offset + limit], min(len(ids), cap), len(ids) > cap)
    # Some matches of either are not read: the count is a lower bound.
    count = max(first.count, second.count, len(ids))
    return SearchPage(ids[offset : offset + limit], count, True)


def _search(parsed: ParsedQuery, visible: Q, *, limit: int, offset: int, cap: int) -> SearchPage:
    threshold = BROAD_PREFIX_ROWS if not visible.children else BROAD_PREFIX_ROWS_SCOPED
    tokens = SearchToken.objects.all()
    if parsed.exact:
        # Each token's rows counted once (up to the threshold): they pick the driver
        # and say whether the query is broad.
        rows = {token: _rows_capped(token, threshold + 1) for token in parsed.exact}
        driver, *others = sorted(parsed.exact, key=rows.__getitem__)
        candidates = tokens.filter(token=driver)
        for other in others:
            candidates = candidates.filter(
                Exists(SearchToken.objects.filter(token=other, customer_id=OuterRef("customer_id")))
            )
        if parsed.prefixes:
            # e.g. "ABC贸易": the Latin word must match too
            candidates = candidates.filter(
                Exists(
                    SearchToken.objects.filter(
                        _any_prefix(parsed), customer_id=OuterRef("customer_id")
                    )
                )
            )
        broad = rows[driver] > threshold
        if broad:
            scoped = q_through(visible, "customer__") & Q(customer__deleted_at__isnull=True)
            page = list(
                candidates.filter(scoped)
                .order_by("-customer_id")
                .values_list("customer_id", flat=True)[offset : offset + limit + 1]
            )
            return _lower_bound(page, offset, limit)
        return _narrow(candidates, visible, limit=limit, offset=offset, cap=cap)
    if parsed.alternative:
        # Initials ("zs"): the edge token drives unless the prefixes are broad too.
        ranged = _prefix_ids(parsed.prefixes, EDGE_RANGE)
        if len(ranged) < EDGE_RANGE:
            return _edge_page(
                parsed.alternative, set(ranged), visible, threshold, limit, offset, cap
            )
    # One index range per prefix, not their OR: PostgreSQL answers an OR of ranges
    # with a bitmap over the table (slow for thousands of rows) and misjudges its size.
    exact = (parsed.alternative,) if parsed.alternative else ()
    matched = _prefix_ids(parsed.prefixes, threshold + 1, exact=exact)
    if len(matched) > threshold:
        prefix_q = _any_prefix(parsed)
        if parsed.alternative:
            prefix_q |= Q(token=parsed.alternative)
        has_token = SearchToken.objects.filter(prefix_q, customer_id=OuterRef("pk"))
        page = list(
            Customer.objects.filter(visible, Exists(has_token), deleted_at__isnull=True)
            .order_by("-pk")
            .values_list("pk", flat=True)[offset : offset + limit + 1]
        )
        return _lower_bound(page, offset, limit)
    return _narrow(sorted(set(matched)), visible, limit=limit, offset=offset, cap=cap)


def _prefix_ids(prefixes: Iterable[str], limit: int, *, exact: Iterable[str] = ()) -> list[int]:
    """Customer ids of up to ``limit`` index rows matching any prefix or exact token
    (one index range each; an id may repeat)."""
    ids: list[int] = []
    ranges = [_prefix_range(p) for p in prefixes] + [Q(token=t) for t in exact]
    for where in ranges:
        if len(ids) >= limit:
            break
        ids.extend(
            SearchToken.objects.filter(where).values_list("customer_id", flat=True)[
                : limit - len(ids)
            ]
        )
    return ids


def _edge_page(
    token: str,
    ranged: set[int],
    visible: Q,
    threshold: int,
    limit: int,
    offset: int,
    cap: int,
) -> SearchPage:
    """The customers with the exact edge ``token`` and the few ``ranged`` ones."""
    edge = SearchToken.objects.filter(token=token)
    if _rows_capped(token, threshold + 1) <= threshold:
        ids = sorted(ranged | set(edge.values_list("customer_id", flat=True)))
        return _narrow(ids, visible, limit=limit, offset=offset, cap=cap)
    scoped = q_through(visible, "customer__") & Q(customer__deleted_at__isnull=True)
    page = list(
        edge.filter(scoped)
        .order_by("-customer_id")
        .values_list("customer_id", flat=True)[: offset + limit + 1]
    )
    if ranged:
        extra = Customer.objects.filter(visible, pk__in=sorted(ranged), deleted_at__isnull=True)
        page = sorted(set(page) | set(extra.values_list("pk", flat=True)), reverse=True)
    return _lower_bound(page[offset : offset + limit + 1], offset, limit)


def _lower_bound(page: list[int], offset: int, limit: int) -> SearchPage:
    more = len(page) > limit
    page = page[:limit]
    return SearchPage(page, offset + len(page), more)


def _narrow(
    candidates: QuerySet[SearchToken] | list[int],
    visible: Q,
    *,
    limit: int,
    offset: int,
    cap: int,
) -> SearchPage:
    """The visible ones among (few) candidates, newest first.

    A query's candidates are checked in one query with no ORDER BY or LIMIT for a
    planner to get wrong, and counted exactly. A list longer than the database
    checks quickly (``EXACT_CHECK``) is checked newest first in growing chunks until
    the page is full; its count is then a lower bound."""
    if isinstance(candidates, list) and not candidates:
        return SearchPage([], 0, False)
    alive = Customer.objects.filter(visible, deleted_at__isnull=True)
    if isinstance(candidates, list) and len(candidates) > EXACT_CHECK.get(connection.vendor, 1500):
        newest = candidates[::-1]
        want = offset + limit + 1
        found: list[int] = []
        start, size = 0, max(256, 4 * want)
        while start < len(newest) and len(found) < want:
            chunk = newest[start : start + size]
            found += sorted(
                alive.filter(pk__in=values_in(chunk, "int")).values_list("pk", flat=True),
                reverse=True,
            )
            start, size = start + size, size * 2
        if start < len(newest):
            return SearchPage(found[offset : offset + limit], len(found), True)
        seen = found
    else:
        ids = (
            values_in(candidates, "int")
            if isinstance(candidates, list)
            else candidates.values_list("customer_id", flat=True)
        )
        seen = sorted(alive.filter(pk__in=ids).values_list("pk", flat=True), reverse=True)
    return SearchPage(seen[offset : offset + limit], min(len(seen), cap), len(seen) > cap)


def search_customer_ids(
    query: str, visible: Q, *, contact_visible: Q | None = None, limit: int, offset: int = 0
) -> list[int]:
    """Ids of visible customers matching ``query``, newest first."""
    return search_page(
        query, visible, contact_visible=contact_visible, limit=limit, offset=offset, cap=limit
    ).ids


def _rows_capped(token: str, cap: int = 20_000) -> int:
    return SearchToken.objects.filter(token=token)[:cap].count()


def _any_prefix(parsed: ParsedQuery) -> Q:
    prefix_q = Q()
    for prefix in parsed.prefixes:
        prefix_q |= _prefix_range(prefix)
    return prefix_q


def q_through(q: Q, prefix: str) -> Q:
    """Rewrite a Q over Customer fields to one over ``customer__`` fields."""
    clone = Q()
    clone.connector = q.connector
    clone.negated = q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(q_through(child, prefix))
        else:
            key, value = child  # type: ignore[misc]
            clone.children.append((prefix + key, value))
    return clone
