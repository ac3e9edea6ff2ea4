"""Measure one benchmark step in this process and print one JSON line: wall seconds of the
step (imports excluded), CPU seconds of the process over the step (its imports included:
on a busy machine wall time is not the work done), peak RSS of the whole process, and the step's own details.

Run it in a fresh interpreter per step (`bench.run` does) so that peak RSS belongs to that
step alone. Steps: `parse ORG_DIR` (the baseline: yaml-rs, a Rust YAML 1.2 parser, when it is
installed, else PyYAML's CSafeLoader), `parse-pyyaml ORG_DIR`, `validate ORG_DIR [--today D]`,
`cli ARGS...` (the `provisioner` command line, in-process, output discarded) and
`executemany PLAN_FILE` (the apply baseline: the plan's resource and audit rows, prepared
beforehand, written with one bare executemany each into a fresh state of the same schema).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

FIELDS = ("step", "seconds", "cpu_seconds", "peak_rss_mib", "rss_before_mib", "exit_code", "detail")


def _rss_now_mib() -> float | None:
    """Current resident set size, from /proc (Linux); None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """Peak RSS of this process so far: ru_maxrss is KiB on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def yaml_files(root: str | Path) -> list[Path]:
    """The files the loader reads, in its order (sorted, hidden parts skipped)."""
    root = Path(root)
    return [p for p in sorted(root.rglob("*"))
            if p.is_file() and p.name.endswith((".yaml", ".yml"))
            and not any(part.startswith(".") for part in p.relative_to(root).parts)]


def _parse(root: str, prefer_rust: bool = True) -> tuple[int, dict]:
    try:
        if not prefer_rust:
            raise ImportError
        import yaml_rs
    except ImportError:
        return _parse_pyyaml(root)
    from importlib.metadata import version

    files = yaml_files(root)
    start = time.perf_counter()
    documents = 0
    for path in files:
        data = yaml_rs.loads(path.read_text(encoding="utf-8"), parse_datetime=False)
        documents += len(data) if isinstance(data, list) else 1  # every document here is a mapping
    seconds = time.perf_counter() - start
    return seconds, {"loader": f"yaml-rs {version('yaml-rs')}", "files": len(files), "documents": documents,
                     "bytes": sum(p.stat().st_size for p in files)}


def _parse_pyyaml(root: str) -> tuple[int, dict]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    files = yaml_files(root)
    start = time.perf_counter()
    documents = 0
    for path in files:
        for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader):
            documents += 1
    seconds = time.perf_counter() - start
    return seconds, {"loader": loader.__name__, "files": len(files), "documents": documents,
                     "bytes": sum(p.stat().st_size for p in files)}


def _validate(root: str, today: dt.date | None) -> tuple[float, dict]:
    import gc

    from provisioner import collector
    from provisioner.cli.edges import GC_THRESHOLDS
    from provisioner.pipeline import validate

    gc.set_threshold(*GC_THRESHOLDS)  # as the command line runs it, the collector paused too

    start = time.perf_counter()
    with collector.paused():
        result = validate(root, today=today)
    seconds = time.perf_counter() - start
    summary = result.summary
    return seconds, {"modelled": result.org is not None, "errors": summary.errors, "warnings": summary.warnings,
                     "infos": summary.infos, "codes": sorted({d.code for d in result.diagnostics})}


def _executemany(plan_file: str, work: str) -> tuple[float, dict]:
    """Bare executemany of the plan's rows (resources and audit, as apply writes them) into
    a fresh state database of the same schema; the rows are prepared before the clock starts."""
    from provisioner.state.audit import canonical
    from provisioner.state.sqlite import SQLiteBackend

    document = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    db = Path(work) / f"executemany-{os.getpid()}.db"
    db.unlink(missing_ok=True)
    backend = SQLiteBackend(db)
    conn = backend._conn
    resources, audit = [], []
    for seq, c in enumerate(document["changes"], 1):
        after = c["after"]
        if after is not None:
            resources.append((c["address"], after["kind"], canonical(after["attributes"]), after["status"], 1))
        audit.append((seq, document["created_at"], "bench", document["checksum"], c["address"], c["action"],
                      canonical(c["before"]), canonical(after), "0" * 64, "%064x" % seq))
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO resources (address, kind, attributes, status, serial) VALUES (?, ?, ?, ?, ?)",
                     resources)
    conn.executemany("INSERT INTO audit (seq, at, actor, plan_digest, address, action, before_json, after_json, "
                     "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", audit)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - start
    backend.close()
    db.unlink(missing_ok=True)
    return seconds, {"resources": len(resources), "audit": len(audit)}


def _cli(args: list[str]) -> tuple[float, dict, int]:
    from provisioner.cli import main
    from provisioner.cli.ending import run_command

    err = io.StringIO()
    code = 0
    with open(os.devnull, "w", encoding="utf-8") as devnull, \
            contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(err):
        start = time.perf_counter()
        ended, kept = run_command(main, args)  # as the program runs it: what it built is never freed
        seconds = time.perf_counter() - start
        code = ended if isinstance(ended, int) else (0 if ended is None else 1)
        _KEPT.append(kept)
    detail = {"args": args}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # work beside (provisioner/beside.py), git
    if children.ru_utime + children.ru_stime > 0:
        detail["beside_cpu_seconds"] = round(children.ru_utime + children.ru_stime, 3)
        detail["beside_peak_rss_mib"] = round(children.ru_maxrss / (1024 * 1024 if sys.platform == "darwin"
                                                                     else 1024), 1)
    if code:
        detail["stderr_tail"] = err.getvalue()[-2000:]
    return seconds, detail, code


def measure(argv: list[str]) -> dict:
    if not argv:
        raise SystemExit("usage: python -m bench.measure {parse ORG|validate ORG [--today D]|cli ARGS...}")
    step, rest = argv[0], argv[1:]
    before = _rss_now_mib()
    cpu_start = time.process_time()
    code = 0
    if step == "parse":
        seconds, detail = _parse(rest[0])
    elif step == "parse-pyyaml":
        seconds, detail = _parse_pyyaml(rest[0])
    elif step == "executemany":
        seconds, detail = _executemany(rest[0], os.getcwd())
    elif step == "validate":
        today = dt.date.fromisoformat(rest[rest.index("--today") + 1]) if "--today" in rest else None
        seconds, detail = _validate(rest[0], today)
        code = 0 if detail["modelled"] and not detail["errors"] else 1
    elif step == "cli":
        seconds, detail, code = _cli(rest)
    else:
        raise SystemExit(f"unknown step {step!r}: parse, parse-pyyaml, validate, cli or executemany")
    return {"step": step, "seconds": round(seconds, 4), "cpu_seconds": round(time.process_time() - cpu_start, 4),
            "peak_rss_mib": round(peak_rss_mib(), 1),
            "rss_before_mib": None if before is None else round(before, 1), "exit_code": code, "detail": detail}


_KEPT: list = []  # what a command built, kept to the end as the program keeps it (cli/ending.py)


def main() -> None:
    print(json.dumps(measure(sys.argv[1:])))
    from provisioner.cli.ending import end_now

    end_now(0)


if __name__ == "__main__":
    main()
