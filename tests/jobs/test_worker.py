"""A real worker (``kehu jobs``) killed with SIGKILL in the middle of sending reminders,
then restarted: every reminder exists once and every e-mail went out exactly once.

The worker runs in its own processes on its own database: a SQLite file in a temporary
folder, or (``KEHU_TEST_POSTGRES=1``) a fresh database in the suite's PostgreSQL
cluster. The e-mail backend (``tests/jobs/mailbox.py``) appends to a file and, the
first time, hangs half-way through the fifth e-mail so the kill lands mid-send.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kehu.followups.models import Notification, Task
from kehu.jobs.models import JobRun
from tests.jobs.mailbox import mailbox_read

ROOT = Path(__file__).resolve().parents[2]
TASKS = 10
SENT_BEFORE_THE_KILL = 4


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    cluster_url = getattr(request.config, "_kehu_pg_url", None)
    assert (cluster_url is not None) == (os.environ.get("KEHU_TEST_POSTGRES") == "1")
    if cluster_url is None:
        yield f"sqlite:///{tmp_path / 'worker.sqlite3'}"
        return
    import psycopg

    name = f"kehu_worker_{secrets.token_hex(4)}"
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield cluster_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(cluster_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEHU_", "DJANGO_"))}
    env.update(
        {
            "KEHU_ENV": "test",
            "KEHU_JOBS_IMMEDIATE": "false",
            "KEHU_VAR_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "KEHU_EMAIL_BACKEND": "tests.jobs.mailbox.EmailBackend",
            "KEHU_TEST_MAILBOX": str(tmp_path / "mailbox.jsonl"),
            "DJANGO_SETTINGS_MODULE": "kehu.settings",
            **extra,
        }
    )
    return env


def _seed(env: dict[str, str]) -> None:
    code = (
        f"import django; django.setup(); from tests.jobs.worker_helpers import seed; seed({TASKS})"
    )
    # Migrating a fresh database took over 60 s with the 2-core machine at load 10.
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr


def _sql(database_url: str, query: str) -> list[tuple[Any, ...]]:
    """Plain SQL on the worker's database (cheaper than another Django process)."""
    if database_url.startswith("sqlite:///"):
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db, db:
            return db.execute(query).fetchall()
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as db:
        cursor = db.execute(query)
        return cursor.fetchall() if cursor.description else []


def _state(database_url: str) -> dict[str, Any]:
    notes, tasks, runs = (
        Notification._meta.db_table,
        Task._meta.db_table,
        JobRun._meta.db_table,
    )

    def count(where: str) -> int:
        return int(_sql(database_url, f"SELECT COUNT(*) FROM {notes} WHERE {where}")[0][0])

    per_task = _sql(
        database_url,
        f"SELECT t.id, COUNT(n.id) FROM {tasks} t LEFT JOIN {notes} n ON n.task_id = t.id "
        "GROUP BY t.id",
    )
    statuses = _sql(
        database_url, f"SELECT status FROM {runs} WHERE name = 'reminders' ORDER BY started_at"
    )
    return {
        "notifications_per_task": sorted({n for _task, n in per_task}),
        "tasks": len(per_task),
        "emailed": count("emailed_at IS NOT NULL"),
        "claimed_not_emailed": count("emailed_at IS NULL AND email_claimed_at IS NOT NULL"),
        "runs": [status for (status,) in statuses],
    }


def _lease_passes(database_url: str) -> None:
    """As if the restart came more than the lease later: age the unsent claims."""
    _sql(
        database_url,
        f"UPDATE {Notification._meta.db_table} SET email_claimed_at = '2000-01-01 00:00:00' "
        "WHERE emailed_at IS NULL AND email_claimed_at IS NOT NULL",
    )


def _worker(env: dict[str, str], log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kehu.cli", "jobs", "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for(done: Callable[[], bool], log: Path, seconds: float = 60) -> None:
    # A deadline for "eventually", not a speed claim: on a loaded 2-core machine a worker
    # process took more than 15 s to import Django and write its first log line.
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out; worker log:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)


def test_a_worker_killed_mid_send_and_restarted_sends_each_reminder_exactly_once(
    tmp_path, database_url
):
    env = _env(tmp_path, database_url)
    box = tmp_path / "mailbox.jsonl"
    log = tmp_path / "worker.log"
    _seed(env)

    # The first worker hangs half-way through its fifth e-mail; kill -9 it there.
    first = _worker({**env, "KEHU_TEST_MAIL_STALL_AFTER": str(SENT_BEFORE_THE_KILL)}, log)
    try:
        _wait_for(box.with_suffix(".stalled").exists, log)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    before = _state(database_url)
    assert len(mailbox_read(box)) == SENT_BEFORE_THE_KILL
    assert before["notifications_per_task"] == [1] and before["tasks"] == TASKS
    assert before["emailed"] == SENT_BEFORE_THE_KILL
    assert before["claimed_not_emailed"] == 1  # the one it was sending
    assert before["runs"] == ["running"]  # the dead worker could not say it ended
    _lease_passes(database_url)

    # Restarted (more than the lease later): it finishes the job and stops cleanly.
    second = _worker(env, log)
    try:
        _wait_for(lambda: len(mailbox_read(box)) >= TASKS, log)
        time.sleep(0.3)  # room for a (wrong) extra e-mail to show up
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, log.read_text(errors="replace")

    after = _state(database_url)
    sent = Counter(mailbox_read(box))
    assert len(sent) == TASKS and set(sent.values()) == {1}, sent
    assert after["notifications_per_task"] == [1]  # one per task, none missing
    assert after["emailed"] == TASKS and after["claimed_not_emailed"] == 0
    assert after["runs"][0] == "interrupted" and after["runs"][1:] == ["ok"] * (
        len(after["runs"]) - 1
    )


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        redis.terminate()
        redis.wait(timeout=10)


def test_two_workers_on_one_redis_send_each_reminder_once(tmp_path, database_url, redis_url):
    """Several machines: two workers, one Redis, one database. Both enqueue the reminder
    job when they start; it runs once, and every e-mail goes out once."""
    env = _env(tmp_path, database_url, KEHU_REDIS_URL=redis_url, KEHU_TEST_MAIL_DELAY="0.05")
    box = tmp_path / "mailbox.jsonl"
    log = tmp_path / "worker.log"
    _seed(env)
    workers = [_worker(env, log, workers=2), _worker(env, log, workers=2)]
    try:
        _wait_for(lambda: len(mailbox_read(box)) >= TASKS, log)
        time.sleep(1)  # room for a (wrong) second round
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
    assert codes == [0, 0], log.read_text(errors="replace")
    sent = Counter(mailbox_read(box))
    assert len(sent) == TASKS and set(sent.values()) == {1}, sent
    state = _state(database_url)
    assert state["notifications_per_task"] == [1] and state["emailed"] == TASKS
    assert "Kehu jobs: Redis 127.0.0.1" in log.read_text(errors="replace")
    # Once per minute slot: a second "ok" run only if the workers started a minute apart.
    assert state["runs"].count("ok") in (1, 2) and "running" not in state["runs"]
