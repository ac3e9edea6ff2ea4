"""`make bench` (state backends): apply of a synthetic org on SQLite and on PostgreSQL (a
throwaway server, tests/pgserver.py), each beside a bare bulk insert of the same resource
rows into the same database (`executemany`, and PostgreSQL's `COPY`).

Plan and apply run as `provisioner` in a fresh process each (bench/measure.py); the bulk
inserts run here. Prints one table and writes bench/state-results.json. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from .generate import generate_org, write_org
from .run import log, run_step

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = REPO / "bench" / "state-results.json"
_TABLE = "CREATE TABLE bare (address TEXT PRIMARY KEY, kind TEXT, attributes TEXT, status TEXT, serial INTEGER)"


def _rows(sqlite_state: Path) -> list[tuple]:
    with sqlite3.connect(sqlite_state) as db:
        return db.execute("SELECT address, kind, attributes, status, serial FROM resources").fetchall()


def bare_sqlite(path: Path, rows: list[tuple]) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(_TABLE)
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO bare VALUES (?, ?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def bare_postgres(url: str, rows: list[tuple]) -> tuple[float, float]:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(_TABLE)
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bare VALUES (%s, %s, %s, %s, %s)", rows)
        conn.commit()
        many = time.perf_counter() - start
        conn.execute("TRUNCATE bare")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bare FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return many, time.perf_counter() - start


def bench_size(n: int, today: dt.date, work: Path, cluster, timeout: float) -> list[dict]:
    org = work / f"org-{n}"
    write_org(org, generate_org(n, 0, today))
    states = {"sqlite": f"sqlite:///{(work / f'state-{n}.db').resolve()}",
              "postgresql": cluster.url(cluster.create_database())}
    rows_out = []
    for backend, url in states.items():
        plan_file = str(work / f"plan-{n}-{backend}.json")
        org = shutil.copytree(work / f"org-{n}", work / f"org-{n}-{backend}")  # each state its own anchor
        for step, args in (("plan", ["cli", "plan", str(org), "--out", plan_file, "--state", url,
                                     "--today", today.isoformat()]),
                           ("apply", ["cli", "apply", plan_file, "--state", url])):
            log(f"[{n}] {backend} {step} ...")
            result = run_step(args, timeout, work)
            rows_out.append({**result, "size": n, "backend": backend, "step": step})
            log(f"[{n}] {backend} {step}: {result.get('seconds', result.get('error'))}")
    resources = _rows(work / f"state-{n}.db")
    sqlite_bare = bare_sqlite(work / f"bare-{n}.db", resources)
    pg_many, pg_copy = bare_postgres(cluster.url(cluster.create_database()), resources)
    for backend, step, seconds in (("sqlite", "bare executemany", sqlite_bare),
                                   ("postgresql", "bare executemany", pg_many), ("postgresql", "bare COPY", pg_copy)):
        rows_out.append({"size": n, "backend": backend, "step": step, "seconds": round(seconds, 3),
                         "detail": {"rows": len(resources)}})
    return rows_out


def table(rows: list[dict]) -> str:
    lines = [("people", "backend", "step", "seconds", "note")]
    for r in rows:
        seconds = f"{r['seconds']:.2f}" if "seconds" in r else "-"
        note = r.get("error") or (f"{r['detail']['rows']:,} resource rows" if "rows" in r.get("detail", {}) else
                                  (f"exit {r['exit_code']}: " + r.get("detail", {}).get("stderr_tail", "").strip()[-200:]
                                   if r.get("exit_code") else ""))
        lines.append((f"{r['size']:,}", r["backend"], r["step"], seconds, note))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join("  ".join([c.rjust(w) if j in (0, 3) else c.ljust(w) for j, (c, w) in
                                enumerate(zip(line, widths))] + [line[4]]).rstrip() for line in lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.state", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="Comma-separated numbers of people (default: %(default)s).")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--json", default=str(DEFAULT_RESULTS))
    args = parser.parse_args(argv)
    from tests.pgserver import PASSWORD, Cluster

    os.environ["PGPASSWORD"] = PASSWORD
    cluster = Cluster()
    work = Path(tempfile.mkdtemp(prefix="provisioner-bench-state-"))
    rows: list[dict] = []
    try:
        for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
            rows.extend(bench_size(n, args.today, work, cluster, args.timeout))
    finally:
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    Path(args.json).write_text(json.dumps({"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                           "cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
