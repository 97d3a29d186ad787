"""Text files (``.csv``, ``.tsv``, ``.txt``): the encoding detected on a sample, the
delimiter sniffed, then the file decoded and parsed as a stream.

Files arrive in UTF-8, UTF-8 with a BOM (what Excel writes for “CSV UTF-8”), GBK or
GB18030 (Excel's plain “CSV” on a Chinese Windows), now and then UTF-16 (Excel's
“Unicode text”). GBK and GB2312 are read as GB18030, their superset. A byte that does
not decode past the sample becomes U+FFFD, which :func:`kehu.imports.values.as_text`
reports for its row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Generator, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from kehu.imports.readers import Cell, FileRejected, Row, Table
from kehu.imports.readers.headers import (
    SCAN_ROWS,
    clean_headers,
    find_header,
    fit,
    is_empty,
    table_width,
)

SAMPLE_BYTES = 256 * 1024
FIELD_LIMIT = 16 * 1024 * 1024  # one cell; a 100,000-character note is fine
DELIMITERS = (",", "\t", ";", "|")
CHINESE = {"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn"}

csv.field_size_limit(FIELD_LIMIT)


def _cut_sample(sample: bytes, complete: bool) -> bytes:
    """The sample up to its last line break, so no character is cut in two."""
    if complete:
        return sample
    end = sample.rfind(b"\n")
    return sample[: end + 1] if end > 0 else sample


def detect_encoding(path: Path) -> str:
    """The codec to read ``path`` with; ``FileRejected`` when it is not text."""
    with path.open("rb") as handle:
        raw = handle.read(SAMPLE_BYTES + 1)
    complete = len(raw) <= SAMPLE_BYTES
    raw = raw[:SAMPLE_BYTES]
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = _cut_sample(raw, complete)
    if not complete and sample.isascii():
        sample += _first_non_ascii_lines(path, len(sample))
    if b"\x00" in sample:
        raise FileRejected(_("这个文件不是文本文件（CSV），无法读取。"))
    encoding = _guess(sample)
    text = sample.decode(encoding) if encoding else ""
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\r\n\t\x0c")
    if not text or controls > len(text) / 100:
        raise FileRejected(_("无法识别文件的文字编码：请在 Excel 中另存为“CSV UTF-8”后再导入。"))
    return encoding


def _first_non_ascii_lines(path: Path, start: int) -> bytes:
    """The lines around the first byte past ``start`` that is not ASCII (a file whose
    first rows are all ASCII says nothing of its encoding), or ``b""``."""
    with path.open("rb") as handle:
        handle.seek(start)
        while chunk := handle.read(SAMPLE_BYTES):
            if not chunk.isascii():
                first = next(i for i, byte in enumerate(chunk) if byte > 0x7F)
                begin = chunk.rfind(b"\n", 0, first) + 1
                window = chunk[begin:] + handle.read(64 * 1024)
                end = window.rfind(b"\n")
                return window[: end + 1] if end > 0 else window
    return b""


def _guess(sample: bytes) -> str:
    """UTF-8 when the sample is valid UTF-8 (GBK text almost never is), else GB18030
    when it decodes so, else what charset-normalizer finds; "" when nothing fits."""
    for encoding in ("utf-8", "gb18030"):
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return ""
    encoding = best.encoding.lower()
    encoding = "gb18030" if encoding in CHINESE else encoding
    try:
        sample.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return ""
    return encoding


def sniff_delimiter(lines: list[str], suffix: str) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of fields
    most often; a tab for ``.tsv`` when in doubt, else a comma."""
    best, best_score = ("\t" if suffix == ".tsv" else ","), (0.0, 0)
    text = "".join(lines)
    for delimiter in DELIMITERS:
        if delimiter not in text:
            continue
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))[: SCAN_ROWS * 2]
        counts = Counter(len(record) for record in records if any(f.strip() for f in record))
        if not counts:
            continue
        width, seen = counts.most_common(1)[0]
        if width < 2:
            continue
        score = (seen / sum(counts.values()), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def open_text_table(path: Path) -> Table:
    encoding = detect_encoding(path)
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as handle:
            first_lines = [line for _i, line in zip(range(SCAN_ROWS * 2), handle, strict=False)]
    except (LookupError, UnicodeError):
        raise FileRejected(
            _("无法识别文件的文字编码：请在 Excel 中另存为“CSV UTF-8”后再导入。")
        ) from None
    delimiter = sniff_delimiter(first_lines, path.suffix.lower())
    handle = path.open(encoding=encoding, errors="replace", newline="")
    reader = csv.reader(handle, delimiter=delimiter)

    def records() -> Generator[tuple[int, list[Cell]], None, None]:
        line = 0
        try:
            for record in reader:
                start, line = line + 1, reader.line_num
                yield start, [field if field.strip() else None for field in record]
        except csv.Error as error:
            raise FileRejected(
                _("第 %(line)s 行附近的格式有误，无法继续读取（%(error)s）。")
                % {"line": reader.line_num, "error": error}
            ) from None
        finally:
            handle.close()

    raw = records()
    try:
        head = [record for _i, record in zip(range(SCAN_ROWS), raw, strict=False)]
    except FileRejected:
        handle.close()
        raise
    found = find_header([cells for _n, cells in head])
    if found is None:
        raw.close()
        raise FileRejected(_("文件是空的：没有任何数据。"))
    header_number, header_cells = head[found]
    width = table_width(header_cells, [cells for _n, cells in head[found + 1 :]])
    headers = clean_headers(header_cells, width)

    def rows() -> Iterator[Row]:
        try:
            for number, cells in head[found + 1 :]:
                if not is_empty(cells):
                    yield Row(number, fit(cells, width))
            for number, cells in raw:
                if not is_empty(cells):
                    yield Row(number, fit(cells, width))
        finally:
            raw.close()

    total = _estimate_rows(path, sum(len(line) for line in first_lines), len(first_lines))
    return Table(
        headers=headers,
        header_row=header_number,
        rows=rows(),
        total=max(total - header_number, 0) if total is not None else None,
        sheet=None,
        kind="csv",
        encoding=encoding,
    )


def _estimate_rows(path: Path, sample_chars: int, sample_lines: int) -> int | None:
    """Lines in the file, from its size and the sample's average line (an estimate
    for the progress bar; exact for a small file)."""
    if not sample_lines:
        return None
    size = path.stat().st_size
    if size <= SAMPLE_BYTES:
        with path.open("rb") as handle:
            return sum(1 for _line in handle)
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    lines = head.count(b"\n") or 1
    return round(size / (len(head) / lines))
