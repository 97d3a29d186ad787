"""The benchmark's customer file (benchmarks/import_files.py) is what it says it is."""

from __future__ import annotations

from pathlib import Path

from benchmarks.import_files import HEADERS, write_files

from kehu.imports.readers import open_table
from kehu.imports.values import BadValue, as_phone


def test_the_generated_files_plant_what_they_report(tmp_path: Path) -> None:
    existing = ["+8613800138000", "13900139000", "+8613700137000"]
    xlsx, gbk, planted = write_files(tmp_path, 1000, existing_phones=existing)
    assert planted.rows == 1000 and sum(planted.bad.values()) == 50
    assert planted.duplicates == 20
    for path, encoding in ((xlsx, None), (gbk, "gb18030")):
        table = open_table(path)
        assert table.headers == HEADERS and table.encoding == encoding
        rows = list(table.rows)
        assert len(rows) == 1000
        known = {as_phone(p) for p in existing}
        phones: dict[str, int] = {}
        for index, row in enumerate(rows):
            try:
                phone = as_phone(row.cells[1])
            except BadValue:
                assert index in planted.bad_rows
                continue
            phones[phone] = phones.get(phone, 0) + 1
            if index in planted.duplicate_rows:
                assert phone in known
        assert all(count == 1 for phone, count in phones.items() if phone not in known)
