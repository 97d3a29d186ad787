"""The public lead form under load: submissions at a fixed rate for a while against a
real server (gunicorn, loopback), every tenth one sent a second time with the same
client token (a double click, a retry after a timeout).

    python benchmarks/bench_lead_form.py --db sqlite|postgres [--rate 200] [--seconds 30]
                                         [--workers 3] [--clients 32]

The load is open-loop: submission i is due at ``i / rate`` seconds, whatever the answers
before it, so a slow server shows as latency and a late finish, not as a lower rate
asked for. Each submission comes from its own client address (``X-Forwarded-For`` with
``KEHU_PROXY_COUNT=1``, as behind nginx): the per-address rate limit stays on at its
default, and is checked at the end from one address.

Checks, from the database after the run: every submission answered 200 and is there
(nothing lost), every repeated token made no second lead (no duplicate), and the rate
achieved. Prints a table and writes benchmarks/results/lead_form_<db>.json; exits
non-zero when something is lost or duplicated or the rate was not kept.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, bench_database, percentile

PATH = "/leads/form/?channel=website"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _submit(port: int, token: str, number: int) -> tuple[int, float]:
    body = urllib.parse.urlencode(
        {
            "name": f"访客{number}",
            "phone": f"139{number:08d}",
            "city": "杭州",
            "token": token,
            "website": "",
        }
    )
    address = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            PATH,
            body=body,
            headers={
                "Host": "localhost",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": address,
            },
        )
        response = connection.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 0
    finally:
        connection.close()
    return status, (time.perf_counter() - started) * 1000


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the gunicorn master and its workers so far."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server did not start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/leads/form/", headers={"Host": "localhost"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer within 60 s")


def load(port: int, rate: float, seconds: float, clients: int) -> dict[str, Any]:
    """Send ``rate * seconds`` submissions on schedule; every tenth is sent twice."""
    total = int(rate * seconds)
    plan: list[tuple[float, str, int]] = []
    for number in range(total):
        token = uuid.uuid4().hex
        plan.append((number / rate, token, number))
    # The repeats: the same token again 50 ms later (they are extra load, on top).
    repeats = [(at + 0.05, token, number) for at, token, number in plan[::10]]
    work: queue.Queue[tuple[float, str, int] | None] = queue.Queue()
    for item in sorted(plan + repeats):
        work.put(item)
    results: list[tuple[str, int, float, float]] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def client() -> None:
        while True:
            item = work.get()
            if item is None:
                return
            at, token, number = item
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            late = max(0.0, (time.perf_counter() - start - at) * 1000)
            status, ms = _submit(port, token, number)
            with lock:
                results.append((token, status, ms, late))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for _ in threads:
        work.put(None)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    times = [ms for _token, _status, ms, _late in results]
    return {
        "planned": total,
        "repeats": len(repeats),
        "sent": len(results),
        "ok": sum(1 for r in results if r[1] == 200),
        "errors": sorted({r[1] for r in results if r[1] != 200}),
        "elapsed_s": elapsed,
        "rate_per_s": len(results) / elapsed,
        "p50_ms": percentile(times, 0.5),
        "p95_ms": percentile(times, 0.95),
        "p99_ms": percentile(times, 0.99),
        "max_late_ms": max(r[3] for r in results),
        "tokens": sorted({r[0] for r in results if r[1] == 200}),
    }


def flood(port: int, count: int = 30) -> list[int]:
    """One address sending ``count`` submissions: the limit must answer 429."""
    statuses = []
    for i in range(count):
        body = urllib.parse.urlencode(
            {"name": "bot", "phone": "13700000000", "token": f"flood-{i}"}
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            PATH,
            body=body,
            headers={
                "Host": "localhost",
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": "192.0.2.1",
            },
        )
        statuses.append(connection.getresponse().status)
        connection.close()
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    kehu = str(Path(sys.executable).parent / "kehu")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with bench_database(args.db):
        os.environ.update(KEHU_PROXY_COUNT="1", KEHU_ALLOWED_HOSTS="localhost")
        env = dict(os.environ)
        subprocess.run([kehu, "migrate", "-v0"], env=env, check=True)
        port = _free_port()
        server = subprocess.Popen(
            [
                gunicorn,
                "kehu.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        try:
            _wait_for(port, server)
            cpu_before = _cpu_seconds(server.pid)
            result = load(port, args.rate, args.seconds, args.clients)
            server_cpu = _cpu_seconds(server.pid) - cpu_before
            flooded = flood(port)
        finally:
            server.terminate()
            server.wait(timeout=30)
        import django

        django.setup()
        from kehu.leads.models import Lead

        stored = list(Lead.objects.values_list("client_token", flat=True))
    tokens = result.pop("tokens")
    stored_set = set(stored)
    lost = len(set(tokens) - stored_set) + (result["planned"] - len(tokens))
    duplicates = len(stored) - len(stored_set)
    refused = sum(1 for s in flooded if s == 429)
    bot_leads = sum(1 for t in stored_set if t.startswith("flood-"))
    kept_rate = result["rate_per_s"] >= 0.95 * args.rate * 1.1  # 10 % repeats on top
    summary = {
        "db": args.db,
        "workers": args.workers,
        "target_rate_per_s": args.rate,
        "seconds": args.seconds,
        **result,
        "stored": len(stored) - bot_leads,
        "lost": lost,
        "duplicates": duplicates,
        "flood_429": refused,
        "flood_accepted": bot_leads,
        "server_cpu_ms_per_submission": server_cpu * 1000 / max(1, result["sent"]),
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"lead_form_{args.db}.json").write_text(json.dumps(summary, indent=2))
    print(f"\nPublic lead form on {args.db}, gunicorn {args.workers} workers, loopback")
    print(f"{'asked':>24}: {args.rate:.0f}/s for {args.seconds:.0f} s (+10 % repeated tokens)")
    print(f"{'sent / answered 200':>24}: {result['sent']:,} / {result['ok']:,}")
    print(f"{'rate achieved':>24}: {result['rate_per_s']:.1f}/s over {result['elapsed_s']:.1f} s")
    print(
        f"{'latency p50/p95/p99':>24}: {result['p50_ms']:.1f} / {result['p95_ms']:.1f} / "
        f"{result['p99_ms']:.1f} ms (latest start {result['max_late_ms']:.0f} ms behind)"
    )
    cpu_ms = summary["server_cpu_ms_per_submission"]
    print(
        f"{'server CPU':>24}: {cpu_ms:.2f} ms per submission "
        f"(≈ {1000 / cpu_ms:.0f}/s per idle core; {os.cpu_count()} cores, "
        f"load average {summary['load_average_1m']:.1f} during the run)"
    )
    print(f"{'leads stored':>24}: {summary['stored']:,} (planned {result['planned']:,})")
    print(f"{'lost / duplicated':>24}: {lost} / {duplicates}")
    print(
        f"{'flood from one address':>24}: {refused} of {len(flooded)} refused (429), "
        f"{bot_leads} accepted"
    )
    ok = lost == 0 and duplicates == 0 and not result["errors"] and kept_rate and refused > 0
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
