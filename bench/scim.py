"""`make bench` (SCIM part): deliver N people to a real scim2-server started on 127.0.0.1,
and put the rate beside the server's own best create rate measured in the same run (a
plain httpx client loop, 1 and 4 threads). A measurement, not a test: nothing is asserted.

The provisioner's rate counts everything delivery does: discovery, one listing of the
server's users (idempotent create), the POSTs, and recording every result in the state.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .generate import generate_org, write_org

REPO = Path(__file__).resolve().parent.parent
TARGET = """\
kind: Target
id: bench-scim
name: scim2-server (bench)
type: scim
receives: [referral_accounts]
scim:
  url: {url}
  token_env: BENCH_SCIM_TOKEN
  concurrency: {concurrency}
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def deliver_rate(server, n: int, concurrency: int, work: Path, seed: int = 0) -> dict:
    from provisioner.pipeline import validate
    from provisioner.plan import apply_document
    from provisioner.plan.planner import make_plan
    from provisioner.state import open_state
    from provisioner.targets.delivery import deliver

    org = work / f"org-{n}"
    write_org(org, generate_org(n, seed=seed))
    (org / "target.yaml").write_text(TARGET.format(url=server.base_url, concurrency=concurrency))
    today = dt.date(2026, 11, 23)
    backend = open_state(None, f"sqlite:///{work}/bench-{n}.db")
    validation = validate(org, today=today)
    result = make_plan(org, backend, today=today, validation=validation, allow_mass_change=True)
    apply_document(result.document, backend, actor="bench", org_dir=org, today=today, rederive=False,
                   targets=validation.org.targets)
    owed = len(backend.operations(statuses=["pending"]))
    started = time.perf_counter()
    with backend.lock("bench", 10):
        reports = deliver(backend, validation.org.targets, actor="bench", org_dir=org,
                          environ={"BENCH_SCIM_TOKEN": server.token})
    seconds = time.perf_counter() - started
    backend.close()
    (report,) = reports
    return {"operations": owed, "delivered": report.counts.get("delivered", 0), "seconds": seconds,
            "per_second": owed / seconds, "concurrency": concurrency, "retries": report.retries}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "scim-results.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.targets.harness import baseline_create_rate, start_scim2_server

    server = start_scim2_server(extension=True)
    try:
        rows = {}
        for threads in (1, args.concurrency):
            server.wipe()
            rate = baseline_create_rate(server.base_url, server.token, args.people, threads=threads)
            rows[f"plain loop, {threads} thread(s)"] = rate.per_second
            log(f"plain client loop, {threads} thread(s): {args.people} creates in {rate.seconds:.1f}s "
                f"= {rate.per_second:.0f}/s")
        server.wipe()
        with tempfile.TemporaryDirectory(prefix="bench-scim-") as work:
            ours = deliver_rate(server, args.people, args.concurrency, Path(work))
        best = max(rows.values())
        log(f"provisioner delivery: {ours['delivered']}/{ours['operations']} in {ours['seconds']:.1f}s "
            f"= {ours['per_second']:.0f}/s ({ours['retries']} retries)")
        print(f"\nSCIM delivery of {args.people:,} people to scim2-server (same run):\n")
        print("| who | creates/s | ratio to the server's best plain loop |")
        print("|---|---:|---:|")
        for name, rate in rows.items():
            print(f"| {name} | {rate:,.0f} | {rate / best:.2f} |")
        print(f"| provisioner deliver (concurrency {args.concurrency}, state recorded) | "
              f"{ours['per_second']:,.0f} | {ours['per_second'] / best:.2f} |")
        args.out.write_text(json.dumps({"people": args.people, "baseline": rows, "provisioner": ours,
                                        "ratio": ours["per_second"] / best}, indent=2) + "\n")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
