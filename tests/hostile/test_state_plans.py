"""Hostile and mistaken state and plans: tampered resource rows, meta and audit rows (edited
with SQL in `setup`), consistent forgeries only the anchor or the key can catch, forged and
lying plans, another org's state, stale locks, bad state URLs. One row per input."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli import main

from .corpus import Case, check, ids

TODAY = "2026-11-23"
ORG_ID = "lakeside-clinic"
SPARE_SEAT = {"org.yaml": (Path(__file__).resolve().parent.parent / "fixtures" / "minimal" / "org.yaml")
              .read_text().replace("licenses: {therapist: 1}", "licenses: {therapist: 2}")}
WAIVER = """
    kind: Waiver
    rule: LIC003
    subject: north/therapist
    justification: the second seat is held for a hire starting in January
    approved_by: cfo@lakeside.example
    expires: 2027-06-30
    """


# -- setup helpers (run in the test process, before the command) ---------------------------
def _url(tmp: Path, name: str = "state.db") -> str:
    return f"sqlite:///{tmp / name}"


def _cli(*args: str, env: dict[str, str] | None = None) -> None:
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        r = CliRunner().invoke(main, [str(a) for a in args])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert r.exit_code == 0, r.output


def _apply(tmp: Path, org: Path, name: str = "state.db", env: dict[str, str] | None = None) -> None:
    _cli("apply", org, "--auto-approve", "--state", _url(tmp, name), "--today", TODAY, "--actor", "setup",
         env=env)


def _sql(tmp: Path, *statements: str, name: str = "state.db") -> None:
    with sqlite3.connect(tmp / name) as db:
        for s in statements:
            db.execute(s)


def applied(*statements: str, env: dict[str, str] | None = None):
    """Setup: apply the org into state.db, then run `statements` on it."""
    def setup(tmp: Path, org: Path) -> None:
        _apply(tmp, org, env=env)
        _sql(tmp, *statements)
    return setup


def _forge_consistently(tmp: Path) -> None:
    """An attacker who knows the formats: grant ben-cho client admin in the resource row and
    in its audit row, then recompute every hash the database holds (no key, no anchor)."""
    from provisioner.state import audit as chain

    db = sqlite3.connect(tmp / "state.db")
    db.row_factory = sqlite3.Row
    with db:
        attrs = json.loads(db.execute("SELECT attributes FROM resources WHERE address = 'person.ben-cho'")
                           .fetchone()[0])
        attrs["admin"] = ["client_admin"]
        db.execute("UPDATE resources SET attributes = ? WHERE address = 'person.ben-cho'", (chain.canonical(attrs),))
        prev = chain.GENESIS
        for row in [dict(r) for r in db.execute("SELECT * FROM audit ORDER BY seq")]:
            after = row["after_json"]
            if row["address"] == "person.ben-cho":
                doc = json.loads(after)
                doc["attributes"] = attrs
                after = chain.canonical(doc)
            digest = chain.row_hash(prev, chain.row_content(row["seq"], row["at"], row["actor"], row["plan_digest"],
                                                            row["address"], row["action"], row["before_json"],
                                                            after))
            db.execute("UPDATE audit SET after_json = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                       (after, prev, digest, row["seq"]))
            prev = digest
        db.execute("UPDATE meta SET value = ? WHERE key = 'audit_hash'", (prev,))
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "commits" in tables:
            _reseal_commits(db)
    db.close()


def _reseal_commits(db) -> None:
    """Recompute every commit record over the forged tables, without a key."""
    from provisioner.state import audit as chain
    from provisioner.state import integrity

    count, digest = integrity.resources_digest(db.execute(
        "SELECT address, kind, status, attributes, serial FROM resources ORDER BY address"))
    prev = chain.GENESIS
    commits = [dict(r) for r in db.execute("SELECT * FROM commits ORDER BY seq")]
    for c in commits:
        c["audit_hash"] = db.execute("SELECT hash FROM audit WHERE seq = ?", (c["audit_seq"],)).fetchone()[0]
        if c is commits[-1]:
            c["resources"], c["resources_digest"] = count, digest
        c["prev_mac"] = prev
        c["mac_alg"], c["mac"] = integrity.commit_mac(prev, integrity.commit_content(c), None)
        db.execute("UPDATE commits SET audit_hash = ?, resources = ?, resources_digest = ?, prev_mac = ?, "
                   "mac_alg = ?, mac = ? WHERE seq = ?", (c["audit_hash"], c["resources"], c["resources_digest"],
                                                          prev, c["mac_alg"], c["mac"], c["seq"]))
        prev = c["mac"]


def forged(env: dict[str, str] | None = None):
    def setup(tmp: Path, org: Path) -> None:
        _apply(tmp, org, env=env)
        _forge_consistently(tmp)
    return setup


def _other_org(tmp: Path) -> Path:
    other = tmp / "other"
    shutil.copytree(tmp / "org", other)
    text = (other / "org.yaml").read_text().replace(f"id: {ORG_ID}", "id: other-clinic")
    (other / "org.yaml").write_text(text)
    return other


def others_state(tmp: Path, org: Path) -> None:
    _apply(tmp, _other_org(tmp))


def removed_after_apply(tmp: Path, org: Path) -> None:
    _apply(tmp, org)
    (tmp / "state.db").unlink()


def rolled_back(tmp: Path, org: Path) -> None:
    _apply(tmp, org)
    shutil.copy(tmp / "state.db", tmp / "backup.db")
    (org / "org.yaml").write_text((org / "org.yaml").read_text().replace("North Office", "North Clinic"))
    _apply(tmp, org)
    shutil.copy(tmp / "backup.db", tmp / "state.db")


def anchor_edited(tmp: Path, org: Path) -> None:
    _apply(tmp, org)
    for path in org.rglob("*anchor*.json"):
        path.write_text(path.read_text().replace('"serial": 1', '"serial": 2'))


def replaced_by_fresh_state(tmp: Path, org: Path) -> None:
    """The database is swapped for one built from scratch: same content, new history."""
    _apply(tmp, org)
    (tmp / "state.db").unlink()
    anchors = {p: p.read_bytes() for p in org.rglob("*anchor*.json")}
    for p in anchors:
        p.unlink()
    _apply(tmp, org)
    for p, data in anchors.items():
        p.write_bytes(data)


def tampered_then_changed(tmp: Path, org: Path) -> None:
    applied("UPDATE resources SET attributes = json_set(attributes, '$.admin', json('[\"client_admin\"]')) "
            "WHERE address = 'person.cy-park'")(tmp, org)
    (org / "org.yaml").write_text((org / "org.yaml").read_text().replace("North Office", "North Clinic"))


def plan_then_tamper(tmp: Path, org: Path) -> None:
    _apply(tmp, org)
    (org / "org.yaml").write_text((org / "org.yaml").read_text().replace("North Office", "North Clinic"))
    _cli("plan", org, "--state", _url(tmp), "--today", TODAY, "--out", tmp / "plan.json")
    _sql(tmp, "UPDATE resources SET status = 'active', attributes = json_set(attributes, '$.admin', "
              "json('[\"client_admin\"]')) WHERE address = 'person.cy-park'")


def _rename_office(org: Path) -> None:
    (org / "org.yaml").write_text((org / "org.yaml").read_text().replace("North Office", "North Clinic"))


def resealed_plan(edit):
    """Setup: apply the org, rename an office, save the plan, edit it with `edit`, re-seal it."""
    def setup(tmp: Path, org: Path) -> None:
        from provisioner.plan.planfile import seal

        _apply(tmp, org)
        _rename_office(org)
        _cli("plan", org, "--state", _url(tmp), "--today", TODAY, "--out", tmp / "plan.json")
        doc = json.loads((tmp / "plan.json").read_text())
        edit(doc)
        (tmp / "plan.json").write_text(json.dumps(seal(doc)))
    return setup


def _lie_summary(doc):
    doc["summary"]["update"], doc["summary"]["create"] = 0, 1


def _hide_findings(doc):
    assert doc["diagnostics"]
    doc["diagnostics"] = []


def _soften_finding(doc):
    doc["diagnostics"][0]["severity"] = "info"
    doc["diagnostics"][0]["message"] = "all seats used"


def _other_org_in_plan(doc):
    doc["org"] = "other-clinic"


def _add_admin_change(doc):
    doc["changes"][0]["after"]["attributes"]["admin"] = ["client_admin"]


def _drop_diff(doc):
    doc["changes"][0]["reason"] = "nothing to see here"


def locked_by(host: str, pid: int, holder: str = "alice@ops.example"):
    def setup(tmp: Path, org: Path) -> None:
        _apply(tmp, org)
        _rename_office(org)
        since = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")  # taken by a live holder just now
        _sql(tmp, "INSERT INTO state_lock (id, token, holder, pid, host, since) VALUES "
                  f"(1, 'tok', '{holder}', {pid}, '{host}', '{since}')")
    return setup


def anchor_rewritten(edit):
    def setup(tmp: Path, org: Path) -> None:
        _apply(tmp, org)
        path = org / ".audit" / "state-anchor.json"
        path.write_text(edit(path.read_text()))
    return setup


def plan_for_other_state(tmp: Path, org: Path) -> None:
    """A re-sealed plan whose recorded state URL points at another org's database."""
    from provisioner.plan.planfile import seal

    _apply(tmp, _other_org(tmp), name="other.db")
    _cli("plan", org, "--state", _url(tmp), "--today", TODAY, "--out", tmp / "plan.json")
    doc = json.loads((tmp / "plan.json").read_text())
    doc["state"]["url"] = _url(tmp, "other.db")
    (tmp / "plan.json").write_text(json.dumps(seal(doc)))


