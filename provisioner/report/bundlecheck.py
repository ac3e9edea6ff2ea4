"""Checking an evidence bundle offline: every file matches the manifest, the audit rows
chain from the first row (each hash recomputed from its content), the chain ends at the
anchor, and every row a person's evidence cites is in the chain with that hash. Pure:
file contents in, problems out.
"""

from __future__ import annotations

import json

from ..canonical import loads as strict_loads
from ..state import audit as chain
from .evidence import CHAIN_FILE, MANIFEST, sha256


def anchor_problems(rows: list[dict], anchor: dict | None, must_end: bool = True) -> list[str]:
    """The chain must reach the anchor (a row's seq and hash) and, with `must_end` (the
    bundle's own anchor, its head when written), end there. An anchor from outside (the
    file apply writes beside the org) may be older than later delivery rows: the chain
    need only pass through it. The one place that judges an anchor."""
    if not anchor or "seq" not in anchor or "hash" not in anchor:
        return ["no anchor (head seq and hash) to check the chain against"]
    last = (rows[-1]["seq"], rows[-1]["hash"]) if rows else (0, chain.GENESIS)
    if last == (anchor["seq"], anchor["hash"]):
        return []
    at = next((r for r in rows if r["seq"] == anchor["seq"]), None)
    if at is None:
        return [f"the anchor names audit row {anchor['seq']}, which the chain does not reach (it ends at {last[0]})"]
    if at["hash"] != anchor["hash"]:
        return [f"audit row {anchor['seq']}: its hash differs from the anchor's"]
    return [f"the chain goes on past the anchor (row {anchor['seq']}) to row {last[0]}"] if must_end else []


def read_anchor(data: dict, lineage: str | None = None) -> dict:
    """An anchor from JSON: {"seq", "hash"} (or audit_seq/audit_hash), or the state-anchor
    file written beside the org at each apply ({"states": {lineage: {audit_seq, audit_hash}}}),
    whose entry for `lineage` (or its only entry) is taken."""
    states = data.get("states")
    if isinstance(states, dict) and states:
        entry = states.get(lineage) if lineage in states else (next(iter(states.values())) if len(states) == 1 else None)
        return read_anchor(entry) if isinstance(entry, dict) else {}
    for s, h in (("seq", "hash"), ("audit_seq", "audit_hash")):
        if s in data and h in data:
            return {"seq": int(data[s]), "hash": str(data[h])}
    return {}


def _rows(text: str, problems: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            r = strict_loads(line)
            rows.append({**r, "before_json": chain.canonical(r["before"]), "after_json": chain.canonical(r["after"])})
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: nested past the decoder
            problems.append(f"{CHAIN_FILE}:{n}: not an audit row")
    return rows


def verify_bundle(files: dict[str, bytes], anchor: dict | None = None) -> tuple[list[str], dict]:
    """Problems found in a bundle (`files`: path inside the bundle -> bytes), and facts for the
    summary. `anchor` replaces the bundle's own anchor when given."""
    problems: list[str] = []
    try:
        man = json.loads(files[MANIFEST])
        listed = dict(man["files"])
    except KeyError:
        return [f"{MANIFEST} is missing or lists no files"], {}
    except (ValueError, TypeError, RecursionError):
        return [f"{MANIFEST} is not valid JSON"], {}
    for name, digest in listed.items():
        if name not in files:
            problems.append(f"{name}: listed in the manifest but missing")
        elif sha256(files[name]) != digest:
            problems.append(f"{name}: its content does not match the manifest (edited)")
    problems += [f"{name}: not listed in the manifest" for name in sorted(set(files) - set(listed) - {MANIFEST})]
    rows = _rows(files.get(CHAIN_FILE, b"").decode("utf-8", "replace"), problems)
    if rows:
        problems += chain.verify_chain(rows, (rows[-1]["seq"], rows[-1]["hash"]))
    problems += anchor_problems(rows, anchor if anchor is not None else man.get("anchor"), must_end=anchor is None)
    by_seq = {r["seq"]: r["hash"] for r in rows}
    for name in sorted(n for n in listed if n.startswith("people/") and n.endswith(".json") and n in files):
        try:
            cited = json.loads(files[name])["audit_rows"]
            if not isinstance(cited, list) or not all(isinstance(c, dict) for c in cited):
                raise TypeError
        except (ValueError, KeyError, TypeError, RecursionError):
            problems.append(f"{name}: not a person's evidence")
            continue
        for c in cited:
            if by_seq.get(c.get("seq")) != c.get("hash"):
                problems.append(f"{name}: audit row {c.get('seq')} is not in the chain with that hash")
    return problems, {"rows": len(rows), "people": len(man.get("people", [])), "last": rows[-1]["seq"] if rows else 0,
                      "anchor": anchor if anchor is not None else man.get("anchor")}
