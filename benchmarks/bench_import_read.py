"""Reading an import file: python-calamine against openpyxl, and the CSV reader.

    python benchmarks/bench_import_read.py [--rows 100000] [--keep DIR]

Writes issue 19's customer file (``benchmarks/import_files.py``: 12 columns, 5 % bad
rows) as ``.xlsx`` and as GBK CSV, then reads every row in a fresh process each,
side by side in one run:

* ``openpyxl``: ``load_workbook(read_only=True, data_only=True)`` and
  ``iter_rows(values_only=True)`` — the streaming mode;
* ``calamine``: python-calamine's ``get_sheet_by_name(...).iter_rows()``;
* ``table/openpyxl`` and ``table/calamine``: the product's ``open_table`` on each
  engine (header detection, empty cells to ``None``, ``Row`` objects);
* ``table/csv-gbk``: ``open_table`` on the GBK CSV (encoding detection, sniffing);
* ``floor/csv``: a bare ``csv.reader`` over the same CSV decoded as GB18030.

Prints rows/s, the time to the first row, and each process's peak memory (VmHWM),
with each rate as a share of the fastest workbook reader (and the memory of the
process before it read: Python, Django without apps, the libraries); writes
benchmarks/results/import_read.json. Target (issue 19: the import's peak memory under
500 MB): every product reader (``table/*``) under 250 MB at 100,000 rows, leaving the
rest for the pipeline. Exits non-zero when that is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, ROOT, run_measured

TARGET_PEAK_MB = 250.0
READERS = ["openpyxl", "calamine", "table/openpyxl", "table/calamine", "table/csv-gbk", "floor/csv"]


def _read(reader: str, xlsx: Path, csv_path: Path) -> tuple[int, float]:
    """Rows read and seconds to the first row."""
    started = time.perf_counter()
    first = 0.0
    count = 0
    if reader == "openpyxl":
        import openpyxl

        workbook = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
        for _row in workbook.worksheets[0].iter_rows(values_only=True):
            count += 1
            if count == 1:
                first = time.perf_counter() - started
        workbook.close()
    elif reader == "calamine":
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(str(xlsx))
        for _row in workbook.get_sheet_by_name(workbook.sheet_names[0]).iter_rows():
            count += 1
            if count == 1:
                first = time.perf_counter() - started
    elif reader == "floor/csv":
        import csv

        with csv_path.open(encoding="gb18030", newline="") as handle:
            for _row in csv.reader(handle):
                count += 1
                if count == 1:
                    first = time.perf_counter() - started
    else:
        from kehu.imports.readers import open_table, workbook

        workbook.XLSX_ENGINE = reader.removeprefix("table/")
        path = csv_path if reader == "table/csv-gbk" else xlsx
        table = open_table(path)
        count = 1  # the header
        for _row in table.rows:
            count += 1
            if count == 2:
                first = time.perf_counter() - started
    return count, first


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(reader: str, xlsx: Path, csv_path: Path, out: Path) -> None:
    """Read in this process. The readers need settings and gettext only: Django is set
    up with no apps, so the peak is the reader's (a full ``django.setup()`` of Kehu
    imports scipy for the value models and starts at some 200 MB)."""
    import django
    from django.conf import settings

    settings.configure(KEHU_IMPORT_MAX_BYTES=200 * 1024 * 1024, KEHU_DEFAULT_REGION="CN")
    django.setup()
    import csv  # noqa: F401

    import openpyxl  # noqa: F401
    import python_calamine  # noqa: F401

    import kehu.imports.readers.text
    import kehu.imports.readers.workbook  # noqa: F401

    baseline = _rss_mb()
    started = time.perf_counter()
    rows, first = _read(reader, xlsx, csv_path)
    seconds = time.perf_counter() - started
    result = {"rows": rows, "seconds": seconds, "first_row_s": first, "baseline_mb": baseline}
    out.write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the files here")
    parser.add_argument("--child", nargs=4, metavar=("READER", "XLSX", "CSV", "OUT"))
    args = parser.parse_args()
    if args.child:
        reader, xlsx, csv_path, out = args.child
        child(reader, Path(xlsx), Path(csv_path), Path(out))
        return

    from benchmarks.import_files import write_files

    with tempfile.TemporaryDirectory(prefix="kehu-bench-read-") as tmp:
        folder = args.keep or Path(tmp)
        xlsx, csv_path = folder / "customers.xlsx", folder / "customers_gbk.csv"
        if not (xlsx.exists() and csv_path.exists()):
            started = time.perf_counter()
            write_files(folder, args.rows)
            print(
                f"wrote {args.rows:,} rows as .xlsx and GBK CSV"
                f" in {time.perf_counter() - started:.1f} s"
            )
        results: dict[str, dict[str, float]] = {}
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        for reader in READERS:
            out = Path(tmp) / f"{reader.replace('/', '_')}.json"
            cmd = [sys.executable, __file__, "--child", reader, str(xlsx), str(csv_path), str(out)]
            _wall, peak = run_measured(cmd, env=env)
            result = json.loads(out.read_text())
            result["rows_per_s"] = result["rows"] / result["seconds"]
            result["peak_mb"] = peak
            results[reader] = result
    fastest = max(results[r]["rows_per_s"] for r in ("openpyxl", "calamine"))
    print(f"\nReading {args.rows:,} rows × 12 columns (one process each)")
    print(
        f"{'reader':<16}{'rows':>9}{'seconds':>9}{'rows/s':>10}{'vs best':>9}"
        f"{'1st row':>9}{'peak MB':>9}{'base MB':>9}"
    )
    for reader, r in results.items():
        print(
            f"{reader:<16}{r['rows']:>9,}{r['seconds']:>9.2f}{r['rows_per_s']:>10,.0f}"
            f"{r['rows_per_s'] / fastest:>9.2f}{r['first_row_s']:>9.2f}{r['peak_mb']:>9.0f}"
            f"{r['baseline_mb']:>9.0f}"
        )
    winner = max(("openpyxl", "calamine"), key=lambda r: results[r]["rows_per_s"])
    print(f"faster for .xlsx: {winner}")
    ok = all(
        r["peak_mb"] < TARGET_PEAK_MB for name, r in results.items() if name.startswith("table/")
    )
    print(f"peak memory of every table reader < {TARGET_PEAK_MB:.0f} MB: {'yes' if ok else 'NO'}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import_read.json").write_text(
        json.dumps({"rows": args.rows, "readers": results, "faster": winner}, indent=2)
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
