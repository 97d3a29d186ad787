"""The whole-database duplicate scan at N customers (default 1,000,000) on one database.

    python benchmarks/bench_dedupe.py --db sqlite|postgres [--customers N]
        [--dup-share 0.02] [--seed 7]

Loads N distinct customers (30 % companies with a large, realistic name space: no two
companies in one city share a name key, as registration forbids it), then plants
dup-share × N duplicates of existing customers, each recorded as (original, duplicate):

* 40 % exact phone: a person re-entered with the same mobile (name as is or spaced);
* 30 % company name variants in the same city (brackets, 有限公司/有限责任公司,
  （中国）, spaces, city prefix or （城市） suffix), new phone;
* 20 % company names with one brand character wrong, same city and address, new phone;
* 10 % person names with one given-name character wrong, same e-mail, new phone.

Runs ``duplicate_scan`` and ``duplicate_scan_save``, prints a table and writes
benchmarks/results/dedupe_<db>.json. Targets: recall ≥ 0.95 and precision ≥ 0.95
against the planted pairs, and (on SQLite) the scan under 120 s. Exits non-zero when a
target is missed; false positives and negatives are listed by kind with examples.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database

TARGET_RECALL = 0.95
TARGET_PRECISION = 0.95
TARGET_SCAN_SECONDS = 120.0  # on SQLite
COMPANY_SHARE = 0.30
PERSON_EMAIL_SHARE = 0.5
COMPANY_EMAIL_SHARE = 0.3
PERSON_ADDRESS_SHARE = 0.1
CHUNK = 50_000
EXAMPLES = 10

# What is planted, in what share.
KINDS = {
    "phone": 0.40,  # a person copy with the same phone
    "company_variant": 0.30,  # the same company name written differently
    "company_typo": 0.20,  # one brand character wrong, same address
    "person_email_typo": 0.10,  # one given-name character wrong, same e-mail
}

# Characters seen in 字号 (brand names): several hundred, drawn uniformly.
_BRAND_POOL = (
    "华信达盛宏恒泰丰瑞鑫源远博创新锐嘉禾天成永中金明德海纳云帆蓝星辰东升凯越众鼎诚佳"
    "利隆兴旺顺祥和美康健乐福寿吉昌荣富贵宝通广汇联合力航宇光耀辉煌晨曦朝阳春秋夏冬"
    "梅兰竹菊松柏青绿水湖峰岭川原野林森木石玉银铜锦绣彩虹霞露雨雪风雷电声韵诗书画墨"
    "笔文武功业就卓精英杰豪雄伟壮丽秀妙奇特优品质誉立志腾飞翔跃龙凤麟鹏鹤燕鸿鹰雁骏"
    "驰奔智慧聪敏捷迅速易简约尚雅致典范准正直方圆润泽沛浩瀚渊深厚阔容百汇聚集融谐畅"
    "想象途径道桥梁港湾洲岛屿滨洋波涛浪潮汐泉溪涧澈亮晶莹灿烂映照闪烁乾坤寰球环亚欧"
    "际纪元启开拓进取勤奋敬专注久大图略鸿运亨万象更欣向蒸日上佰仟亿兆伍玖壹叁陆柒捌"
    "拾甲乙丙丁戊庚辛壬癸子丑寅卯辰巳午未申酉戌亥乐趣享悦怡舒逸安康泰宁静谧馨香芳芬"
    "芝兰蕙茗萃菁蓓蕾苗茂盈满溢丰硕果实谷粮稻麦禾穗田园圃苑庭轩阁楼台亭榭廊坊堂府邸"
    "宅居舍室厦宇屋门户窗扉岩峻崇巍峨嵩岳泰衡恒华泓涌泊渤瀛沧溟淼澜漪涟汀沁滢澄湛"
    "铭锋锐钧铠钰锟镇链钜鑫铨铎镭锂钛钢铸锻冶炼熔焊凌霄翼羽翎翰墨砚纸帛绸缎纱锦织"
    "纶维纤丝缕线绳纵横经纬坐标维度量衡尺度规矩格局势态能量动力源泉核芯心意念思索求"
    "知识学问道理德仁义礼信忠孝廉耻勇毅刚柔韧坚固稳健强盛壮实朴素纯真善诺言誓盟约"
)
BRAND_CHARS = "".join(dict.fromkeys(c for c in _BRAND_POOL if c not in "有限责任股份公司集团"))

# Trade words (行业表述) with the industry recorded and a rough frequency.
TRADES: list[tuple[str, str, int]] = [
    ("科技", "软件与信息服务", 8),
    ("贸易", "批发零售", 6),
    ("商贸", "批发零售", 3),
    ("餐饮管理", "餐饮", 3),
    ("建材", "建筑建材", 2),
    ("电子", "电子制造", 2),
    ("食品", "食品饮料", 2),
    ("物流", "交通物流", 2),
    ("医疗器械", "医疗健康", 1),
    ("教育咨询", "教育培训", 2),
    ("服饰", "纺织服装", 2),
    ("农业发展", "农林牧渔", 1),
    ("汽车服务", "汽车", 1),
    ("文化传媒", "文化传媒", 2),
    ("网络科技", "软件与信息服务", 3),
    ("信息技术", "软件与信息服务", 2),
    ("电子商务", "批发零售", 2),
    ("机械设备", "机械制造", 2),
    ("化工", "化工", 1),
    ("环保科技", "环保", 1),
    ("生物科技", "医疗健康", 1),
    ("实业", "综合", 2),
    ("投资管理", "金融", 1),
    ("装饰工程", "建筑建材", 2),
    ("广告", "文化传媒", 1),
    ("包装材料", "制造业", 1),
    ("酒店管理", "住宿", 1),
    ("家具", "家居", 1),
    ("五金", "制造业", 1),
    ("供应链管理", "交通物流", 1),
    ("新能源", "能源", 1),
    ("企业管理咨询", "商务服务", 2),
    ("人力资源", "商务服务", 1),
    ("建筑工程", "建筑建材", 1),
    ("医药", "医疗健康", 1),
    ("健康管理", "医疗健康", 1),
]


def _words(text: str) -> list[str]:
    return text.split()


LEGAL_SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司"]
LEGAL_WEIGHTS = [60, 28, 12]
STREETS = _words(
    "文三路 文二路 文一路 教工路 古墩路 天目山路 莫干山路 体育场路 庆春路 凤起路 "
    "学院路 中山路 人民路 解放路 建设路 和平路 新华路 长江路 黄河路 延安路 朝阳路 "
    "光明路 胜利路 青年路 工业路 科技路 创业路 滨江大道 世纪大道 东风路 江南大道 "
    "深南大道 北环大道 滨海大道 科苑路 天河路 体育西路 环市东路 中山大道 黄埔大道 "
    "淮海中路 南京西路 四川北路 张江路 金科路 长安街 中关村大街 知春路 学清路 建国路 "
    "解放大道 珞喻路 人民南路 天府大道 蜀都大道 香山路 振华路 迎宾大道 金融街 湖滨路"
)
EMAIL_NAMES = _words(
    "zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin "
    "luo zheng liang xie song tang sunny happy xiao lucky amy tony kevin lily jack"
)
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "outlook.com"]
# A 字号 may not be a place name; names.REGIONS adds the cities.
PROVINCE_SHORT = _words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 "
    "湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 "
    "香港 澳门 中国 中华 全国 国际"
)


@dataclass(frozen=True, slots=True)
class Firm:
    """How one company's name is put together."""

    brand: str
    trade: str
    suffix: str
    bracket_city: bool  # 明远科技（杭州）有限公司 instead of 杭州明远科技有限公司

    def render(self, city: str, *, china: bool = False, spaces: bool = False) -> str:
        short = city.removesuffix("市")
        middle = self.brand + self.trade
        tail = ("（中国）" if china else "") + self.suffix
        if self.bracket_city:
            return f"{middle}（{short}）{tail}"
        return f"{short} {middle} {tail}" if spaces else f"{short}{middle}{tail}"


