"""`provisioner evidence` (provisioner/report/evidence.py, bundlecheck.py): a bundle for a
sample carries the chain request → approval → plan → apply → delivery → review, and
`evidence verify` fails after any one byte of it is edited, or against another anchor."""

from __future__ import annotations

import json

import pytest

from provisioner.state import audit as chain

from .conftest import SUBJECT, cli, deliver_at, line_of


@pytest.fixture(scope="module")
def bundle(riverside, tmp_path_factory):
    folder, state = riverside
    deliver_at(state, "2026-11-24T10:00:00", keys={"person.maria-lopez"})
    out = tmp_path_factory.mktemp("evidence") / "bundle"
    r = cli("evidence", folder, "maria-lopez", "linda-sato", "--out", out, "--state", state)
    assert r.exit_code == 0, r.output
    return out


def _verify(path, *extra):
    return cli("evidence", "verify", path, *extra)


def test_a_bundle_carries_each_link_of_the_chain(bundle, riverside):
    folder, _ = riverside
    e = json.loads((bundle / "people" / "maria-lopez.json").read_text())
    assert e["request"]["subject"] == SUBJECT
    assert e["approval"]["approved_by"] == "samuel.okafor@riverside.example"
    therapy = folder / "people" / "therapy.yaml"
    assert e["approval"]["line"] == line_of(therapy, "approved_by:", after="id: maria-lopez")
    assert e["review"]["reviewed_on"] == "2026-09-01"
    (plan,) = e["plans"]
    assert plan["plan_digest"].startswith("sha256:") and {r["action"] for r in plan["rows"]} == {"create"}
    assert [d["status"] for d in e["deliveries"]] == ["delivered"]
    assert e["deliveries"][0]["target"] == "riverside-referrals"
    assert e["removal"] is None
    rows = [json.loads(line) for line in (bundle / "audit-chain.jsonl").read_text().splitlines()]
    by_seq = {r["seq"]: r for r in rows}
    assert all(by_seq[c["seq"]]["hash"] == c["hash"] for c in e["audit_rows"])
    md = (bundle / "people" / "maria-lopez.md").read_text()
    assert "1. **Request**" in md and "6. **Removal**: none" in md
    r = _verify(bundle)
    assert r.exit_code == 0, r.output
    assert f"2 people, {len(rows)} audit rows chained to the anchor" in r.output


def test_one_edited_byte_anywhere_fails_verify(bundle, tmp_path):
    import shutil

    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        copy = tmp_path / path.relative_to(bundle).as_posix().replace("/", "_")
        shutil.copytree(bundle, copy)
        target = copy / path.relative_to(bundle)
        data = bytearray(target.read_bytes())
        i = len(data) // 2
        data[i] = ord("X") if data[i] != ord("X") else ord("Y")
        target.write_bytes(bytes(data))
        r = _verify(copy)
        assert r.exit_code == 1, f"{path.name}: {r.output}"
        assert "error:" in r.output


def _rewrite_chain(bundle, edit_seq):
    """A forger's bundle: one row edited, every later hash recomputed, manifest resealed."""
    from provisioner.report.evidence import sha256

    lines = (bundle / "audit-chain.jsonl").read_text().splitlines()
    rows = [json.loads(l) for l in lines]
    prev = chain.GENESIS
    for r in rows:
        if r["seq"] == edit_seq:
            r["actor"] = "someone-else@example.org"
        r["prev_hash"] = prev
        content = chain.row_content(r["seq"], r["at"], r["actor"], r["plan_digest"], r["address"], r["action"],
                                    chain.canonical(r["before"]), chain.canonical(r["after"]))
        r["hash"] = prev = chain.row_hash(prev, content)
    data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()
    (bundle / "audit-chain.jsonl").write_bytes(data)
    man = json.loads((bundle / "manifest.json").read_text())
    man["files"]["audit-chain.jsonl"] = sha256(data)
    man["anchor"] = {"seq": rows[-1]["seq"], "hash": rows[-1]["hash"]}
    (bundle / "manifest.json").write_text(json.dumps(man))


def test_an_outside_anchor_catches_a_resealed_forgery(bundle, tmp_path):
    import shutil

    true_anchor = json.loads((bundle / "manifest.json").read_text())["anchor"]
    anchor_file = tmp_path / "anchor.json"
    anchor_file.write_text(json.dumps({"audit_seq": true_anchor["seq"], "audit_hash": true_anchor["hash"]}))
    assert _verify(bundle, "--anchor", anchor_file).exit_code == 0
    forged = tmp_path / "forged"
    shutil.copytree(bundle, forged)
    _rewrite_chain(forged, edit_seq=5)
    r = _verify(forged, "--anchor", anchor_file)
    assert r.exit_code == 1 and f"audit row {true_anchor['seq']}: its hash differs from the anchor's" in r.output
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps({"seq": 3, "hash": "0" * 64}))
    r = _verify(bundle, "--anchor", earlier)
    assert r.exit_code == 1 and "its hash differs from the anchor's" in r.output


def test_the_anchor_file_written_beside_the_org_is_read(bundle, tmp_path):
    man = json.loads((bundle / "manifest.json").read_text())
    org = tmp_path / "org"
    (org / ".audit").mkdir(parents=True)
    entry = {"audit_seq": man["anchor"]["seq"], "audit_hash": man["anchor"]["hash"], "serial": 1}
    (org / ".audit" / "state-anchor.json").write_text(json.dumps(
        {"format_version": "1", "org": "riverside-health", "states": {man["state"]["lineage"]: entry}}))
    r = _verify(bundle, "--anchor", org)
    assert r.exit_code == 0, r.output
    entry["audit_hash"] = "f" * 64
    (org / ".audit" / "state-anchor.json").write_text(json.dumps(
        {"states": {"another-lineage": entry, "and-another": entry}}))
    r = _verify(bundle, "--anchor", org)
    assert r.exit_code == 1 and "holds no anchor" in r.output


def test_an_outside_anchor_older_than_later_delivery_rows_is_passed_through(bundle, tmp_path):
    rows = [json.loads(l) for l in (bundle / "audit-chain.jsonl").read_text().splitlines()]
    older = rows[-3]
    anchor = tmp_path / "a.json"
    anchor.write_text(json.dumps({"seq": older["seq"], "hash": older["hash"]}))
    r = _verify(bundle, "--anchor", anchor)
    assert r.exit_code == 0, r.output
    assert "2 later row(s) are past this anchor" in r.output
