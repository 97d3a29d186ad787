"""Suite-wide setup: the PostgreSQL harness and the browser.

Lives at the root so it runs before Django opens a connection.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KEHU_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_cluster = None


def pytest_configure(config: pytest.Config) -> None:
    global _cluster
    if os.environ.get("KEHU_TEST_POSTGRES") != "1":
        return
    import dj_database_url
    from django.conf import settings
    from django.db import connections
    from tests.pg_harness import cluster_start

    try:
        _cluster = cluster_start()
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI") == "true":
            raise pytest.UsageError(f"PostgreSQL could not start: {exc}") from exc
        raise pytest.UsageError(
            f"KEHU_TEST_POSTGRES=1 but PostgreSQL could not start: {exc}"
        ) from exc
    settings.DATABASES["default"] = dj_database_url.parse(_cluster.url, conn_max_age=0)
    settings.DATABASES["default"]["TEST"] = {"NAME": "kehu_test"}
    # Forget any connection made while Django started (it would still be SQLite).
    from asgiref.local import Local

    connections.__dict__.pop("settings", None)
    connections._connections = Local(connections.thread_critical)
    config._kehu_pg_url = _cluster.url  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _cluster is not None:
        from tests.pg_harness import cluster_stop

        cluster_stop(_cluster)


def pytest_report_header(config: pytest.Config) -> str:
    from django.db import connection

    return f"kehu database: {connection.vendor}"


@pytest.fixture(autouse=True, scope="session")
def _database_is_the_one_asked_for() -> None:
    """KEHU_TEST_POSTGRES=1 must really run on PostgreSQL, not fall back silently."""
    from django.db import connection

    wanted = "postgresql" if os.environ.get("KEHU_TEST_POSTGRES") == "1" else "sqlite"
    assert connection.vendor == wanted, f"suite asked for {wanted}, got {connection.vendor}"
