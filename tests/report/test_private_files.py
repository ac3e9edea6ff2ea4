"""What the auditor's commands write holds people's names, e-mails and rights: owner-only
(0600 files, 0700 folders they make), whatever the umask, as plans and change files are."""

from __future__ import annotations

import os
import stat

from .conftest import apply, cli


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_reports_review_sheets_and_evidence_are_owner_only(small, tmp_path):
    folder, _, state = small
    apply(folder, state)
    old = os.umask(0o022)
    try:
        html = tmp_path / "out" / "report.html"
        assert cli("report", "html", folder, "--out", html, "--state", state).exit_code == 0
        sheet = tmp_path / "review.csv"
        sheet.write_text("stale\n")
        os.chmod(sheet, 0o644)  # an existing file is made owner-only too
        r = cli("review", folder, "--out", sheet, "--format", "csv")
        assert r.exit_code == 0, r.output
        bundle = tmp_path / "evidence" / "q4"
        r = cli("evidence", "collect", folder, "eve", "--out", bundle, "--state", state, "--no-git")
        assert r.exit_code == 0, r.output
    finally:
        os.umask(old)
    assert (_mode(html), _mode(html.parent), _mode(sheet)) == (0o600, 0o700, 0o600)
    written = list(bundle.rglob("*"))
    assert any(p.name == "eve.json" for p in written)
    assert {_mode(p) for p in written if p.is_file()} == {0o600}
    assert {_mode(p) for p in [bundle, bundle.parent, *written] if p.is_dir()} == {0o700}


def test_out_to_the_callers_stdout_is_written_as_the_stream_it_is(small, tmp_path):
    """`--out /dev/fd/1` (or /dev/stdout) is the caller's own stdout: written to, never
    replaced by a file. (/dev/fd/1 here: were this to regress, no file can be made there.)"""
    import subprocess
    import sys

    folder, _, state = small
    apply(folder, state)
    r = subprocess.run([sys.executable, "-m", "provisioner", "report", "html", str(folder), "--out", "/dev/fd/1",
                        "--state", state], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "<html" in r.stdout.lower()
