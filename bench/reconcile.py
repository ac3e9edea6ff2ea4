"""`python -m bench.reconcile`: the import → validate → plan round trip of N accounts read
from a real scim2-server started on 127.0.0.1 (seeded through SCIM Bulk), then adopt and
a refresh plan. A measurement, not a test: it prints seconds and pages read per step."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-23"
OFFICES = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed(server, n: int) -> float:
    """N office staff (every tenth inactive) and one doctor per office, 1,000 per Bulk request."""
    from tests.targets.harness import EXTENSION_URN
    from tests.targets.scimorg import luhn_npi

    started = time.perf_counter()
    users = []
    for o in range(OFFICES):
        users.append({"userName": f"dr{o}@bench.example", "displayName": f"Doctor Office{o}", "active": True,
                      EXTENSION_URN: {"accountType": "physician_staff", "offices": [f"office-{o}"],
                                      "npi": luhn_npi(o + 1), "specialty": "orthopedics"}})
    for i in range(n - OFFICES):
        users.append({"userName": f"person{i}@bench.example", "displayName": f"Bench Person{i}",
                      "active": i % 10 != 3, EXTENSION_URN: {"accountType": "office_staff",
                                                             "offices": [f"office-{i % OFFICES}"]}})
    core = "urn:ietf:params:scim:schemas:core:2.0:User"
    for start in range(0, len(users), 1000):
        ops = [{"method": "POST", "path": "/Users", "bulkId": str(start + k),
                "data": {"schemas": [core, EXTENSION_URN], **u}} for k, u in enumerate(users[start:start + 1000])]
        r = server.client().post("/Bulk", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                                                "Operations": ops}, timeout=600)
        r.raise_for_status()
    return time.perf_counter() - started


def step(name: str, *args, token: str | None = None) -> tuple[float, object]:
    from tests.targets.scimorg import cli

    started = time.perf_counter()
    result = cli(*args, token=token)
    seconds = time.perf_counter() - started
    log(f"{name}: exit {result.exit_code} in {seconds:.1f}s")
    return seconds, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.targets.harness import start_scim2_server
    from tests.targets.seed import empty_org

    server = start_scim2_server(extension=True)
    try:
        seeded = seed(server, args.accounts)
        log(f"seeded {args.accounts} accounts in {seeded:.1f}s")
        with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as work:
            org = empty_org(Path(work) / "org", server.base_url)
            state = f"sqlite:///{work}/state.db"
            rows = {}
            rows["import"], r = step("import", "import", "idp", "--out", org, "--today", TODAY, token=server.token)
            pages = r.stderr.strip().splitlines()[-1] if r.stderr else ""
            rows["validate"], _ = step("validate", "validate", org, "--today", TODAY, "--quiet")
            rows["plan"], p = step("plan", "plan", org, "--state", state, "--today", TODAY)
            rows["adopt"], a = step("adopt", "adopt", "idp", "--org", org, "--state", state, "--today", TODAY,
                                    "--format", "json", token=server.token)
            rows["plan after adopt"], p2 = step("plan after adopt", "plan", org, "--state", state, "--today", TODAY,
                                                "--detailed-exitcode")
            rows["plan --refresh"], p3 = step("plan --refresh", "plan", org, "--state", state, "--today", TODAY,
                                              "--refresh", token=server.token)
            counts = json.loads(a.stdout)["counts"] if a.exit_code == 0 else a.output[-500:]
        print(f"\nImport round trip of {args.accounts:,} accounts on scim2-server:\n")
        print("| step | seconds |\n|---|---:|")
        for name, seconds in rows.items():
            print(f"| {name} | {seconds:.1f} |")
        print(f"\nimport: {pages}\nadopt: {counts}\nplan after adopt exit {p2.exit_code}; "
              f"refresh: {[l for l in p3.output.splitlines() if 'pages read' in l]}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
