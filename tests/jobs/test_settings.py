"""Which queue the settings build: SQLite in var/ by default, Redis from KEHU_REDIS_URL,
inline in the suite. Each case starts a fresh process (settings are read once); no
Redis server is needed to build the settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
from huey.contrib.djhuey import HUEY
storage = HUEY.storage
print(json.dumps({
    "class": type(HUEY).__name__,
    "name": HUEY.name,
    "immediate": HUEY.immediate,
    "results": HUEY.results,
    "utc": HUEY.utc,
    "filename": getattr(storage, "filename", None),
    "redis": {k: v for k, v in getattr(storage, "pool", None).connection_kwargs.items()
              if k in ("host", "port", "db", "password")} if hasattr(storage, "pool") else None,
    "workers": settings.HUEY["consumer"]["workers"],
    "periodic": settings.HUEY["consumer"]["periodic"],
}))
"""


def huey_for(tmp_path: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "kehu.settings", "KEHU_VAR_DIR": str(tmp_path), **env})
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=clean,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_by_default_the_queue_is_a_sqlite_file_in_the_var_dir(tmp_path):
    huey = huey_for(tmp_path)
    assert huey["class"] == "SqliteHuey"
    assert huey["filename"] == str(tmp_path / "jobs.sqlite3")
    assert (tmp_path / "jobs.sqlite3").exists()
    assert huey["immediate"] is False
    assert (huey["results"], huey["utc"]) == (False, True)
    assert (huey["workers"], huey["periodic"]) == (2, True)


def test_with_kehu_redis_url_the_queue_is_redis(tmp_path):
    huey = huey_for(
        tmp_path,
        KEHU_REDIS_URL="redis://:s3cret@redis.internal:6380/3",
        KEHU_JOBS_WORKERS="4",
        KEHU_JOBS_PERIODIC="false",
    )
    assert huey["class"] == "RedisHuey"
    assert huey["name"] == "kehu"
    redis = huey["redis"]
    assert isinstance(redis, dict)
    assert redis == {"host": "redis.internal", "port": 6380, "db": 3, "password": "s3cret"}
    assert not (tmp_path / "jobs.sqlite3").exists()
    assert (huey["workers"], huey["periodic"]) == (4, False)


def test_the_suite_runs_jobs_inline_and_a_test_can_turn_that_off(tmp_path):
    from huey.contrib.djhuey import HUEY

    assert HUEY.immediate is True  # this process: KEHU_ENV=test
    assert huey_for(tmp_path, KEHU_ENV="test", KEHU_JOBS_IMMEDIATE="false")["immediate"] is False
