"""bench/measure.py: one step in a fresh process, one JSON line with the agreed fields."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from bench.generate import generate_org, write_org
from bench.measure import FIELDS

MEASURE = Path(__file__).resolve().parents[2] / "bench" / "measure.py"


def measure(*args, cwd):
    done = subprocess.run([sys.executable, str(MEASURE), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_parse_and_validate_report_the_fields(tmp_path):
    org = tmp_path / "org"
    write_org(org, generate_org(40, seed=0, today=dt.date(2026, 11, 23)))
    parsed = measure("parse", str(org), cwd=tmp_path)
    assert set(FIELDS) <= set(parsed) and parsed["step"] == "parse"
    assert parsed["detail"]["loader"] in ("CSafeLoader", "SafeLoader") or parsed["detail"]["loader"].startswith("yaml-rs ")
    assert parsed["detail"]["documents"] > 40
    pyyaml = measure("parse-pyyaml", str(org), cwd=tmp_path)
    assert pyyaml["detail"]["loader"] in ("CSafeLoader", "SafeLoader")
    assert pyyaml["detail"]["documents"] == parsed["detail"]["documents"]
    checked = measure("validate", str(org), "--today", "2026-11-23", cwd=tmp_path)
    assert set(FIELDS) <= set(checked) and checked["detail"]["modelled"] is True
    for result in (parsed, checked):
        assert isinstance(result["seconds"], float) and result["seconds"] >= 0
        assert result["peak_rss_mib"] > 0


def test_executemany_writes_the_plans_rows(tmp_path):
    org = tmp_path / "org"
    write_org(org, generate_org(40, seed=0, today=dt.date(2026, 11, 23)))
    plan = tmp_path / "plan.json"
    planned = measure("cli", "plan", str(org), "--out", str(plan), "--state", f"sqlite:///{tmp_path / 's.db'}",
                      "--today", "2026-11-23", cwd=tmp_path)
    assert planned["exit_code"] == 0
    changes = json.loads(plan.read_text())["changes"]
    many = measure("executemany", str(plan), cwd=tmp_path)
    assert many["detail"]["audit"] == len(changes) > 40
    assert many["detail"]["resources"] == sum(1 for c in changes if c["after"] is not None)
    assert many["cpu_seconds"] >= 0 and not list(tmp_path.glob("executemany-*.db"))


def test_issue_table_has_every_ratio():
    from bench.run import issue_table

    def row(name, seconds, rss=100.0):
        return {"size": 1000, "name": name, "bytes": 2_000_000, "seconds": seconds, "peak_rss_mib": rss,
                "detail": {"loader": "yaml-rs 0.1.6"}}

    text = issue_table([row("parse", 0.5), row("validate", 1.0), row("plan", 2.0, 300), row("apply", 3.0, 400),
                        row("executemany", 0.4), row("plan (no-op)", 1.5)])
    line = text.splitlines()[2]
    assert "1.00 (2.0×, goal ≤3×)" in line and "2.00 (4.0×, goal ≤6×)" in line and "1.50 (3.0×, goal ≤4×)" in line
    assert "300 / 400" in line and "3.00 vs 2.60 (not met)" in line
    assert "yaml-rs 0.1.6" in text


def test_cycle_table_gives_each_step_as_a_share_of_the_cold_plan():
    from bench.run import cycle_table

    def row(name, seconds, rss=100.0):
        return {"size": 1000, "name": name, "bytes": 2_000_000, "seconds": seconds, "peak_rss_mib": rss}

    text = cycle_table([row("plan", 4.0), row("plan (no-op)", 3.0, 210), row("plan (no-op, filling the cache)", 3.1, 212),
                        row("plan (one change)", 3.2, 220), row("plan (one change, warm cache)", 2.0, 200),
                        row("apply (one change)", 3.6, 230)])
    line = text.splitlines()[2]
    assert "3.00 (75% of cold)" in line and "3.20 (80% of cold)" in line and "3.10 (78% of cold)" in line
    assert "2.00 (50% of cold, goal ≤10%)" in line
    assert "3.60 (90% of cold)" in line and "210 / 212 / 220 / 200 / 230" in line


def test_editing_one_file_renames_one_person(tmp_path):
    from bench.run import edit_one_file

    org = tmp_path / "org"
    write_org(org, generate_org(200, seed=0, today=dt.date(2026, 11, 23)))
    before = {p.name: p.read_text() for p in org.glob("*.yaml")}
    name = edit_one_file(org)
    after = {p.name: p.read_text() for p in org.glob("*.yaml")}
    assert [n for n in before if before[n] != after[n]] == [name] and name.startswith("people-")
    assert after[name].count(" Renamed\n") == 1


def test_work_done_beside_is_named_with_its_cpu_and_memory():
    from bench.run import _note

    row = {"size": 1000, "name": "apply", "bytes": 1, "seconds": 1.0, "exit_code": 0,
           "detail": {"beside_cpu_seconds": 0.81, "beside_peak_rss_mib": 180.4}}
    assert _note(row) == "and 0.81 cpu s in child processes (reading, checks beside, git), the largest peaking at 180 MiB"
    assert _note({**row, "detail": {}}) == ""
