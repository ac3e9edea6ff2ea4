"""`make bench`: generate synthetic orgs of several sizes and time parse (the baseline),
validate, plan, apply and a no-op re-plan of each, then the pull-request cycle on the
applied state (one person renamed in one file: plan, apply), every step in a fresh process.

Prints the steps (seconds, ratio to the parse baseline of the same size and run, peak
RSS), the issue's table, and the cycle's, and writes bench/results.json. A measurement,
not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .generate import generate_org, write_org

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1000, 10000, 100000)
DEFAULT_RESULTS = REPO / "bench" / "results.json"
MEASURE = Path(__file__).resolve().with_name("measure.py")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    return env


def provisioner_command() -> list[str]:
    script = Path(sys.executable).with_name("provisioner")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from provisioner.cli import main; main()"]


def availability(command: str) -> str | None:
    """None when `provisioner COMMAND --help` works, else why not (one line)."""
    try:
        done = subprocess.run(provisioner_command() + [command, "--help"], capture_output=True, text=True,
                              timeout=120, env=_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`provisioner {command} --help` failed: {exc}"
    if done.returncode == 0:
        return None
    last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
    return f"`provisioner {command} --help` exited {done.returncode}: {last}"


def run_step(args: list[str], timeout: float, cwd: Path) -> dict:
    """Run `bench/measure.py ARGS` in a fresh interpreter; its last stdout line is JSON.

    Run as a script from `cwd`, so that `provisioner` is imported from the installed
    package (or from $PYTHONPATH), never from the current directory."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(MEASURE), *args], capture_output=True, text=True,
                              timeout=timeout, env=_env(), cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"step": args[0], "error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0 or not done.stdout.strip():
        tail = (done.stderr.strip() or "no output").splitlines()[-3:]
        return {"step": args[0], "error": f"measure exited {done.returncode}: {' | '.join(tail)}"}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - start, 3)
    return result


WARM_GOAL = 0.10  # a plan after a one-file change, as a share of the cold plan
FILLING = "plan (no-op, filling the cache)"
WARM = "plan (one change, warm cache)"


