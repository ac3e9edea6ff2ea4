"""The HTML report in a real headless browser (Debian's chromium, installed by `make test`):
it renders, runs with no console message, every chart draws its marks (a late departure
in red), a hostile name stays text, and a screenshot is written to build/."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from provisioner.pipeline import validate
from provisioner.report.htmldata import licence_series, report_data
from tests.orgbuilder import write_org

from .conftest import ORGS, cli, two_departures

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "report-screenshot.png"
HOSTILE = 'Eve </script><script>document.body.dataset.pwned="1"</script> <b>Staff</b>'


def chromium(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian's chromium is needed (make test installs it: apt-get install chromium)"
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=4000", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """An HTML report of a small org with a hostile name, a timely and a late departure."""
    from tests.orgbuilder import small_org

    tmp = tmp_path_factory.mktemp("html")
    docs = small_org()
    docs["target/emr"] = {"kind": "Target", "id": "emr", "name": "EMR", "type": "changefile",
                          "receives": ["emr_profiles", "referral_accounts", "front_office_roles"]}
    docs["person/eve"]["name"] = HOSTILE
    folder, state = write_org(tmp / "org", docs), f"sqlite:///{tmp / 'state.db'}"
    two_departures(folder, docs, state)
    out = tmp / "report.html"
    r = cli("report", "html", folder, "--out", out, "--state", state, "--today", "2026-03-10")
    assert r.exit_code == 0, r.output
    return out


def test_the_report_renders_and_every_chart_draws(report):
    done = chromium("--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    console = [l for l in done.stderr.splitlines() if ":CONSOLE" in l]
    assert console == [], console
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-ready="1"' in body and "data-errors" not in body and "pwned" not in body
    drawn = dict(re.findall(r'<figure class="chart" id="([\w-]+)" data-drawn="(\d+)"', dom))
    assert set(drawn) == {"chart-licences", "chart-admins", "chart-reviews", "chart-deprovision"}
    assert all(int(n) > 0 for n in drawn.values()), drawn
    assert int(drawn["chart-deprovision"]) == 2  # eve on time, fay late
    deprov = dom.split('id="chart-deprovision"', 1)[1].split("</figure>", 1)[0]
    assert deprov.count('fill="#cf222e"') == 1 and "57 h LATE" in deprov
    assert "&lt;/script&gt;&lt;script&gt;" in dom  # the hostile name is shown as text


def test_a_screenshot_is_produced(report):
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    done = chromium(f"--screenshot={SCREENSHOT}", "--window-size=1280,1600", "--hide-scrollbars", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = SCREENSHOT.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600) and len(data) > 20_000


def test_example_org_data_and_escaping_without_a_browser():
    org = validate(ORGS / "riverside-health", rules=False).org
    import datetime as dt

    data = report_data(org, dt.date(2026, 11, 23), [], [])
    assert len(data["licences"]) == len(licence_series(org)) > 10
    assert data["admins_over_time"] == [{"at": "config", "count": sum(1 for p in org.persons.values()
                                                                      if p.active and p.admin)}]
    assert sum(data["reviews"].values()) == sum(1 for p in org.persons.values() if p.active)
    from provisioner.report.htmlreport import script_json

    assert "</" not in script_json({"name": "</script>"})
