"""What `state verify` checks beyond the audit rows: the commit chain, the meta table, the
resources against a replay of the audit log, and the anchor kept outside the database.

Every apply (and every `state unlock`) appends one *commit* record: org, lineage, serial,
the audit head it ends at, and the count and sha256 digest of all resource rows in address
order. Commits are hash-chained like audit rows (HMAC-SHA256 with `PROVISIONER_AUDIT_KEY`
when it is set). Verification is one linear pass over each table: the audit chain; the
commit chain, each commit pointing at an audit row whose hash it repeats; the meta table
equal to the last commit; and the resource rows equal to the replay of the audit log (the
last `after` written at each address, and the serial of the commit that wrote it), so an
injected right, a deleted or inserted row and a changed serial are each named. An
attacker who can write the database can recompute every hash; the anchor file (committed
beside the org) and the key are what such a rewrite cannot match. Pure functions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ..canonical import canonical_bytes, loads as strict_loads, plain_bytes
from .audit import GENESIS, canonical, encode_string

KEY_ENV = "PROVISIONER_AUDIT_KEY"
PLAIN, KEYED = "sha256", "hmac-sha256"
NON_RESOURCE_ACTIONS = frozenset({"unlock"})  # audit rows that record an event, not a resource write
DELIVERY_PREFIX = "deliver:"  # a target's result for one operation (state/outbox.py): an event too


# Commit events that write no resource row: their commit repeats the previous resources
# digest instead of reading every row again (the replay check still reads them all).
RESOURCELESS_EVENTS = frozenset({"deliver", "unlock"})


def removes(action: str, after: str) -> bool:
    """Whether an audit row removed its address: a delete, or the old address of a move
    (ID001: its row's after is `{"moved_to": NEW}`)."""
    return action == "delete" or (action == "move" and after.startswith('{"moved_to":'))


def is_event(action: str) -> bool:
    return action in NON_RESOURCE_ACTIONS or action.startswith(DELIVERY_PREFIX)
COMMIT_FIELDS = ("seq", "serial", "lineage", "org", "event", "audit_seq", "audit_hash", "resources",
                 "resources_digest", "at", "actor")


@dataclass(frozen=True)
class Problem:
    """One finding of verification. `code` lets apply tell problems apart: `unsigned` (the
    key is set but nothing is signed yet: the next apply signs), `needs-key` (signed commits
    and no key to check them), `unanchored` (commits newer than the anchor)."""

    message: str
    error: bool = True
    code: str = ""


def audit_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    value = (os.environ if environ is None else environ).get(KEY_ENV)
    return value.encode("utf-8") if value else None


# -- digests -------------------------------------------------------------------------------
def _line(address, kind, status, attributes, serial) -> bytes:
    """The canonical bytes of a resource row as a list, and a newline: what the digests hash."""
    row = [address, kind, status, attributes, serial]
    plain = type(serial) is int and type(address) is str and type(kind) is str and type(status) is str \
        and type(attributes) is str
    return (plain_bytes if plain else canonical_bytes)(row) + b"\n"


def resources_digest(rows: Iterable[Sequence]) -> tuple[int, str]:
    """Count and digest of resource rows (address, kind, status, attributes text, serial),
    given in address order."""
    h, n = hashlib.sha256(), 0
    for address, kind, status, attributes, serial in rows:
        h.update(_line(address, kind, status, attributes, serial))
        n += 1
    return n, "sha256:" + h.hexdigest()


def commit_content(commit: Mapping) -> str:
    return canonical({k: commit[k] for k in COMMIT_FIELDS})


def commit_mac(prev_mac: str, content: str, key: bytes | None) -> tuple[str, str]:
    """(algorithm, mac) of a commit record: HMAC-SHA256 with a key, else plain SHA-256."""
    data = (prev_mac + content).encode("utf-8")
    if key:
        return KEYED, hmac.new(key, data, hashlib.sha256).hexdigest()
    return PLAIN, hashlib.sha256(data).hexdigest()


def after_text(kind: str, status: str, attributes: str) -> str:
    """The audit log's `after` for a resource row, built from the row's stored text (the
    attributes are already canonical JSON), so replay compares strings without parsing."""
    if type(kind) is str and type(status) is str:
        return f'{{"attributes":{attributes},"kind":{encode_string(kind)},"status":{encode_string(status)}}}'
    return '{"attributes":' + attributes + ',"kind":' + canonical(kind) + ',"status":' + canonical(status) + "}"


# -- the commit chain and the meta table ------------------------------------------------------
_INT_FIELDS = ("seq", "serial", "audit_seq", "resources")  # the rest are text


def typed_commits(commits: list[dict]) -> tuple[list[dict], list[Problem]]:
    """The commit records with each field of the type it was written with, and a problem
    for each that is not (a database column holds any type: an edit can put `'x'` in a
    number). Such a field is replaced (-1, "") for the checks that follow, which then name
    the commit as edited too; none of them meets a type it cannot compare."""
    problems, out = [], []
    for i, c in enumerate(commits, 1):
        fixed = dict(c)
        for key in COMMIT_FIELDS + ("mac_alg", "mac", "prev_mac"):
            value = c.get(key)
            number = key in _INT_FIELDS
            if (type(value) is not int) if number else (type(value) is not str):
                problems.append(Problem(f"commit record {i}: its {key} is {value!r}, not "
                                        f"{'a number' if number else 'text'} (edited)"))
                fixed[key] = -1 if number else ""
        out.append(fixed)
    return out, problems


def verify_commits(commits: list[dict], audit_hashes: Mapping[int, str], key: bytes | None) -> list[Problem]:
    problems: list[Problem] = []
    prev, last_serial, lineage, signed, unchecked = GENESIS, None, None, False, 0
    for i, c in enumerate(commits, 1):
        seq, what = c["seq"], f"commit {c['seq']} (serial {c['serial']})"
        if seq != i:
            problems.append(Problem(f"commit record {i} is missing (deleted)"))
        if c["prev_mac"] != prev:
            problems.append(Problem(f"{what}: its link to the previous commit is broken"))
        content = commit_content(c)
        if c["mac_alg"] == KEYED:
            signed = True
            if key is None:
                unchecked += 1
            elif commit_mac(c["prev_mac"], content, key)[1] != c["mac"]:
                problems.append(Problem(f"{what}: its signature does not match {KEY_ENV} (forged, or signed "
                                        "with another key)"))
        elif c["mac_alg"] == PLAIN:
            if commit_mac(c["prev_mac"], content, None)[1] != c["mac"]:
                problems.append(Problem(f"{what}: content does not match its hash (edited)"))
            if signed:
                problems.append(Problem(f"{what} is not signed although earlier commits are (written without "
                                        f"{KEY_ENV}, or forged)"))
        else:
            problems.append(Problem(f"{what}: unknown signature algorithm {c['mac_alg']!r} (edited)"))
        if last_serial is not None:
            want = last_serial + 1 if c["event"] == "apply" else last_serial
            if c["serial"] != want:
                problems.append(Problem(f"{what}: serial should be {want} (edited)"))
        if lineage and c["lineage"] and c["lineage"] != lineage:
            problems.append(Problem(f"{what}: lineage {c['lineage']} differs from the earlier {lineage} (edited)"))
        expected_hash = GENESIS if c["audit_seq"] == 0 else audit_hashes.get(c["audit_seq"])
        if expected_hash != c["audit_hash"]:
            problems.append(Problem(f"{what}: it ends the audit log at row {c['audit_seq']}, whose hash is not "
                                    "the one it recorded (the audit log was rewritten)"))
        prev, last_serial, lineage = c["mac"], c["serial"], c["lineage"] or lineage
    if key and commits and not signed:
        problems.append(Problem(f"no commit of this state is signed with {KEY_ENV}: it was written without the "
                                "key, or its signatures were stripped (the next apply with the key signs it)",
                                code="unsigned"))
    if unchecked:
        problems.append(Problem(f"{unchecked} commit(s) are signed with {KEY_ENV}, which is not set: their "
                                "signatures were not checked", error=False, code="needs-key"))
    return problems


def verify_meta(meta: Mapping[str, str], commits: list[dict], audit_rows: int) -> list[Problem]:
    """The meta table must say what the last commit says."""
    if not commits:
        if meta.get("lineage") or audit_rows:
            return [Problem("the state has applied changes but no commit records (deleted)")]
        return []
    last = commits[-1]
    want = {"lineage": last["lineage"], "serial": str(last["serial"]), "audit_seq": str(last["audit_seq"]),
            "audit_hash": last["audit_hash"], "org": last["org"]}
    unset = {"lineage": "", "serial": "0", "audit_seq": "0", "audit_hash": GENESIS, "org": ""}
    problems = []
    for key, value in want.items():
        if key == "org" and not value:
            continue
        got = meta.get(key, unset[key])
        if got != value:
            problems.append(Problem(f"meta {key} is {got!r}, but the last commit (serial {last['serial']}) "
                                    f"says {value!r} (edited)"))
    return problems


# -- the resources against the replay of the audit log ----------------------------------------
def replay(audit_rows: Iterable[Sequence], commits: list[dict]) -> dict[str, tuple[str, int | None]]:
    """address -> (after JSON text, serial of the commit that wrote it) from audit rows
    (seq, address, action, after_json) in order; None for a removed address. Rows older
    than the first commit (a state from before commits were recorded) have serial None."""
    bounds = [(c["audit_seq"], c["serial"]) for c in commits if c["event"] == "apply"]
    expected: dict[str, tuple[str, int | None]] = {}
    b = 0
    first = commits[0]["audit_seq"] if commits and commits[0]["event"] == "adopt" else 0
    for seq, address, action, after in audit_rows:
        if is_event(action):
            continue
        while b < len(bounds) and bounds[b][0] < seq:
            b += 1
        serial = bounds[b][1] if b < len(bounds) and seq > first else None
        expected[address] = ("null", None) if removes(action, after) else (after, serial)
    return {a: v for a, v in expected.items() if v[0] != "null"}


def _differing(expected: str, row_after: str) -> str:
    try:
        want = json.loads(expected)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
        return "differs from the audit log, whose record of it is not JSON"
    try:
        got = json.loads(row_after)
    except (ValueError, RecursionError):
        return "holds attributes that are not JSON"
    if not isinstance(want, dict) or not isinstance(got, dict):
        return "differs from the audit log"
    fields = [k for k in ("kind", "status") if want.get(k) != got.get(k)]
    wa, ga = want.get("attributes"), got.get("attributes")
    if isinstance(wa, dict) and isinstance(ga, dict):
        fields += sorted(k for k in set(wa) | set(ga) if wa.get(k) != ga.get(k))
    return "differs from the audit log in " + ", ".join(fields) if fields else "differs from the audit log"


def verify_resources(rows: Iterable[Sequence], expected: dict[str, tuple[str, int | None]],
                     first_serial: int | None, last: Mapping | None = None) -> list[Problem]:
    """Resource rows (address, kind, status, attributes text, serial; in address order)
    against the replay and, in the same pass, against the last commit's count and digest."""
    problems: list[Problem] = []
    seen = set()
    h = hashlib.sha256()
    for address, kind, status, attributes, serial in rows:
        seen.add(address)
        h.update(_line(address, kind, status, attributes, serial))
        want = expected.get(address)
        if want is None:
            problems.append(Problem(f"resource {address} is not in the audit log (inserted)"))
            continue
        text, want_serial = want
        if not _kind_of_address(address, kind):
            problems.append(Problem(f"resource {address}: kind {kind!r} is not the kind its address names (edited)"))
        mine = after_text(kind, status, attributes)
        if mine != text and _canonical_or_none(mine) != text:
            problems.append(Problem(f"resource {address}: {_differing(text, mine)} (edited)"))
        if want_serial is not None and serial != want_serial:
            problems.append(Problem(f"resource {address}: serial {serial}, but it was written at serial "
                                    f"{want_serial} (edited)"))
        elif want_serial is None and first_serial is not None and not (
                isinstance(serial, int) and serial <= first_serial):
            problems.append(Problem(f"resource {address}: serial {serial} is newer than the state (edited)"))
    for address in sorted(set(expected) - seen):
        problems.append(Problem(f"resource {address} is missing (deleted): the audit log says it exists"))
    if last is not None and not problems and (len(seen), "sha256:" + h.hexdigest()) != (
            last["resources"], last["resources_digest"]):
        problems.append(Problem("the resources do not match the last commit's count and digest (edited)"))
    return problems


def _kind_of_address(address: object, kind: object) -> bool:
    """Whether `kind` is what `address` starts with (`person` of `person.ana`): planning reads
    a resource's kind from this column, and every resource the tool writes keeps the two alike."""
    return type(address) is str and type(kind) is str and address.startswith(kind) \
        and address[len(kind):len(kind) + 1] == "."


def _canonical_or_none(text: str) -> str | None:
    try:
        return canonical(strict_loads(text))
    except (ValueError, RecursionError):
        return None


# -- the anchor ---------------------------------------------------------------------------------
def anchor_entry(commit: Mapping) -> dict:
    """What the anchor file keeps of a commit."""
    return {"commit": commit["seq"], "serial": commit["serial"], "audit_seq": commit["audit_seq"],
            "audit_hash": commit["audit_hash"], "resources": commit["resources"],
            "resources_digest": commit["resources_digest"], "mac_alg": commit["mac_alg"], "mac": commit["mac"],
            "at": commit["at"]}


def check_anchor(anchor: Mapping | None, where: str, org: str | None, lineage: str | None,
                 commits: list[dict]) -> list[Problem]:
    """The state against the anchor file `where` (parsed JSON, or None when there is none)."""
    if not anchor:
        return []
    states = anchor.get("states") or {}
    if anchor.get("org") and org and anchor["org"] != org:
        return [Problem(f"the anchor {where} is for org {anchor['org']}, this state is org {org}")]
    if not states:
        return []
    if lineage is None:
        known = ", ".join(f"lineage {l} at serial {e.get('serial')}" for l, e in states.items())
        return [Problem(f"the anchor {where} records {known}, but this state is empty: the state database "
                        "was lost or replaced; restore it (or point --state at it)")]
    entry = states.get(lineage)
    if entry is None:
        known = ", ".join(sorted(states))
        return [Problem(f"this state (lineage {lineage}) is not the one the anchor {where} records (lineage "
                        f"{known}): the database was replaced")]
    n = entry.get("commit")
    if not isinstance(n, int) or n < 1:
        return [Problem(f"the anchor {where} is damaged: no commit number for lineage {lineage}")]
    if n > len(commits):
        last = commits[-1]["serial"] if commits else 0
        return [Problem(f"the state is behind its anchor {where}: the anchor records commit {n} at serial "
                        f"{entry.get('serial')}, the state ends at serial {last} (rolled back or truncated)")]
    mine = anchor_entry(commits[n - 1])
    differing = sorted(k for k in mine if k != "at" and mine[k] != entry.get(k))
    if differing:
        return [Problem(f"the state's history differs from its anchor {where} at commit {n} (serial "
                        f"{entry.get('serial')}): {', '.join(differing)} differ; the state (or the anchor) was "
                        "rewritten")]
    if n < len(commits):
        return [Problem(f"{len(commits) - n} commit(s) after serial {entry.get('serial')} are not in the anchor "
                        f"{where} yet: the next apply or sync of the org folder (or `confirm --org` with the folder) records "
                        "them; then commit the anchor file", error=False, code="unanchored")]
    return []
