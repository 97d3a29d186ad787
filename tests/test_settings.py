"""The environment switches: production hardening and strict parsing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KEHU = [sys.executable, "-m", "kehu.cli"]


def kehu(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    clean.update(env)
    return subprocess.run(
        [*KEHU, *args], capture_output=True, text=True, env=clean, cwd=ROOT, timeout=120
    )


def test_production_mode_passes_the_deploy_check(tmp_path):
    result = kehu(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        KEHU_ENV="production",
        KEHU_SECRET_KEY="x" * 30 + "-a-long-random-production-secret-key-value",
        KEHU_ALLOWED_HOSTS="crm.example.com",
        KEHU_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret(tmp_path):
    result = kehu(
        "check",
        KEHU_ENV="production",
        KEHU_ALLOWED_HOSTS="crm.example.com",
        KEHU_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "KEHU_SECRET_KEY" in result.stderr


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    assert kehu("check", KEHU_VAR_DIR=str(tmp_path)).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert kehu("check", KEHU_VAR_DIR=str(tmp_path)).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_junk_booleans_are_refused(tmp_path, value):
    result = kehu("check", KEHU_DEBUG=value, KEHU_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "KEHU_DEBUG" in result.stderr


def test_passwords_are_hashed_with_argon2(tmp_path):
    result = kehu(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        KEHU_VAR_DIR=str(tmp_path),
    )
    assert result.stdout.strip().endswith("Argon2PasswordHasher"), result.stderr
