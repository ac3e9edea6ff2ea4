"""The audit log's hash chain: canonical row content, row hashes, and verification.

Each row stores sha256(previous row's hash + its own canonical content); the head (last
seq and hash) is kept in the state's meta table, so an edited, deleted or truncated row
is found. Pure functions; the backend stores the rows.
"""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical(value) -> str:
    """JSON with sorted keys and no whitespace: the same value always gives the same text
    (one encoder, built once: verification encodes every row)."""
    return _ENCODER.encode(value)


encode_string = json.encoder.encode_basestring  # the encoder's own, for a str (ensure_ascii=False)


def row_content(seq: int, at: str, actor: str, plan_digest: str, address: str, action: str,
                before_json: str, after_json: str) -> str:
    """canonical() of the row's fields, spelled out for the usual types (every row of the
    log is hashed on each verification): the same text, keys in sorted order."""
    if type(seq) is int and all(type(v) is str for v in (at, actor, plan_digest, address, action, before_json,
                                                             after_json)):
        s = encode_string
        return (f'{{"action":{s(action)},"actor":{s(actor)},"address":{s(address)},"after":{s(after_json)},'
                f'"at":{s(at)},"before":{s(before_json)},"plan_digest":{s(plan_digest)},"seq":{seq}}}')
    return canonical({"seq": seq, "at": at, "actor": actor, "plan_digest": plan_digest,
                      "address": address, "action": action, "before": before_json, "after": after_json})


def row_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def verify_chain(rows: list[dict], head: tuple[int, str] | None) -> list[str]:
    """Problems found in `rows` (dicts with the audit table's columns, ordered by seq),
    each naming the row; empty when the chain is intact and ends at `head`."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            problems.append(f"audit row {missing} is missing (deleted)")
        if row["prev_hash"] != prev:
            problems.append(f"audit row {seq}: its link to the previous row is broken")
        content = row_content(seq, row["at"], row["actor"], row["plan_digest"], row["address"],
                              row["action"], row["before_json"], row["after_json"])
        if row_hash(row["prev_hash"], content) != row["hash"]:
            problems.append(f"audit row {seq}: content does not match its hash (edited)")
        prev, expected_seq = row["hash"], seq + 1
    last = (rows[-1]["seq"], rows[-1]["hash"]) if rows else (0, GENESIS)
    head = head or (0, GENESIS)
    if last != head:
        if head[0] > last[0]:
            problems.append(f"audit rows {last[0] + 1}-{head[0]} are missing (deleted at the end of the log)")
        else:
            problems.append(f"audit row {last[0]}: the log does not end where the state says it does "
                            f"(row {head[0]})")
    return problems