def edit_one_file(org: Path) -> str:
    """A pull request's usual change: one person renamed in one file of `org` (the middle
    people file). Returns the file's name."""
    people = sorted(org.glob("people-*.yaml"))
    chosen = people[len(people) // 2]
    text = chosen.read_text(encoding="utf-8")
    at = text.index("\nname: ") + len("\nname: ")
    end = text.index("\n", at)
    chosen.write_text(text[:at] + text[at:end] + " Renamed" + text[end:], encoding="utf-8")
    return chosen.name


def bench_size(n: int, seed: int, today: dt.date, work: Path, skip: dict[str, str], timeout: float) -> list[dict]:
    org = work / f"org-{n}"
    start = time.perf_counter()
    files = generate_org(n, seed, today)
    write_org(org, files)
    size = sum(len(t.encode()) for t in files.values())
    log(f"[{n}] generated {len(files)} files, {size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s")
    state = f"sqlite:///{(work / f'state-{n}.db').resolve()}"
    plan_file = str(work / f"plan-{n}.json")
    cache = str(work / f"cache-{n}")
    steps = [
        ("parse", ["parse", str(org)]),
        ("parse (PyYAML)", ["parse-pyyaml", str(org)]),
        ("validate", ["validate", str(org), "--today", today.isoformat()]),
        ("plan", ["cli", "plan", str(org), "--out", plan_file, "--state", state, "--today", today.isoformat()]),
        ("show (Markdown)", ["cli", "show", plan_file, "--format", "markdown"]),  # the PR comment of that plan
        ("apply", ["cli", "apply", plan_file, "--state", state, "--auto-approve"]),
        ("executemany", ["executemany", plan_file]),
        ("plan (no-op)", ["cli", "plan", str(org), "--state", state, "--today", today.isoformat()]),
        (FILLING, ["cli", "plan", str(org), "--state", state, "--today", today.isoformat(), "--cache", cache]),
        ("plan (one change)", ["cli", "plan", str(org), "--out", plan_file, "--state", state, "--today",
                               today.isoformat()]),
        (WARM, ["cli", "plan", str(org), "--out", plan_file, "--state", state, "--today", today.isoformat(),
                "--cache", cache]),
        ("apply (one change)", ["cli", "apply", plan_file, "--state", state, "--auto-approve"]),
    ]
    rows: list[dict] = []
    for name, args in steps:
        if name == "plan (one change)":
            log(f"[{n}] renamed one person in {edit_one_file(org)}")
        command = "apply" if name.startswith("apply") or name == "executemany" else (
            "plan" if name.startswith(("plan", "show")) else None)
        base = {"size": n, "name": name, "files": len(files), "bytes": size}
        if command and command in skip:
            rows.append({**base, "skipped": f"not available: {skip[command]}"})
            log(f"[{n}] {name}: skipped, not available: {skip[command]}")
            continue
        plan_failed = any(r["name"] == "plan" and ("error" in r or r.get("exit_code")) for r in rows)
        if command and name != "plan" and plan_failed:
            rows.append({**base, "skipped": "not run: the plan step failed"})
            continue
        log(f"[{n}] {name} ...")
        result = run_step(args, timeout, work)
        rows.append({**base, **result})
        if "error" in result:
            log(f"[{n}] {name}: {result['error']}")
        else:
            log(f"[{n}] {name}: {result['seconds']:.2f} s, peak {result['peak_rss_mib']:.0f} MiB"
                + (f", exit {result['exit_code']}" if result["exit_code"] else ""))
    return rows


def _note(row: dict) -> str:
    if "skipped" in row:
        return row["skipped"]
    if "error" in row:
        return row["error"]
    detail = row.get("detail", {})
    if row["name"].startswith("parse"):
        return f"{detail['loader']}, {detail['documents']} docs, {row['bytes'] / 1e6:.1f} MB"
    if row["name"] == "validate":
        return f"{detail['errors']} errors, {detail['warnings']} warnings" + (
            f" ({', '.join(detail['codes'])})" if detail["codes"] else "")
    if row.get("exit_code"):
        tail = detail.get("stderr_tail", "").strip().splitlines()
        return f"exit {row['exit_code']}" + (f": {tail[-1]}" if tail else "")
    if "beside_cpu_seconds" in detail:
        return (f"and {detail['beside_cpu_seconds']:.2f} cpu s in child processes (reading, checks beside, git), the "
                f"largest peaking at {detail['beside_peak_rss_mib']:.0f} MiB")
    return ""


def table(rows: list[dict]) -> str:
    head = ("people", "step", "seconds", "×parse", "cpu s", "peak MiB", "note")
    lines = [head]
    baseline = {r["size"]: r["seconds"] for r in rows if r["name"] == "parse" and "seconds" in r}
    for r in rows:
        if "seconds" in r:
            ratio = f"{r['seconds'] / baseline[r['size']]:.1f}" if baseline.get(r["size"]) else "-"
            cpu = f"{r['cpu_seconds']:.2f}" if "cpu_seconds" in r else "-"
            lines.append((f"{r['size']:,}", r["name"], f"{r['seconds']:.2f}", ratio, cpu,
                          f"{r['peak_rss_mib']:.0f}", _note(r)))
        else:
            lines.append((f"{r['size']:,}", r["name"], "-", "-", "-", "-", _note(r)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    out = []
    for i, line in enumerate(lines):
        cells = [c.rjust(w) if j in (0, 2, 3, 4, 5) else c.ljust(w) for j, (c, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells + [line[-1]]).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(out)


GOALS = {"validate": 3.0, "plan": 6.0, "plan (no-op)": 4.0}


def issue_table(rows: list[dict]) -> str:
    """The issue's table: per size, seconds of each step with its ratio to the parse baseline
    (goal in brackets), apply against plan + 1.5 × executemany, and peak RSS of plan / apply."""
    by = {(r["size"], r["name"]): r for r in rows}
    head = ("people", "MB", "parse", "validate", "plan (cold)", "apply", "no-op plan", "peak MiB plan / apply",
            "apply ≤ plan + 1.5×executemany")
    lines = [head]

    def sec(r):
        return r.get("seconds") if r else None

    for size in sorted({r["size"] for r in rows}):
        parse = sec(by.get((size, "parse")))
        cells = [f"{size:,}", f"{next(r['bytes'] for r in rows if r['size'] == size) / 1e6:.1f}",
                 f"{parse:.2f}" if parse else "-"]
        for name in ("validate", "plan", "apply", "plan (no-op)"):
            s = sec(by.get((size, name)))
            if s is None:
                cells.append("-")
                continue
            ratio = f" ({s / parse:.1f}×" + (f", goal ≤{GOALS[name]:g}×" if name in GOALS else "") + ")" if parse else ""
            cells.append(f"{s:.2f}{ratio}")
        plan, apply = by.get((size, "plan")), by.get((size, "apply"))
        cells.append(f"{plan['peak_rss_mib']:.0f} / {apply['peak_rss_mib']:.0f}"
                     if plan and apply and "peak_rss_mib" in plan and "peak_rss_mib" in apply else "-")
        many = sec(by.get((size, "executemany")))
        if sec(plan) and sec(apply) and many is not None:
            bound = sec(plan) + 1.5 * many
            cells.append(f"{sec(apply):.2f} vs {bound:.2f} ({'met' if sec(apply) <= bound else 'not met'})")
        else:
            cells.append("-")
        lines.append(tuple(cells))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    loader = next((r["detail"]["loader"] for r in rows if r["name"] == "parse" and "detail" in r), None)
    out.append(f"parse = {loader or '?'} loading the same files in-process"
               + ("" if loader and loader.startswith("yaml-rs") else
                  " (yaml-rs is not installed here: the baseline is PyYAML's CSafeLoader, slower than yaml-rs,"
                  " so the ratios look better than the issue's)"))
    return "\n".join(out)




def cycle_table(rows: list[dict]) -> str:
    """A pull request on an applied state: the no-op re-plan, then one file changed, planned
    and applied; seconds (share of the cold plan) and peak RSS."""
    by = {(r["size"], r["name"]): r for r in rows}
    head = ("people", "cold plan", "no-op plan", "no-op, filling --cache", "plan (one change)",
            "plan (one change), warm --cache", "apply (one change)", "peak MiB")
    lines = [head]
    for size in sorted({r["size"] for r in rows}):
        cold = by.get((size, "plan"), {}).get("seconds")
        cells, peaks = [f"{size:,}", f"{cold:.2f}" if cold else "-"], []
        for name in ("plan (no-op)", FILLING, "plan (one change)", WARM, "apply (one change)"):
            r = by.get((size, name), {})
            s = r.get("seconds")
            share = f" ({s / cold:.0%} of cold" + (f", goal ≤{WARM_GOAL:.0%}" if name == WARM else "") \
                + ")" if s and cold else ""
            cells.append(f"{s:.2f}{share}" if s else "-")
            peaks.append(f"{r['peak_rss_mib']:.0f}" if "peak_rss_mib" in r else "-")
        cells.append(" / ".join(peaks))
        lines.append(tuple(cells))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) for c, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append("peak MiB in the same order; --cache keeps what was read of each YAML file (keyed by its bytes), so "
               "the warm plan reads one file again; every plan still models, checks and plans the whole org and "
               "verifies the whole state (a large one beside)")
    return "\n".join(out)


def _provisioner_origin() -> str | None:
    """Where the measured `provisioner` package is imported from (installed or $PYTHONPATH)."""
    try:
        return subprocess.run([sys.executable, "-c", "import provisioner; print(provisioner.__file__)"],
                              capture_output=True, text=True, env=_env(), cwd=tempfile.gettempdir(),
                              timeout=60).stdout.strip() or None
    except OSError:
        return None


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=REPO, timeout=10).stdout.strip() or None
    except OSError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="Comma-separated numbers of people (default: %(default)s).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(),
                        help="Date the org is generated for and judged on (default: today).")
    parser.add_argument("--timeout", type=float, default=1800, help="Seconds per step before giving up.")
    parser.add_argument("--json", default=str(DEFAULT_RESULTS), help="Where to write the results.")
    parser.add_argument("--keep", metavar="DIR", default=None, help="Generate into DIR and keep it.")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    skip = {cmd: why for cmd in ("plan", "apply") if (why := availability(cmd))}
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="provisioner-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    try:
        for n in sizes:
            rows.extend(bench_size(n, args.seed, args.today, work, skip, args.timeout))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    print()
    print(issue_table(rows))
    print()
    print(cycle_table(rows))
    meta = {"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "commit": _git_commit(),
            "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "seed": args.seed, "today": args.today.isoformat(), "sizes": sizes,
            "provisioner": _provisioner_origin(), "not_available": skip}
    Path(args.json).write_text(json.dumps({"meta": meta, "results": rows}, indent=2) + "\n", encoding="utf-8")
    log(f"results written to {args.json}")


if __name__ == "__main__":
    main()
