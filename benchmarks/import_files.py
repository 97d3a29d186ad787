"""The customer file of issue 19's import figures, as ``.xlsx`` and as GBK CSV.

    python benchmarks/import_files.py OUT_DIR [--rows 100000] [--existing-phones FILE]
        [--bad-share 0.05] [--dup-share 0.02] [--seed 7]

12 columns (:data:`HEADERS`) as a business keeps them: phones mostly stored as numbers
in the workbook (some as text with +86, spaces or dashes), birthdays as date cells or
text dates, 性别 as 男/女/先生/女士/M/F, 来源 in words, several tags in one cell.

``bad_share`` of the rows have one thing wrong (:data:`BAD_KINDS`: no name, a phone
that is no number, a phone lost to scientific notation, an impossible date, a broken
e-mail, an unknown gender, a name too long); ``dup_share`` carry the phone of an
existing customer (taken from ``existing_phones``, E.164 or national digits, one a line
in the file given) — when none are given, of an earlier row of the file. Every other
phone is unique. :func:`write_files` returns what was planted, for the import bench to
check its counts against.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import benchmarks.harness  # noqa: F401  (puts src/ on the path)
from kehu.demo import names

HEADERS = [
    "客户名称",
    "手机",
    "邮箱",
    "性别",
    "生日",
    "省份",
    "城市",
    "公司",
    "来源",
    "标签",
    "备注",
    "负责人",
]
GENDERS = ["男", "女", "男", "女", "先生", "女士", "M", "F", ""]
SOURCES = ["官网", "展会", "客户推荐", "电话营销", "电商平台", "经销商", "线下活动", "社交媒体", ""]
NOTES = ["", "", "", "老客户介绍", "对价格敏感，需跟进", "上次购买：茶叶礼盒", "要求开增值税发票"]
BAD_KINDS = [
    "no_name",
    "bad_phone",
    "scientific_phone",
    "bad_date",
    "bad_email",
    "bad_gender",
    "long_name",
]
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "example.cn"]


@dataclass
class Planted:
    rows: int = 0
    bad: dict[str, int] = field(default_factory=dict)  # kind → rows
    duplicates: int = 0  # rows with the phone of an existing customer (or earlier row)
    bad_rows: list[int] = field(default_factory=list)  # 0-based data row indexes
    duplicate_rows: list[int] = field(default_factory=list)


def _national(phone: str) -> str:
    phone = phone.strip()
    return phone[3:] if phone.startswith("+86") else phone.lstrip("+")


def customer_rows(
    n: int,
    *,
    existing_phones: Sequence[str] = (),
    bad_share: float = 0.05,
    dup_share: float = 0.02,
    seed: int = 7,
    planted: Planted | None = None,
) -> Iterator[list[object]]:
    """``n`` rows of 12 cells (workbook cell types: phones as ``int``, birthdays as
    ``date`` or text)."""
    rng = random.Random(seed)
    planted = planted if planted is not None else Planted()
    planted.rows = n
    indexes = list(range(n))
    rng.shuffle(indexes)
    n_bad, n_dup = round(n * bad_share), round(n * dup_share)
    bad = set(indexes[:n_bad])
    dup = set(indexes[n_bad : n_bad + n_dup])
    existing = {_national(p) for p in existing_phones}
    used: set[str] = set(existing)
    written: list[str] = []
    surnames = [s for s, _w in names.SURNAMES]
    weights = [w for _s, w in names.SURNAMES]
    provinces = list(names.REGIONS)
    owners = [f"sales{i:02d}" for i in range(1, 21)]
    existing_list = sorted(existing)
    for i in range(n):
        name = rng.choices(surnames, weights)[0] + "".join(
            rng.choice(names.GIVEN_CHARS) for _ in range(1 if rng.random() < 0.35 else 2)
        )
        if i in dup and (existing_list or written):
            national = rng.choice(existing_list or written)
            planted.duplicates += 1
            planted.duplicate_rows.append(i)
        else:
            while True:
                national = rng.choice(names.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if national not in used:
                    used.add(national)
                    break
            written.append(national)
        phone: object = int(national)
        style = rng.random()
        if style < 0.1:
            phone = f"+86 {national[:3]} {national[3:7]} {national[7:]}"
        elif style < 0.2:
            phone = f"{national[:3]}-{national[3:7]}-{national[7:]}"
        email = f"{_pinyinish(rng)}{rng.randrange(1000)}@{rng.choice(EMAIL_DOMAINS)}"
        if rng.random() < 0.4:
            email = ""
        birthday: object = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
        if rng.random() < 0.3:
            b = birthday
            assert isinstance(b, dt.date)
            birthday = rng.choice(
                [
                    f"{b.year}/{b.month}/{b.day}",
                    f"{b.year}年{b.month}月{b.day}日",
                    b.strftime("%Y%m%d"),
                ]
            )
        elif rng.random() < 0.3:
            birthday = ""
        province = rng.choice(provinces)
        city = rng.choice(list(names.REGIONS[province]))
        company = ""
        if rng.random() < 0.3:
            brand = "".join(rng.sample(names.BRAND_CHARS, 2))
            trade = rng.choice(names.COMPANY_TRADES)[0]
            company = f"{city.removesuffix('市')}{brand}{trade}{rng.choice(names.COMPANY_SUFFIXES)}"
        tags = "、".join(rng.sample(names.TAGS, rng.choice([0, 0, 1, 1, 2])))
        row: list[object] = [
            name, phone, email, rng.choice(GENDERS), birthday, province, city, company,
            rng.choice(SOURCES), tags, rng.choice(NOTES), rng.choice(owners),
        ]  # fmt: skip
        if i in bad:
            kind = rng.choice(BAD_KINDS)
            planted.bad[kind] = planted.bad.get(kind, 0) + 1
            planted.bad_rows.append(i)
            if kind == "no_name":
                row[0] = ""
            elif kind == "bad_phone":
                row[1] = rng.choice(["123", "电话待补", "138001380", "0000000"])
            elif kind == "scientific_phone":
                row[1] = f"{int(national) / 10**10:.2f}E+10"
            elif kind == "bad_date":
                row[4] = rng.choice(["2024-02-30", "1990/13/1", "去年", "19901341"])
            elif kind == "bad_email":
                row[2] = rng.choice(["zhang@", "无", "wang.qq.com"])
            elif kind == "bad_gender":
                row[3] = rng.choice(["未说", "X", "保密的"])
            else:
                row[0] = name * 100
        yield row


def _pinyinish(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghjklmnopqrstwxyz") for _ in range(rng.randrange(4, 9)))


def write_xlsx(path: Path, rows: Iterator[list[object]]) -> None:
    """A workbook as openpyxl's write-only mode streams it (memory stays flat)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def write_csv(path: Path, rows: Iterator[list[object]], encoding: str = "gbk") -> None:
    """A CSV as Excel saves it on a Chinese Windows (GBK, CRLF); a character GBK lacks
    becomes “?” as Excel does."""
    with path.open("w", encoding=encoding, errors="replace", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow(["" if cell is None else _csv_text(cell) for cell in row])


def _csv_text(cell: object) -> str:
    if isinstance(cell, dt.date):
        return f"{cell.year}/{cell.month}/{cell.day}"  # Excel's short date on zh-CN
    return str(cell)


def write_files(
    out_dir: Path,
    rows: int = 100_000,
    *,
    existing_phones: Sequence[str] = (),
    bad_share: float = 0.05,
    dup_share: float = 0.02,
    seed: int = 7,
) -> tuple[Path, Path, Planted]:
    """``customers.xlsx`` and ``customers_gbk.csv`` (the same rows) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    options = {
        "existing_phones": existing_phones,
        "bad_share": bad_share,
        "dup_share": dup_share,
        "seed": seed,
    }
    planted = Planted()
    xlsx, gbk = out_dir / "customers.xlsx", out_dir / "customers_gbk.csv"
    write_xlsx(xlsx, customer_rows(rows, planted=planted, **options))  # type: ignore[arg-type]
    write_csv(gbk, customer_rows(rows, **options))  # type: ignore[arg-type]
    return xlsx, gbk, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing-phones", type=Path)
    parser.add_argument("--bad-share", type=float, default=0.05)
    parser.add_argument("--dup-share", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    phones = args.existing_phones.read_text().split() if args.existing_phones else []
    xlsx, gbk, planted = write_files(
        args.out_dir, args.rows, existing_phones=phones, bad_share=args.bad_share,
        dup_share=args.dup_share, seed=args.seed,
    )  # fmt: skip
    summary = {"xlsx": str(xlsx), "csv": str(gbk), "rows": planted.rows, "bad": planted.bad,
               "duplicates": planted.duplicates}  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
