"""Links planted in an org folder (anyone may open a pull request on it): what the tool
writes there (the state anchor, change files) and a saved plan's file are never written
through a link at their temporary names, change files never leave the folder through a
linked folder, and the anchor is read as the org's files are (no FIFO, device or link out)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from .corpus import MINIMAL, TRACEBACK

TODAY = "2026-11-23"
CHANGEFILE = "---\nkind: Target\nid: emr\ntype: changefile\nreceives: [referral_accounts]\n"


def cli(tmp: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONER_")}
    return subprocess.run([sys.executable, "-m", "provisioner", *args], cwd=tmp, env={**env, "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=timeout)


def _org(tmp: Path, extra: str = "") -> Path:
    org = tmp / "org"
    shutil.copytree(MINIMAL, org)
    if extra:
        with (org / "org.yaml").open("a", encoding="utf-8") as f:
            f.write(extra)
    return org


def _apply(tmp: Path) -> subprocess.CompletedProcess:
    return cli(tmp, "apply", "org", "--auto-approve", "--state", "sqlite:///state.db", "--today", TODAY)


def test_a_link_at_the_anchors_temporary_name_never_overwrites_the_state(tmp_path):
    org = _org(tmp_path)
    assert _apply(tmp_path).returncode == 0
    (org / ".audit" / "state-anchor.json.tmp").symlink_to(tmp_path / "state.db")
    people = org / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("name: Cy Park", "name: Cy Parker"), encoding="utf-8")
    second = _apply(tmp_path)
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(tmp_path / "state.db") as db:  # still a database, at serial 2
        assert db.execute("SELECT value FROM meta WHERE key = 'serial'").fetchone()[0] == "2"
    anchor = org / ".audit" / "state-anchor.json"
    assert anchor.is_file() and not anchor.is_symlink() and '"states"' in anchor.read_text()
    verify = cli(tmp_path, "state", "verify", "org", "--state", "sqlite:///state.db")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_links_at_temporary_names_of_plans_and_change_files_are_not_written_through(tmp_path):
    org = _org(tmp_path, CHANGEFILE)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.chmod(victim, 0o644)
    folder = org / "out" / "changes" / "emr"
    folder.mkdir(parents=True)
    (folder / "changes-1.1-to-1.3.csv.tmp").symlink_to(victim)
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "next.json.tmp").symlink_to(victim)
    planned = cli(tmp_path, "plan", "org", "--state", "sqlite:///state.db", "--today", TODAY,
                  "--out", "plans/next.json")
    assert planned.returncode == 0, planned.stderr
    applied = _apply(tmp_path)
    assert applied.returncode in (0, 3), applied.stderr
    assert victim.read_text() == "precious\n" and (victim.stat().st_mode & 0o777) == 0o644
    assert (folder / "changes-1.1-to-1.3.csv").is_file() and '"format_version"' in (
        tmp_path / "plans" / "next.json").read_text()


def test_change_files_never_leave_the_org_folder_through_a_linked_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    org = _org(tmp_path, CHANGEFILE + "changefile: {folder: .out/changes}\n")
    (org / ".out").symlink_to(outside)
    applied = _apply(tmp_path)
    assert "is a link" in applied.stdout + applied.stderr and "only inside the org folder" in applied.stdout + \
        applied.stderr, applied.stdout + applied.stderr
    assert list(outside.rglob("*")) == []
    assert not TRACEBACK.search(applied.stderr)


def test_an_anchor_that_is_a_fifo_a_device_or_too_deep_is_refused_at_once(tmp_path):
    org = _org(tmp_path)
    assert _apply(tmp_path).returncode == 0
    anchor = org / ".audit" / "state-anchor.json"
    for make, said in ((lambda: os.mkfifo(anchor), "not a regular file"),
                       (lambda: anchor.symlink_to("/dev/zero"), "cannot read the state anchor"),
                       (lambda: anchor.write_text("[" * 200_000 + "]" * 200_000), "nested more than")):
        anchor.unlink()
        make()
        for args in (("state", "verify", "org"), ("plan", "org", "--today", TODAY)):
            r = cli(tmp_path, *args, "--state", "sqlite:///state.db", timeout=30)
            assert r.returncode == 1, (args, r.stdout, r.stderr)
            assert said in r.stdout + r.stderr and not TRACEBACK.search(r.stderr), (args, r.stdout + r.stderr)
