"""The apps' layers and the acyclic modules (``[tool.importlinter]`` in pyproject.toml)
hold in the suite too, not only in ``make lint``: an import from a layer above, lazy
or not, or a circle between the modules of an app fails here."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    code = lint_imports(
        config_filename=os.fspath(ROOT / "pyproject.toml"),
        cache_dir=os.fspath(tmp_path),
        no_logo=True,
    )
    assert code == 0, "lint-imports found a broken contract (run `.venv/bin/lint-imports`)"
