"""A throwaway PostgreSQL cluster for the test suite (see ENVIRONMENT.md).

``KEHU_TEST_POSTGRES=1 pytest`` starts one in a temporary folder, points Django at
it before any connection is made, and stops it at the end. Under ``CI=true`` a
cluster that cannot start is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("KEHU_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def cluster_start(extra: tuple[str, ...] = ()) -> Cluster:
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN}")
    folder = Path(tempfile.mkdtemp(prefix="kehu-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        **run,  # type: ignore[call-overload]
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        + " ".join(extra)
    )
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                "30",
                "-o",
                options,
                "start",
            ]
        ),
        **run,  # type: ignore[call-overload]
    )
    return Cluster(folder=folder, port=port)


def cluster_stop(cluster: Cluster) -> None:
    subprocess.run(
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(cluster.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ]
        ),
        capture_output=True,
        check=False,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)