@dataclass(slots=True)
class Original:
    cid: int
    name: str
    place: tuple[str, str, str]
    phone: str
    email: str
    address: str
    firm: Firm | None = None
    surname: str = ""


class Population:
    """Generates the originals and the planted duplicates, deterministically."""

    def __init__(self, seed: int):
        from kehu.demo import names
        from kehu.demo.generate import Generator

        self.gen = Generator(seed)
        self.rng = self.gen.rng
        self.names = names
        self._surnames = [s for s, _w in names.SURNAMES]
        cum, total = [], 0
        for _s, weight in names.SURNAMES:
            total += weight
            cum.append(total)
        self._surname_cum = cum
        self._trades = [t for t, _i, _w in TRADES]
        self._industries = {t: i for t, i, _w in TRADES}
        trade_cum, total = [], 0
        for _t, _i, weight in TRADES:
            total += weight
            trade_cum.append(total)
        self._trade_cum = trade_cum
        places = set(PROVINCE_SHORT)
        for province, cities in names.REGIONS.items():
            places.update({province, province.removesuffix("省").removesuffix("市")})
            for city in cities:
                places.update({city, city.removesuffix("市")})
        self._places = sorted(places)
        self.keys: set[tuple[str, str]] = set()  # (city, name key) of every company
        self._email_serial = 0
        self.key_collisions = 0

    # --- pieces ---------------------------------------------------------------------

    def place(self) -> tuple[str, str, str]:
        p = self.gen.place()
        return p.province, p.city, p.district

    def person(self) -> tuple[str, str]:
        rng = self.rng
        surname = rng.choices(self._surnames, cum_weights=self._surname_cum)[0]
        given = "".join(
            rng.choice(self.names.GIVEN_CHARS) for _ in range(1 if rng.random() < 0.35 else 2)
        )
        return surname, given

    def email(self) -> str:
        self._email_serial += 1
        rng = self.rng
        local = rng.choice(EMAIL_NAMES) + str(self._email_serial)
        if rng.random() < 0.2:
            local = local.capitalize()  # as typed; stored lower-cased
        return f"{local}@{rng.choice(EMAIL_DOMAINS)}".lower()

    def address(self) -> str:
        rng = self.rng
        return f"{rng.choice(STREETS)} {rng.randint(1, 1999)} 号"

    def _brand_ok(self, brand: str) -> bool:
        return not any(p in brand for p in self._places)

    def brand(self) -> str:
        rng = self.rng
        while True:
            brand = "".join(rng.sample(BRAND_CHARS, 2 if rng.random() < 0.65 else 3))
            if self._brand_ok(brand):
                return brand

    def firm(self, place: tuple[str, str, str]) -> tuple[Firm, str, str]:
        """A company name not yet registered in the city: (firm, name, key)."""
        from kehu.customers.duplicates import name_key

        rng = self.rng
        province, city, _district = place
        while True:
            trade = rng.choices(self._trades, cum_weights=self._trade_cum)[0]
            firm = Firm(
                brand=self.brand(),
                trade=trade,
                suffix=rng.choices(LEGAL_SUFFIXES, LEGAL_WEIGHTS)[0],
                bracket_city=rng.random() < 0.2,
            )
            name = firm.render(city)
            key = name_key(name, "company", city, province)
            if (city, key) not in self.keys:
                self.keys.add((city, key))
                return firm, name, key
            self.key_collisions += 1

    # --- planted duplicates ----------------------------------------------------------

    def company_variant(self, orig: Original) -> str:
        """The same company's name written differently (same name key)."""
        assert orig.firm is not None
        rng = self.rng
        city = orig.place[1]
        original = orig.name
        while True:
            firm = orig.firm
            todo = {rng.choice(["form", "legal", "china", "spaces", "half_width"])}
            if rng.random() < 0.3:
                todo.add(rng.choice(["form", "legal", "china", "spaces", "half_width"]))
            if "form" in todo:
                firm = Firm(firm.brand, firm.trade, firm.suffix, not firm.bracket_city)
            if "legal" in todo:
                swap = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}
                suffix = swap.get(firm.suffix, "股份公司")
                firm = Firm(firm.brand, firm.trade, suffix, firm.bracket_city)
            china = "china" in todo
            spaces = "spaces" in todo
            half = "half_width" in todo
            if half and not (firm.bracket_city or china):
                china = True
            name = firm.render(city, china=china, spaces=spaces)
            if spaces and firm.bracket_city:
                name = name.replace("（", " （").replace("）", "） ")
            if half:
                name = name.replace("（", "(").replace("）", ")")
            if name != original:
                return name

    def company_typo(self, orig: Original) -> tuple[str, str]:
        """One brand character wrong; a name no other company in the city has."""
        from kehu.customers.duplicates import name_key

        assert orig.firm is not None
        rng = self.rng
        province, city, _district = orig.place
        firm = orig.firm
        while True:
            i = rng.randrange(len(firm.brand))
            char = rng.choice(BRAND_CHARS)
            brand = firm.brand[:i] + char + firm.brand[i + 1 :]
            if char == firm.brand[i] or not self._brand_ok(brand):
                continue
            name = Firm(brand, firm.trade, firm.suffix, firm.bracket_city).render(city)
            key = name_key(name, "company", city, province)
            if (city, key) not in self.keys:
                self.keys.add((city, key))
                return name, key

    def person_typo(self, orig: Original) -> str:
        rng = self.rng
        given = orig.name[len(orig.surname) :]
        while True:
            i = rng.randrange(len(given))
            char = rng.choice(self.names.GIVEN_CHARS)
            if char != given[i]:
                return orig.surname + given[:i] + char + given[i + 1 :]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dup-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with bench_database(args.db, pg_options=("-c shared_buffers=1GB", "-c max_wal_size=8GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _column_defaults(now: Any) -> dict[str, Any]:
    """Every Customer column with the value an empty customer has."""
    from django.db import models

    from kehu.customers.models import Customer

    values: dict[str, Any] = {}
    for f in Customer._meta.concrete_fields:
        if f.column == "id":
            continue
        if f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif isinstance(f, models.DateTimeField):
            value = now
        elif isinstance(f, (models.CharField, models.TextField)):
            value = ""
        else:
            raise RuntimeError(f"bench_dedupe: no value for Customer.{f.name}")
        if isinstance(f, models.JSONField):
            value = json.dumps(value)
        values[str(f.column)] = value
    return values


def load(
    args: argparse.Namespace,
) -> tuple[list[tuple[int, int, str]], dict[str, Any]]:
    """Write the originals and the planted duplicates; returns the planted
    (original id, duplicate id, kind) and load figures."""
    from benchmarks.harness import sqlite_bulk_writes

    with sqlite_bulk_writes():
        return _load(args)


def _load(
    args: argparse.Namespace,
) -> tuple[list[tuple[int, int, str]], dict[str, Any]]:
    from django.db import connection
    from django.utils import timezone

    from benchmarks.bulk import _write
    from kehu.customers.duplicates import name_key
    from kehu.customers.models import Customer, CustomerPhone

    pop = Population(args.seed)
    rng = pop.rng
    now = timezone.now()
    base = _column_defaults(now)
    columns = ["id", *base]
    table = Customer._meta.db_table
    phone_table = CustomerPhone._meta.db_table
    phone_columns = ["customer_id", "number", "label", "is_primary"]
    started = time.perf_counter()
    persons: list[Original] = []
    companies: list[Original] = []
    customers: list[tuple[Any, ...]] = []
    phones: list[tuple[Any, ...]] = []

    def add(cid: int, kind: str, name: str, place: tuple[str, str, str], phone: str, **more: Any):
        values = dict(base)
        values.update(
            id=cid,
            kind=kind,
            name=name,
            name_key=name_key(name, kind, place[1], place[0]),
            province=place[0],
            city=place[1],
            district=place[2],
            **more,
        )
        values["email"] = values["email"].lower()
        customers.append(tuple(values[c] for c in columns))
        phones.append((cid, phone, "", True))

    def flush() -> None:
        _write(table, columns, customers)
        _write(phone_table, phone_columns, phones)
        customers.clear()
        phones.clear()

    n = args.customers
    for cid in range(1, n + 1):
        place = pop.place()
        phone = pop.gen.mobile()
        if rng.random() < COMPANY_SHARE:
            firm, name, _key = pop.firm(place)
            address = pop.address()
            email = f"info{cid}@corp{cid}.cn" if rng.random() < COMPANY_EMAIL_SHARE else ""
            companies.append(Original(cid, name, place, phone, email, address, firm))
            add(
                cid,
                "company",
                name,
                place,
                phone,
                email=email,
                address=address,
                industry=pop._industries[firm.trade],
            )
        else:
            surname, given = pop.person()
            email = pop.email() if rng.random() < PERSON_EMAIL_SHARE else ""
            address = pop.address() if rng.random() < PERSON_ADDRESS_SHARE else ""
            persons.append(
                Original(cid, surname + given, place, phone, email, address, surname=surname)
            )
            add(cid, "person", surname + given, place, phone, email=email, address=address)
        if len(customers) >= CHUNK:
            flush()
            rate = cid / (time.perf_counter() - started)
            print(f"  loaded {cid:,}/{n:,} customers ({rate:,.0f}/s)", flush=True)
    flush()
    originals_seconds = time.perf_counter() - started

    # Plant the duplicates: each original is copied at most once, so the planted
    # pairs are exactly the duplicate pairs in the data.
    total = round(args.dup_share * n)
    counts = {kind: round(share * total) for kind, share in KINDS.items()}
    with_email = [p for p in persons if p.email]
    email_origs = rng.sample(with_email, min(counts["person_email_typo"], len(with_email)))
    taken = {p.cid for p in email_origs}
    phone_origs = rng.sample(
        [p for p in persons if p.cid not in taken], min(counts["phone"], len(persons) - len(taken))
    )
    company_origs = rng.sample(
        companies, min(counts["company_variant"] + counts["company_typo"], len(companies))
    )
    variant_origs = company_origs[: counts["company_variant"]]
    typo_origs = company_origs[counts["company_variant"] :]
    planted: list[tuple[int, int, str]] = []
    cid = n
    for orig in phone_origs:
        cid += 1
        name = orig.name
        if rng.random() < 0.5:
            name = f"{orig.surname} {orig.name[len(orig.surname) :]}"
        place = orig.place if rng.random() < 0.5 else pop.place()
        add(cid, "person", name, place, orig.phone)
        planted.append((orig.cid, cid, "phone"))
    for orig in variant_origs:
        cid += 1
        name = pop.company_variant(orig)
        address = orig.address if rng.random() < 0.6 else ""
        add(cid, "company", name, orig.place, pop.gen.mobile(), address=address)
        planted.append((orig.cid, cid, "company_variant"))
    for orig in typo_origs:
        cid += 1
        name, _key = pop.company_typo(orig)
        address = rng.choice(
            [
                orig.address,
                orig.address.replace(" ", ""),
                orig.address.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
            ]
        )
        add(cid, "company", name, orig.place, pop.gen.mobile(), address=address)
        planted.append((orig.cid, cid, "company_typo"))
    for orig in email_origs:
        cid += 1
        name = pop.person_typo(orig)
        place = orig.place if rng.random() < 0.7 else pop.place()
        add(cid, "person", name, place, pop.gen.mobile(), email=orig.email)
        planted.append((orig.cid, cid, "person_email_typo"))
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    figures = {
        "load_seconds": round(time.perf_counter() - started, 1),
        "originals_seconds": round(originals_seconds, 1),
        "originals": n,
        "companies": len(companies),
        "persons": len(persons),
        "persons_with_email": len(with_email),
        "brand_chars": len(BRAND_CHARS),
        "trades": len(TRADES),
        "company_name_key_collisions_regenerated": pop.key_collisions,
    }
    return planted, figures


def _describe(ids: set[int]) -> dict[int, dict[str, Any]]:
    from kehu.customers.models import Customer, CustomerPhone

    rows: dict[int, dict[str, Any]] = {
        r["pk"]: dict(r)
        for r in Customer.objects.filter(pk__in=ids).values(
            "pk", "kind", "name", "name_key", "province", "city", "address", "email"
        )
    }
    for cid, number in CustomerPhone.objects.filter(customer_id__in=ids).values_list(
        "customer_id", "number"
    ):
        rows[cid].setdefault("phones", []).append(number)
    return rows


def _pair_facts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    from rapidfuzz import fuzz

    from kehu.customers.duplicates import address_key, similar_score

    ratio = fuzz.ratio(a["name_key"], b["name_key"])
    same_address = bool(a["address"]) and address_key(a["address"]) == address_key(b["address"])
    return {
        "same_city": a["city"] == b["city"],
        "key_ratio": round(ratio, 1),
        "key_lengths": f"{len(a['name_key'])}/{len(b['name_key'])}",
        "same_address": same_address,
        "similar_score_if_compared": round(similar_score(ratio, same_address=same_address), 3),
    }


def _fmt(row: dict[str, Any]) -> str:
    return (
        f"#{row['pk']} {row['kind']} {row['name']!r} key={row['name_key']!r} "
        f"{row['city']} addr={row['address']!r} email={row['email']!r} "
        f"phones={','.join(row.get('phones', []))}"
    )


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command

    from kehu.customers.duplicates import MIN_SCORE, combine, duplicate_scan, duplicate_scan_save

    call_command("migrate", verbosity=0)
    print(
        f"[{args.db}] loading {args.customers:,} customers"
        f" + {round(args.dup_share * args.customers):,} planted duplicates…",
        flush=True,
    )
    planted, load_figures = load(args)
    print(f"  loaded in {load_figures['load_seconds']:.0f} s; scanning…", flush=True)

    start = time.perf_counter()
    result = duplicate_scan()
    scan_seconds = time.perf_counter() - start
    scored = result.scored()
    start = time.perf_counter()
    saved = duplicate_scan_save(result)
    save_seconds = time.perf_counter() - start

    kind_of = {(min(a, b), max(a, b)): kind for a, b, kind in planted}
    found = {(a, b): (score, reasons) for a, b, score, reasons in scored}
    hits = [p for p in kind_of if p in found]
    recall = len(hits) / max(len(kind_of), 1)
    precision = len(hits) / max(len(found), 1)
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        pairs = [p for p, k in kind_of.items() if k == kind]
        got = sum(1 for p in pairs if p in found)
        by_kind[kind] = {"planted": len(pairs), "found": got, "recall": got / max(len(pairs), 1)}

    # What the misses and the extras are.
    first_dup = args.customers + 1
    false_pos = [p for p in found if p not in kind_of]
    false_neg = [p for p in kind_of if p not in found]
    rng = random.Random(args.seed)
    fp_examples = rng.sample(false_pos, min(EXAMPLES, len(false_pos)))
    fn_examples = rng.sample(false_neg, min(EXAMPLES, len(false_neg)))
    rows = _describe({i for p in false_pos + false_neg for i in p})

    def fp_category(pair: tuple[int, int]) -> str:
        a, b = rows[pair[0]], rows[pair[1]]
        reasons = "+".join(found[pair][1])
        side = "planted dup ↔ third customer" if pair[1] >= first_dup else "two originals"
        edit = ""
        if a["kind"] == b["kind"] == "company":
            la, lb = len(a["name_key"]), len(b["name_key"])
            edit = ", one char inserted/deleted" if la != lb else ", one char substituted"
            edit += f", key length {min(la, lb)}→{max(la, lb)}"
        return f"{reasons}{edit}; {side}"

    def fn_category(pair: tuple[int, int]) -> str:
        kind = kind_of[pair]
        if pair in result.pairs:
            score = combine(result.pairs[pair].values())
            return (
                f"{kind}: compared, scored {score:.2f} < {MIN_SCORE} ({sorted(result.pairs[pair])})"
            )
        facts = _pair_facts(rows[pair[0]], rows[pair[1]])
        why = "never paired"
        if kind.startswith("company"):
            if rows[pair[0]]["name_key"] == rows[pair[1]]["name_key"]:
                why = "never paired though the name keys are equal (block over MAX_BLOCK?)"
            elif facts["similar_score_if_compared"] == 0:
                why = (
                    f"name keys differ, ratio {facts['key_ratio']} too low"
                    f" (same address: {facts['same_address']})"
                )
            else:
                why = "never compared (not in one block, or block over MAX_BLOCK)"
        return f"{kind}: {why}"

    fp_counts = Counter(fp_category(p) for p in false_pos)
    fn_counts = Counter(fn_category(p) for p in false_neg)

    def example(pair: tuple[int, int], category: str) -> dict[str, Any]:
        a, b = rows[pair[0]], rows[pair[1]]
        score, reasons = found.get(pair, (None, sorted(result.pairs.get(pair, {}))))
        return {
            "pair": list(pair),
            "category": category,
            "planted_kind": kind_of.get(pair),
            "score": score,
            "reasons": reasons,
            "a": a,
            "b": b,
            **_pair_facts(a, b),
        }

    fp_list = [example(p, fp_category(p)) for p in fp_examples]
    fn_list = [example(p, fn_category(p)) for p in fn_examples]

    scan_target = args.db != "sqlite" or scan_seconds < TARGET_SCAN_SECONDS
    checks = {
        "recall": recall >= TARGET_RECALL,
        "precision": precision >= TARGET_PRECISION,
        "scan_seconds": scan_target,
    }
    results: dict[str, Any] = {
        "db": args.db,
        "customers": args.customers + len(planted),
        "originals": args.customers,
        "dup_share": args.dup_share,
        "seed": args.seed,
        "load": load_figures,
        "planted_pairs": len(kind_of),
        "found_pairs": len(found),
        "true_positives": len(hits),
        "recall": recall,
        "precision": precision,
        "scan_seconds": scan_seconds,
        "scan_compared_similar": result.compared,
        "save_seconds": save_seconds,
        "saved_pairs": saved,
        "recall_by_kind": by_kind,
        "false_positive_kinds": dict(fp_counts.most_common()),
        "false_negative_kinds": dict(fn_counts.most_common()),
        "false_positive_examples": fp_list,
        "false_negative_examples": fn_list,
        "targets": {
            "recall": TARGET_RECALL,
            "precision": TARGET_PRECISION,
            "scan_seconds_sqlite": TARGET_SCAN_SECONDS,
        },
        "ok": checks,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"dedupe_{args.db}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str)
    )

    def yes(ok: bool) -> str:
        return "yes" if ok else "NO"

    print(
        f"\nDuplicate scan, {args.customers:,} customers + {len(planted):,} planted duplicates"
        f" on {args.db} (targets: recall ≥ {TARGET_RECALL}, precision ≥ {TARGET_PRECISION},"
        f" scan < {TARGET_SCAN_SECONDS:.0f} s on SQLite)"
    )
    print(f"{'customers':28} {args.customers + len(planted):>12,}")
    print(f"{'planted pairs':28} {len(kind_of):>12,}")
    print(f"{'found pairs (score ≥ 0.6)':28} {len(found):>12,}")
    print(f"{'true positives':28} {len(hits):>12,}")
    print(f"{'recall':28} {recall:>12.4f}  {yes(checks['recall'])}")
    print(f"{'precision':28} {precision:>12.4f}  {yes(checks['precision'])}")
    scan_ok = yes(scan_target) if args.db == "sqlite" else "-"
    print(f"{'scan seconds':28} {scan_seconds:>12.1f}  {scan_ok}")
    print(f"{'save seconds':28} {save_seconds:>12.1f}")
    print(f"{'load seconds':28} {load_figures['load_seconds']:>12.1f}")
    print(f"{'similar-name comparisons':28} {result.compared:>12,}")
    print(f"\n{'planted kind':20} {'planted':>8} {'found':>8} {'recall':>8}")
    for kind, k in by_kind.items():
        print(f"{kind:20} {k['planted']:>8,} {k['found']:>8,} {k['recall']:>8.4f}")
    if fp_counts:
        print(f"\nFalse positives ({len(false_pos):,}) by kind:")
        for category, count in fp_counts.most_common():
            print(f"  {count:>7,}  {category}")
        print(f"Examples ({len(fp_list)}):")
        for item in fp_list:
            print(
                f"  score {item['score']} {item['reasons']} ratio {item['key_ratio']}"
                f" same address {item['same_address']}\n"
                f"    {_fmt(item['a'])}\n    {_fmt(item['b'])}"
            )
    if fn_counts:
        print(f"\nFalse negatives ({len(false_neg):,}) by kind:")
        for category, count in fn_counts.most_common():
            print(f"  {count:>7,}  {category}")
        print(f"Examples ({len(fn_list)}):")
        for item in fn_list:
            print(
                f"  {item['planted_kind']}: {item['category']}; ratio {item['key_ratio']}"
                f" same address {item['same_address']}\n"
                f"    {_fmt(item['a'])}\n    {_fmt(item['b'])}"
            )
    ok = all(checks.values())
    if not ok:
        print("\nTargets missed: " + ", ".join(k for k, v in checks.items() if not v))
    return ok


if __name__ == "__main__":
    main()
