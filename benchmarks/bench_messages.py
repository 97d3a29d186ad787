"""A group send through the logging SMS backend, then the same send with the worker
killed half-way and restarted.

    python benchmarks/bench_messages.py --db sqlite|postgres [--messages 100000] [--batch 500]

N customers (bulk-loaded, each with SMS consent) get one campaign each run:

1. ``message_to_customers`` queues N recipients (rendered text, consent checked); a
   worker process drains them (``recipients_send``, unthrottled): messages/s.
2. A second campaign of N; the worker process is killed (SIGKILL) at a random moment,
   the lease of its claims is aged (as if the restart came later than ``LEASE``) and a
   new worker finishes the send. The script checks that exactly N messages were
   delivered (``SmsLog`` rows, the logging gateway's "outside world", which has no
   unique constraint), none twice, and that every recipient is ``sent``.

Prints a table and writes benchmarks/results/messages_<db>.json; exits non-zero if any
message is missing or duplicated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.harness import RESULTS, ROOT, bench_database

WORKER = (
    "import django, json, time; django.setup()\n"
    "from kehu.messaging.sending import recipients_send\n"
    "t = time.perf_counter(); r = recipients_send(campaign_id={campaign}, batch={batch})\n"
    "print(json.dumps({{'sent': r.sent, 'seconds': time.perf_counter() - t}}))\n"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ["KEHU_MESSAGES_PER_SECOND"] = "0"  # unthrottled: measure the machinery
    os.environ["KEHU_SMS_BACKEND"] = "logging"
    os.environ["KEHU_JOBS_IMMEDIATE"] = "false"  # the worker process sends, not on_commit
    with bench_database(args.db, pg_options=("-c shared_buffers=512MB", "-c max_wal_size=4GB")):
        ok = run(args)
    sys.exit(0 if ok else 1)


def _worker(campaign_id: int, batch: int) -> subprocess.Popen[str]:
    code = WORKER.format(campaign=campaign_id, batch=batch)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(worker: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = worker.communicate()
    if worker.returncode != 0:
        raise RuntimeError(f"worker failed ({worker.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def run(args: argparse.Namespace) -> bool:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from benchmarks.bulk import bulk_load
    from kehu.customers.models import Customer
    from kehu.demo.generate import demo_users
    from kehu.messaging.models import (
        Consent,
        ConsentSource,
        ConsentStatus,
        Delivery,
        Recipient,
        RecipientStatus,
        SmsLog,
    )
    from kehu.messaging.services import message_to_customers

    call_command("migrate", verbosity=0)
    owners = demo_users()
    n = args.messages
    print(f"[{args.db}] loading {n:,} customers with SMS consent…", flush=True)
    bulk_load(n, seed=1, owners=owners, progress=False)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(customer_id=i, channel="sms", status=ConsentStatus.GRANTED,
                    source=ConsentSource.IMPORT, at=now)
            for i in ids
        ],
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    body = "{称呼}您好，中秋快乐！感谢一路相伴。"

    def campaign(name: str) -> tuple[int, float]:
        started = time.perf_counter()
        created = message_to_customers(
            actor=None, customer_ids=ids, channel="sms", body=body, name=name, purpose="care"
        )
        return created.pk, time.perf_counter() - started

    # --- 1. a clean run ------------------------------------------------------------------
    first, queue_seconds = campaign("中秋问候（测速）")
    queued = Recipient.objects.filter(campaign_id=first, status=RecipientStatus.QUEUED).count()
    print(f"[{args.db}] queued {queued:,} in {queue_seconds:.1f}s; sending…", flush=True)
    clean = _finish(_worker(first, args.batch))
    rate = clean["sent"] / clean["seconds"]
    print(f"[{args.db}] sent {clean['sent']:,} in {clean['seconds']:.1f}s: {rate:,.0f} msg/s")
    SmsLog.objects.all().delete()

    # --- 2. killed at a random point, restarted ---------------------------------------------
    second, _seconds = campaign("中秋问候（中断恢复）")
    kill_after = random.Random(args.seed).uniform(0.1, 0.7) * clean["seconds"]
    worker = _worker(second, args.batch)
    while worker.poll() is None and not SmsLog.objects.exists():
        time.sleep(0.05)  # the worker has started sending (Django's start-up is not timed)
    time.sleep(kill_after)
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    before_restart = SmsLog.objects.count()
    in_flight = Recipient.objects.filter(
        campaign_id=second, status=RecipientStatus.QUEUED, claimed_at__isnull=False
    ).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    print(
        f"[{args.db}] killed after {kill_after:.1f}s: {before_restart:,} delivered, "
        f"{in_flight} claimed but unsent; restarting…",
        flush=True,
    )
    resumed = _finish(_worker(second, args.batch))
    delivered = SmsLog.objects.count()
    distinct = SmsLog.objects.values("key").distinct().count()
    duplicates = SmsLog.objects.values("key").annotate(n=Count("pk")).filter(n__gt=1).count()
    sent_rows = Recipient.objects.filter(campaign_id=second, status=RecipientStatus.SENT).count()
    deliveries = Delivery.objects.filter(recipient__campaign_id=second).count()
    ok = delivered == distinct == sent_rows == deliveries == n and duplicates == 0

    result = {
        "db": args.db,
        "messages": n,
        "batch": args.batch,
        "queue_seconds": round(queue_seconds, 2),
        "send_seconds": round(clean["seconds"], 2),
        "messages_per_second": round(rate, 1),
        "killed_after_seconds": round(kill_after, 2),
        "delivered_before_kill": before_restart,
        "claimed_unsent_at_kill": in_flight,
        "sent_after_restart": resumed["sent"],
        "delivered": delivered,
        "distinct": distinct,
        "duplicates": duplicates,
        "recipients_sent": sent_rows,
        "ok": ok,
    }
    print()
    print(f"{'messages':<28}{n:>12,}")
    print(f"{'queue (s)':<28}{queue_seconds:>12.1f}")
    print(f"{'send (msg/s)':<28}{rate:>12,.0f}")
    print(f"{'killed after (s)':<28}{kill_after:>12.1f}")
    print(f"{'delivered before kill':<28}{before_restart:>12,}")
    print(f"{'delivered in all':<28}{delivered:>12,}")
    print(f"{'distinct recipients':<28}{distinct:>12,}")
    print(f"{'duplicates':<28}{duplicates:>12,}")
    print(f"{'result':<28}{'OK' if ok else 'FAILED':>12}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"messages_{args.db}.json").write_text(json.dumps(result, indent=2) + "\n")
    return ok


if __name__ == "__main__":
    main()
