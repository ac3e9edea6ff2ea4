"""Hostile saved plans, state URLs and command-line arguments (issue 7, item 1): nesting
and number bombs in plan JSON, special files where a plan or a state should be, plan
files that cannot be written. Each gets `error: …` naming the file and the cause."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .corpus import Case, check, ids
from .inprocess import check_here

N = 100_000
NOT_PLAN = r"is not a (provisioner )?plan"


def plan_text(text: str | bytes):
    def setup(tmp, org):
        path = tmp / "plan.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return setup


def fifo(name):
    return lambda tmp, org: os.mkfifo(tmp / name)


def folder(name):
    return lambda tmp, org: (tmp / name).mkdir()


def text_file(name, text="hello, not a database\n" * 100):
    return lambda tmp, org: (tmp / name).write_text(text)


SHOW = ("show", "plan.json")
APPLY = ("apply", "plan.json")

CASES = [
    # -- saved plan files: nesting, numbers, garbage (read_plan)
    Case("plan-deep-array", r"plan\.json.*nest", args=SHOW, setup=plan_text("[" * N)),
    Case("plan-deep-object", r"plan\.json.*nest", args=SHOW, setup=plan_text('{"a": ' * N)),
    Case("plan-deep-inside", r"plan\.json.*nest", args=SHOW,
         setup=plan_text('{"format_version": "1", "changes": ' + "[" * N)),
    Case("plan-deep-500-closed", r"plan\.json.*nest", args=SHOW,
         setup=plan_text('{"format_version": "1", "changes": ' + "[" * 500 + "]" * 500 + "}")),
    Case("plan-deep-apply", r"plan\.json.*nest", args=APPLY, setup=plan_text("[" * N)),
    Case("plan-huge-int", r"plan\.json.*digits", args=SHOW,
         setup=plan_text('{"format_version": "1", "serial": ' + "9" * 5000 + "}")),
    Case("plan-huge-int-apply", r"plan\.json.*digits", args=APPLY,
         setup=plan_text('{"format_version": "1", "state": {"serial": ' + "9" * N + "}}")),
    Case("plan-nan", NOT_PLAN, args=SHOW, setup=plan_text('{"format_version": "1", "x": NaN}')),
    Case("plan-infinity", NOT_PLAN, args=SHOW, setup=plan_text('{"format_version": "1", "x": -Infinity}')),
    Case("plan-1e999", NOT_PLAN, args=SHOW, setup=plan_text('{"format_version": "1", "x": 1e999}')),
    Case("plan-empty", NOT_PLAN, args=SHOW, setup=plan_text("")),
    Case("plan-binary", NOT_PLAN, args=SHOW, setup=plan_text(b"\xff\xfe\x00garbage\x00")),
    Case("plan-utf16", NOT_PLAN, args=SHOW, setup=plan_text('{"format_version": "1"}'.encode("utf-16"))),
    Case("plan-null", NOT_PLAN, args=SHOW, setup=plan_text("null")),
    Case("plan-list", NOT_PLAN, args=SHOW, setup=plan_text("[]")),
    Case("plan-string", NOT_PLAN, args=SHOW, setup=plan_text('"plan"')),
    Case("plan-version-number", r"plan", args=SHOW, setup=plan_text('{"format_version": 1}')),
    Case("plan-fifo-show", r"plan\.json.*not a regular file.*FIFO", args=SHOW, setup=fifo("plan.json"),
         timeout=10),
    Case("plan-fifo-apply", r"plan\.json.*not a regular file.*FIFO", args=APPLY, setup=fifo("plan.json"),
         timeout=10),
    Case("plan-is-folder", r"plan\.json.*(directory|folder)", args=SHOW, setup=folder("plan.json"), exit=2),
    Case("plan-dangling", r"no plan file", args=SHOW,
         setup=lambda tmp, org: (tmp / "plan.json").symlink_to("gone.json")),
    # -- plan --out that cannot be written: a message, no leftover *.tmp
    Case("out-parent-is-file", r"cannot write the plan.*org/people\.yaml", args=("plan", "{org}", "--out",
         "org/people.yaml/p.json")),
    Case("out-in-proc", r"cannot write the plan.*/proc", args=("plan", "{org}", "--out", "/proc/version")),
    # -- state URLs
    Case("state-url-http", r"unsupported state URL", args=("plan", "{org}", "--state", "http://x/y.db")),
    Case("state-url-empty-path", r"names no database", args=("plan", "{org}", "--state", "sqlite:///")),
    Case("state-url-missing-folder", r"does not exist", args=("apply", "{org}", "--auto-approve", "--state",
         "sqlite:///nodir/x.db")),
    Case("state-url-missing-folder-plan", r"folder .*nodir for the state database x\.db does not exist",
         args=("plan", "{org}", "--state", "sqlite:///nodir/x.db")),
    Case("state-url-is-folder", r"state\.db.*(directory|folder|not a regular file)",
         args=("plan", "{org}", "--state", "{state}"), setup=folder("state.db")),
    Case("state-url-not-database", r"state\.db.*not a (SQLite )?database",
         args=("plan", "{org}", "--state", "{state}"), setup=text_file("state.db")),
    Case("state-url-fifo", r"state\.db.*not a regular file", args=("plan", "{org}", "--state", "{state}"),
         setup=fifo("state.db"), timeout=10),
    Case("state-env-ftp", r"unsupported state URL", args=("state", "list"), env={"PROVISIONER_STATE": "ftp://x"}),
    Case("state-list-none", r"no state database", args=("state", "list", "nothing-here")),
    Case("state-verify-not-database", r"state\.db.*not a (SQLite )?database",
         args=("state", "verify", "--state", "{state}"), setup=text_file("state.db")),
    Case("state-show-no-state", r"no state", args=("state", "show", "person.x")),
    Case("state-url-nul-like", r"unsupported state URL", args=("plan", "{org}", "--state", "sqlite:/x.db")),
    # -- command-line arguments: usage errors, exit 2, never a traceback
    Case("today-invalid", r"not a date", args=("validate", "{org}", "--today", "2026-02-30"), exit=2),
    Case("today-empty", r"not a date", args=("validate", "{org}", "--today", ""), exit=2),
    Case("format-unknown", r"xml", args=("validate", "{org}", "--format", "xml"), exit=2),
    Case("rules-unknown", r"unknown rule", args=("rules", "NOPE999"), exit=2),
    Case("command-unknown", r"No such command", args=("frobnicate",), exit=2),
    Case("lock-timeout-text", r"lock-timeout", args=("apply", "{org}", "--lock-timeout", "soon"), exit=2),
    Case("validate-missing-folder", r"LOAD001|does not exist", args=("validate", "nope")),
    Case("org-dir-is-file", r"is a file", args=("validate", "org/people.yaml"), exit=2),
]


# Rows that could crash or hang the interpreter if their bound regressed run in a fresh
# process; the rest run in this one (same checks, a fraction of the time).
PROCESS = {'plan-deep-array', 'plan-deep-apply', 'plan-fifo-show', 'plan-fifo-apply', 'state-url-fifo', 'plan-huge-int-apply'}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_hostile_plan_state_or_argument(case, tmp_path, monkeypatch):
    output = check(case, tmp_path).output if case.id in PROCESS else check_here(case, tmp_path, monkeypatch)
    leftovers = [p for p in tmp_path.rglob("*.tmp")]
    assert not leftovers, f"{case.id}: left {leftovers}"
    assert "root:x:0" not in output


def test_a_real_plan_still_shows(tmp_path):
    from .corpus import MINIMAL
    import shutil

    shutil.copytree(MINIMAL, tmp_path / "org")
    run = lambda *a: subprocess.run([sys.executable, "-m", "provisioner", *a], cwd=tmp_path,  # noqa: E731
                                    capture_output=True, text=True)
    made = run("plan", "org", "--out", "plan.json", "--today", "2026-11-23")
    assert made.returncode == 0, made.stderr
    shown = run("show", "plan.json")
    assert shown.returncode == 0 and "create" in shown.stdout


def test_an_interrupted_plan_out_leaves_no_partial_file(tmp_path, monkeypatch):
    from provisioner import privatefile
    from provisioner.plan import planfile

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(privatefile.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        planfile.write_plan({"format_version": "1"}, tmp_path / "p.json")
    assert list(tmp_path.iterdir()) == []
