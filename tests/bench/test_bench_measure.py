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
    assert parsed["detail"]["loader"] in ("CSafeLoader", "SafeLoader")
    assert parsed["detail"]["documents"] > 40
    checked = measure("validate", str(org), "--today", "2026-11-23", cwd=tmp_path)
    assert set(FIELDS) <= set(checked) and checked["detail"]["modelled"] is True
    for result in (parsed, checked):
        assert isinstance(result["seconds"], float) and result["seconds"] >= 0
        assert result["peak_rss_mib"] > 0
