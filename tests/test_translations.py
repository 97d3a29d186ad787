"""English is complete: every message in the catalogue has a translation."""

from __future__ import annotations

import re
from pathlib import Path

import kehu

PO = Path(kehu.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[tuple[str, str]]:
    entries = []
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            entries.append(("fuzzy", ""))
        msgid = re.search(r'^msgid (".*"(?:\n".*")*)', block, re.M)
        if not msgid:
            continue
        strs = re.findall(r'^msgstr(?:\[\d\])? (".*"(?:\n".*")*)', block, re.M)
        joined = "".join(re.findall(r'"(.*)"', msgid.group(1)))
        if not joined:
            continue  # the header
        for value in strs:
            entries.append((joined, "".join(re.findall(r'"(.*)"', value))))
    return entries


def test_every_message_has_an_english_translation():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 150
    missing = [msgid for msgid, msgstr in entries if not msgstr.strip()]
    assert not missing, f"untranslated: {missing[:10]}"
