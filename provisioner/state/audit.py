"""The audit log's hash chain: canonical row content, row hashes, and verification.

Each row stores sha256(previous row's hash + its own canonical content); the head (last
seq and hash) is kept in the state's meta table, so an edited, deleted or truncated row
is found. Pure functions; the backend stores the rows.
"""

from __future__ import annotations

import hashlib
import json

from ..canonical import canonical, canonical_bytes, plain_bytes  # canonical: the chain's text, imported from here too

GENESIS = "0" * 64


encode_string = json.encoder.encode_basestring  # the encoder's own, for a str (ensure_ascii=False)


def row_content(seq: int, at: str, actor: str, plan_digest: str, address: str, action: str,
                before_json: str, after_json: str) -> str:
    """The canonical text of an audit row's fields, which its hash is taken over."""
    return canonical({"seq": seq, "at": at, "actor": actor, "plan_digest": plan_digest,
                      "address": address, "action": action, "before": before_json, "after": after_json})


def row_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def row_digest(prev_hash: str, seq: int, at: str, actor: str, plan_digest: str, address: str, action: str,
               before_json: str, after_json: str) -> str:
    """row_hash(prev_hash, row_content(...)) without making the text: the canonical bytes
    hashed as they are encoded (every row of the log is hashed on each verification)."""
    fields = {"seq": seq, "at": at, "actor": actor, "plan_digest": plan_digest, "address": address,
              "action": action, "before": before_json, "after": after_json}
    plain = type(seq) is int and type(at) is str and type(actor) is str and type(plan_digest) is str \
        and type(address) is str and type(action) is str and type(before_json) is str and type(after_json) is str
    return hashlib.sha256(prev_hash.encode("utf-8") + (plain_bytes if plain else canonical_bytes)(fields)).hexdigest()


class Appender:
    """The rows one write after another appends to the chain, from its head (`seq`, `prev`),
    each hashed by row_digest; `seq` and `prev` are the new head after each row."""

    def __init__(self, seq: int, prev: str, at: str, actor: str, plan_digest: str) -> None:
        self.seq, self.prev = seq, prev
        self._at, self._actor, self._plan = at, actor, plan_digest

    def row(self, address: str, action: str, before_json: str, after_json: str) -> tuple:
        """The next row, as the audit table's columns (COLUMNS)."""
        seq, prev, at, actor, plan_digest = self.seq + 1, self.prev, self._at, self._actor, self._plan
        digest = row_digest(prev, seq, at, actor, plan_digest, address, action, before_json, after_json)
        self.seq, self.prev = seq, digest
        return seq, at, actor, plan_digest, address, action, before_json, after_json, prev, digest


COLUMNS = ("seq", "at", "actor", "plan_digest", "address", "action", "before_json", "after_json", "prev_hash",
           "hash")  # the audit table's columns in the order `ChainCheck.add_values` takes them


class ChainCheck:
    """verify_chain in one pass over rows given one at a time (`add`), so a log of any length
    is checked without holding it; `finish` gives the problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.prev, self.expected_seq, self.count = GENESIS, 1, 0
        self.last = (0, GENESIS)

    def add(self, row) -> None:
        """One row, a mapping with the audit table's columns."""
        self.add_values(row["seq"], row["at"], row["actor"], row["plan_digest"], row["address"], row["action"],
                        row["before_json"], row["after_json"], row["prev_hash"], row["hash"])

    def add_values(self, seq, at, actor, plan_digest, address, action, before_json, after_json, prev_hash,
                   row_hash_) -> None:
        """One row, its columns in the order of `COLUMNS`."""
        if seq != self.expected_seq:
            missing = f"{self.expected_seq}" if seq == self.expected_seq + 1 else f"{self.expected_seq}-{seq - 1}"
            self.problems.append(f"audit row {missing} is missing (deleted)")
        if prev_hash != self.prev:
            self.problems.append(f"audit row {seq}: its link to the previous row is broken")
        if row_digest(prev_hash, seq, at, actor, plan_digest, address, action, before_json, after_json) != row_hash_:
            self.problems.append(f"audit row {seq}: content does not match its hash (edited)")
        self.prev, self.expected_seq, self.count = row_hash_, seq + 1, self.count + 1
        self.last = (seq, row_hash_)

    def finish(self, head: tuple[int, str] | None) -> list[str]:
        """The problems found, the end of the log checked against `head` (last seq and hash)."""
        problems, last = list(self.problems), self.last
        head = head or (0, GENESIS)
        if last != head:
            if head[0] > last[0]:
                problems.append(f"audit rows {last[0] + 1}-{head[0]} are missing (deleted at the end of the log)")
            else:
                problems.append(f"audit row {last[0]}: the log does not end where the state says it does "
                                f"(row {head[0]})")
        return problems


def verify_chain(rows, head: tuple[int, str] | None) -> list[str]:
    """Problems found in `rows` (mappings with the audit table's columns, ordered by seq),
    each naming the row; empty when the chain is intact and ends at `head`."""
    check = ChainCheck()
    for row in rows:
        check.add(row)
    return check.finish(head)