def newer_schema(tmp: Path, org: Path) -> None:
    _apply(tmp, org)
    _sql(tmp, "INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'future', 'x')")


def garbage_state(tmp: Path, org: Path) -> None:
    (tmp / "state.db").write_text("this is not a database\n" * 50)


def world_readable(tmp: Path, org: Path) -> None:
    _apply(tmp, org)
    os.chmod(tmp / "state.db", 0o644)


ADMIN_INJECTED = ("UPDATE resources SET attributes = json_set(attributes, '$.admin', json('[\"client_admin\"]')) "
                  "WHERE address = 'person.cy-park'")
VERIFY = ("state", "verify", "--state", "{state}")
VERIFY_ORG = ("state", "verify", "{org}", "--state", "{state}")
APPLY_ORG = ("apply", "{org}", "--auto-approve", "--state", "{state}", "--today", TODAY)
HERE = socket.gethostname()
KEY = {"PROVISIONER_AUDIT_KEY": "k1-correct-horse-battery"}

CASES = [
    # -- the resources and the meta table are checked, not only the audit rows ------------
    Case("admin-right-injected", r"person\.cy-park: differs from the audit log in admin \(edited\)", args=VERIFY,
         setup=applied(ADMIN_INJECTED)),
    Case("resource-row-deleted", r"profile\.ana-ruiz-pt.*(missing|deleted)", args=VERIFY,
         setup=applied("DELETE FROM resources WHERE address = 'profile.ana-ruiz-pt'")),
    Case("resource-row-inserted", r"person\.mallory.*not in the audit log", args=VERIFY,
         setup=applied("INSERT INTO resources (address, kind, attributes, status, serial) VALUES "
                       "('person.mallory', 'person', '{\"admin\":[\"client_admin\"]}', 'active', 1)")),
    Case("resource-status-flipped", r"person\.ben-cho.*(edited|differ)", args=VERIFY,
         setup=applied("UPDATE resources SET status = 'inactive' WHERE address = 'person.ben-cho'")),
    Case("resource-serial-changed", r"office\.north.*serial", args=VERIFY,
         setup=applied("UPDATE resources SET serial = 7 WHERE address = 'office.north'")),
    Case("resource-kind-changed", r"office\.north.*(edited|differ)", args=VERIFY,
         setup=applied("UPDATE resources SET kind = 'person' WHERE address = 'office.north'")),
    Case("meta-serial-changed", r"serial.*5|5.*serial", args=VERIFY,
         setup=applied("UPDATE meta SET value = '5' WHERE key = 'serial'")),
    Case("meta-lineage-changed", r"lineage", args=VERIFY,
         setup=applied("UPDATE meta SET value = 'not-the-lineage' WHERE key = 'lineage'")),
    Case("meta-head-deleted", r"audit", args=VERIFY,
         setup=applied("DELETE FROM meta WHERE key IN ('audit_seq', 'audit_hash')")),
    Case("meta-serial-not-a-number", r"serial", args=("state", "list", "--state", "{state}"),
         setup=applied("UPDATE meta SET value = 'abc' WHERE key = 'serial'")),
    Case("attributes-not-json", r"office\.north", args=VERIFY,
         setup=applied("UPDATE resources SET attributes = '{{{' WHERE address = 'office.north'")),
    Case("audit-after-not-json", r"audit row 2", args=VERIFY,
         setup=applied("UPDATE audit SET after_json = '{{{' WHERE seq = 2")),
    Case("audit-row-edited", r"audit row 3.*edited", args=VERIFY,
         setup=applied("UPDATE audit SET actor = 'mallory' WHERE seq = 3")),
    Case("audit-row-deleted", r"audit row 4 is missing", args=VERIFY,
         setup=applied("DELETE FROM audit WHERE seq = 4")),
    # -- anchored outside the database: consistent rewrites, lost and replaced states -------
    Case("consistent-forgery-vs-anchor", r"anchor", args=VERIFY_ORG, setup=forged()),
    Case("rolled-back-vs-anchor", r"anchor.*serial 2|behind", args=VERIFY_ORG, setup=rolled_back),
    Case("anchor-file-edited", r"anchor", args=VERIFY_ORG, setup=anchor_edited),
    Case("state-replaced-vs-anchor", r"anchor.*lineage|lineage.*anchor", args=VERIFY_ORG,
         setup=replaced_by_fresh_state),
    Case("state-lost-apply-refused", r"anchor.*(lost|restore)", args=APPLY_ORG, setup=removed_after_apply),
    Case("hmac-wrong-key", r"PROVISIONER_AUDIT_KEY", args=VERIFY, setup=applied(env=KEY),
         env={"PROVISIONER_AUDIT_KEY": "another-key"}),
    Case("hmac-forged-without-key", r"PROVISIONER_AUDIT_KEY", args=VERIFY, setup=forged(env=KEY), env=KEY),
    Case("hmac-keyed-state-apply-without-key", r"PROVISIONER_AUDIT_KEY", args=APPLY_ORG,
         setup=lambda tmp, org: (applied(env=KEY)(tmp, org),
                                 (org / "org.yaml").write_text((org / "org.yaml").read_text()
                                                               .replace("North Office", "North Clinic")))),
    # -- apply and plan refuse a state that fails verification ------------------------------
    Case("apply-onto-tampered-state", r"verif.*person\.cy-park", args=APPLY_ORG, setup=tampered_then_changed),
    Case("saved-plan-onto-tampered-state", r"verif.*person\.cy-park",
         args=("apply", "{tmp}/plan.json", "--state", "{state}", "--today", TODAY), setup=plan_then_tamper),
    Case("plan-against-tampered-state", r"verif.*person\.cy-park",
         args=("plan", "{org}", "--state", "{state}", "--today", TODAY), setup=applied(ADMIN_INJECTED)),
    # -- a state records its org ------------------------------------------------------------
    Case("plan-against-other-orgs-state", r"other-clinic.*lakeside-clinic|lakeside-clinic.*other-clinic",
         args=("plan", "{org}", "--state", "{state}", "--today", TODAY), setup=others_state),
    Case("apply-into-other-orgs-state", r"other-clinic", args=APPLY_ORG, setup=others_state),
    Case("verify-org-against-other-orgs-state", r"other-clinic", args=VERIFY_ORG, setup=others_state),
    # -- saved plans are honest all the way through -----------------------------------------
    Case("plan-summary-lies", r"summary", args=("apply", "{tmp}/plan.json", "--today", TODAY),
         setup=resealed_plan(_lie_summary)),
    Case("plan-hides-findings", r"diagnostics|findings", files=SPARE_SEAT,
         args=("apply", "{tmp}/plan.json", "--today", TODAY), setup=resealed_plan(_hide_findings)),
    Case("plan-softens-finding", r"diagnostics|findings", files=SPARE_SEAT,
         args=("apply", "{tmp}/plan.json", "--today", TODAY), setup=resealed_plan(_soften_finding)),
    Case("plan-names-another-org", r"other-clinic", args=("apply", "{tmp}/plan.json", "--today", TODAY),
         setup=resealed_plan(_other_org_in_plan)),
    Case("plan-adds-admin-right", r"differ", args=("apply", "{tmp}/plan.json", "--today", TODAY),
         setup=resealed_plan(_add_admin_change)),
    Case("plan-rewrites-a-reason", r"differ", args=("apply", "{tmp}/plan.json", "--today", TODAY),
         setup=resealed_plan(_drop_diff)),
    # -- stale locks are broken deliberately, by name ------------------------------------------
    Case("apply-waits-on-foreign-lock", r"alice@ops\.example.*ci-runner-7.*state unlock",
         args=(*APPLY_ORG, "--lock-timeout", "0.2"), setup=locked_by("ci-runner-7", 4242)),
    Case("unlock-without-holder", r"alice@ops\.example.*--holder",
         args=("state", "unlock", "--state", "{state}"), setup=locked_by("ci-runner-7", 4242)),
    Case("unlock-wrong-holder", r"held by alice@ops\.example",
         args=("state", "unlock", "--state", "{state}", "--holder", "bob"), setup=locked_by("ci-runner-7", 4242)),
    Case("unlock-live-local-holder", r"alive|running",
         args=("state", "unlock", "--state", "{state}", "--holder", "alice@ops.example"), setup=locked_by(HERE, 1)),
    Case("unlock-when-not-locked", r"not locked",
         args=("state", "unlock", "--state", "{state}", "--holder", "alice@ops.example"), setup=applied()),
    Case("unlock-on-tampered-state", r"fails verification.*person\.cy-park",
         args=("state", "unlock", "{org}", "--state", "{state}", "--holder", "alice@ops.example"),
         setup=lambda tmp, org: (locked_by("ci-runner-7", 4242)(tmp, org), _sql(tmp, ADMIN_INJECTED))),
    Case("unlock-foreign-stale-lock", r"alice@ops\.example.*ci-runner-7", exit=0, state_written=True,
         args=("state", "unlock", "--state", "{state}", "--holder", "alice@ops.example"),
         setup=locked_by("ci-runner-7", 4242)),
    Case("anchor-not-json", r"state-anchor\.json:1: the state anchor is not JSON", args=VERIFY_ORG,
         setup=anchor_rewritten(lambda text: "{ this is not json")),
    Case("anchor-holding-nan", r"state-anchor\.json:1: the state anchor is not JSON \(NaN is not JSON\)",
         args=VERIFY_ORG, setup=anchor_rewritten(lambda text: text.replace('"org": "lakeside-clinic"', '"org": NaN'))),
    Case("anchor-of-another-org", r"anchor .* is for org other-clinic", args=VERIFY_ORG,
         setup=anchor_rewritten(lambda text: text.replace('"org": "lakeside-clinic"', '"org": "other-clinic"'))),
    Case("commit-record-edited", r"commit 1 \(serial 9\)", args=VERIFY,
         setup=applied("UPDATE commits SET serial = 9 WHERE seq = 1")),
    Case("commit-records-deleted", r"no commit records \(deleted\)", args=VERIFY,
         setup=applied("DELETE FROM commits")),
    Case("plan-pointed-at-other-orgs-state", r"belongs to org other-clinic",
         args=("apply", "{tmp}/plan.json", "--today", TODAY), setup=plan_for_other_state),
    Case("show-damaged-attributes", r"office\.north.*not JSON",
         args=("state", "show", "office.north", "--state", "{state}"),
         setup=applied("UPDATE resources SET attributes = '[' WHERE address = 'office.north'")),
    Case("commit-number-made-text", r"commit record 1: its audit_seq is 'x', not a number \(edited\)", args=VERIFY,
         setup=applied("UPDATE commits SET audit_seq = 'x' WHERE seq = 1")),
    Case("audit-after-nested-deep", r"audit row 2.*edited.*whose record of it is not JSON", args=VERIFY,
         setup=applied("UPDATE audit SET after_json = printf('%.*c', 100000, '[') WHERE seq = 2")),
    Case("invitations-of-an-empty-invitation", r"pending", exit=0,
         args=("invitations", ORG_ID, "--state", "{state}", "--today", TODAY),
         setup=applied("UPDATE resources SET attributes = '{}' WHERE kind = 'invitation'")),
    Case("invitations-damaged-serial", r"serial.*not a number",
         args=("invitations", ORG_ID, "--state", "{state}", "--today", TODAY),
         setup=applied("UPDATE meta SET value = 'x1' WHERE key = 'serial'")),
    # -- bad state URLs and databases ----------------------------------------------------------
    Case("state-url-not-sqlite", r"unsupported state URL", args=("state", "verify", "--state", "mysql://db/x")),
    Case("state-url-no-file", r"names no database file", args=("state", "verify", "--state", "sqlite:///")),
    Case("state-url-is-a-folder", r"org", args=("state", "verify", "--state", "sqlite:///org")),
    Case("state-file-not-sqlite", r"state\.db", args=VERIFY, setup=garbage_state),
    Case("state-from-a-newer-provisioner", r"newer|version 99", args=VERIFY, setup=newer_schema),
    Case("state-world-readable", r"chmod|readable by", args=VERIFY, setup=world_readable, exit=0),
    # -- usability ---------------------------------------------------------------------------
    Case("cancelled-apply-writes-no-state", r"confirmation", args=("apply", "{org}", "--today", TODAY)),
    Case("github-format-says-waived", r"waived", files={**SPARE_SEAT, "waivers.yaml": WAIVER}, exit=0,
         args=("validate", "{org}", "--format", "github", "--today", TODAY)),
    Case("json-report-counts-infos", r'"info_count": 0', exit=0,
         args=("validate", "{org}", "--format", "json", "--today", TODAY)),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_state_and_plans(case, tmp_path):
    check(case, tmp_path)
