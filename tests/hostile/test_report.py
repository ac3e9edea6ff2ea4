"""Bad inputs to the auditor's commands: each gets `error: …` naming the cause (and the
file:line when there is one), a non-zero exit, no traceback and no state written."""

from __future__ import annotations

import os

import pytest

from .corpus import Case, check, ids

BROKEN_PERSON = {"people.yaml": """
    kind: Person
    id: ana-ruiz
    name: Ana Ruiz
    email: [not, an, email]
    account_type: physician_staff
    offices: [north]
    """}

CASES = [
    Case("access-nobody", args=("access", "{org}"), exit=2, expect=r"error: name one or more people"),
    Case("access-unknown-person", args=("access", "{org}", "zed"), expect=r"error: no person 'zed'"),
    Case("access-broken-org", args=("access", "{org}", "--all"), files=BROKEN_PERSON,
         expect=r"does not make an organization", located=r"people\.yaml:4"),
    Case("whocan-unknown-permission", args=("who-can", "{org}", "finsh_soap_notes"),
         expect=r"error: 'finsh_soap_notes' is not a permission.*did you mean finish_soap_notes"),
    Case("whocan-unknown-office", args=("who-can", "{org}", "take_payments", "--office", "mars"),
         expect=r"error: no office 'mars'"),
    Case("whocan-nothing", args=("who-can", "{org}"), exit=2, expect=r"error: name a PERMISSION"),
    Case("report-check-missing", args=("report", "{org}", "--check"), expect=r"error: .*ACCESS\.md does not exist"),
    Case("report-check-stale", args=("report", "{org}", "--check"), files={"ACCESS.md": "old\n"},
         expect=r"^--- .*-old.*error: .*ACCESS\.md is stale"),
    Case("report-out-unwritable", args=("report", "{org}", "--out", "/proc/version/A.md"),
         expect=r"error: cannot write .*A\.md"),
    Case("log-no-state", args=("log", "--state", "{state}"), expect=r"error: .*state"),
    Case("log-bad-date", args=("log", "--state", "{state}", "--since", "2026-13-01"), exit=2,
         expect=r"'2026-13-01' is not a date written YYYY-MM-DD"),
    Case("terminations-bad-time", args=("report", "terminations", "{org}", "--as-of", "yesterday"), exit=2,
         expect=r"'yesterday' is not a time"),
    Case("terminations-bad-policy", args=("report", "terminations", "{org}"),
         files={"org.yaml": "kind: Organization\nid: x\nname: X\nmaster_group: x\npolicy: {deprovision_within_hours: 0}\n"},
         expect=r"SCHEMA001.*deprovision_within_hours|does not make an organization", located=r"org\.yaml:\d+"),
    Case("review-bad-window", args=("review", "{org}", "--due-within", "soon"),
         expect=r"error: 'soon' is not a window such as 30d"),
    Case("review-not-a-campaign", args=("review", "{org}", "--campaign", "org/people.yaml"),
         expect=r"error: org/people\.yaml: not a campaign file"),
    Case("review-bad-campaign-date", args=("review", "{org}", "--campaign", "c.csv"),
         setup=lambda tmp, org: (tmp / "c.csv").write_text("campaign,reviewer,person\nsoon,a@b,ana-ruiz\n"),
         expect=r"error: c\.csv: line 2: campaign 'soon' is not a date"),
    Case("evidence-no-state", args=("evidence", "{org}", "ana-ruiz", "--out", "ev", "--state", "{state}"),
         expect=r"error: nothing has been applied"),
    Case("evidence-unknown-person", args=("evidence", "{org}", "zed", "--out", "ev"), expect=r"error: no person 'zed'"),
    Case("evidence-verify-not-a-bundle", args=("evidence", "verify", "org"), expect=r"error: org: manifest\.json is missing"),
    Case("evidence-verify-bad-anchor", args=("evidence", "verify", "org", "--anchor", "org/people.yaml"),
         expect=r"error: cannot read the anchor"),
    Case("evidence-verify-anchor-holding-nan", args=("evidence", "verify", "org", "--anchor", "a.json"),
         setup=lambda tmp, org: (tmp / "a.json").write_text('{"states": {"x": {"audit_seq": NaN}}}'),
         expect=r"error: cannot read the anchor a\.json: NaN is not JSON"),
    Case("evidence-verify-anchor-a-fifo", args=("evidence", "verify", "org", "--anchor", "a.fifo"),
         setup=lambda tmp, org: os.mkfifo(tmp / "a.fifo"),
         expect=r"error: cannot read the anchor a\.fifo: not a regular file but a FIFO"),
    Case("evidence-verify-anchor-too-large", args=("evidence", "verify", "org", "--anchor", "a.json"),
         setup=lambda tmp, org: (tmp / "a.json").write_text(" " * (2 << 20) + "{}"),
         expect=r"error: cannot read the anchor a\.json: the file is larger than 1,048,576 bytes"),
    Case("evidence-verify-anchor-nested-deep", args=("evidence", "verify", "org", "--anchor", "a.json"),
         setup=lambda tmp, org: (tmp / "a.json").write_text("[" * 100_000),
         expect=r"error: cannot read the anchor a\.json: nested too deep"),
    Case("access-not-a-folder", args=("access", "{tmp}/nowhere", "--all"), expect=r"LOAD001|not a folder"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_report_inputs(case, tmp_path):
    check(case, tmp_path)


def test_a_damaged_state_met_anywhere_is_one_error_line_and_bundles_nested_too_deep_are_problems(monkeypatch, tmp_path):
    import sqlite3

    from click.testing import CliRunner

    from provisioner.cli import main
    from provisioner.cli import state_cmd
    from provisioner.report.bundlecheck import verify_bundle

    def damaged(*a, **k):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(state_cmd, "read_state", damaged)
    r = CliRunner().invoke(main, ["state", "list", "--state", f"sqlite:///{tmp_path}/s.db"])
    assert r.exit_code == 1 and "Traceback" not in r.output and "internal error" not in r.output
    assert "the state database could not be read" in r.output and "restore it from a backup" in r.output
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    for files in ({"manifest.json": deep}, {"manifest.json": b'{"files": {}}', "audit-chain.jsonl": deep}):
        problems, _ = verify_bundle(files)
        assert problems and all(isinstance(p, str) for p in problems)
