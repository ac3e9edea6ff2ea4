"""A state's verification verdict, kept in the read cache (readcache.py) by the exact bytes
of its SQLite file.

Verifying a state replays its whole audit log and re-hashes every row: some seconds of one
core for 100,000 people, on every plan. Between two merges the state does not change while
pull requests are planned against it again and again. With `--cache DIR`, `plan` keeps what
verification found (the problems, none for a sound state) under a digest of everything that
decides it: the database file's bytes, the anchor read beside the org, the audit key (as a
keyed digest, never the key), the state's path and org, the SQLite library and this
package's code. A state that changed in any byte, a new anchor or another key is a miss and
is verified again. Verification is a function of exactly those, so a kept verdict is the
one verification would give; like the read cache's entries it is trusted as what it stands
for, and `apply` never reads it: it verifies the state itself before writing.

Only a state whole in its one file is kept or taken: one in SQLite's rollback-journal mode
(the default) with no journal beside it (`SQLiteBackend.whole_file`). A read transaction is held on it from before its
bytes are hashed until the verdict is known, so no commit can come between the bytes hashed
and the rows verified. PostgreSQL states are always verified.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from pathlib import Path
from urllib.parse import quote

import orjson

from ..canonical import canonical
from ..readcache import ReadCache, version_digest
from ..state.integrity import Problem

_PERSON = b"prov-verdict"


def verified(backend, anchor: dict | None, where: str, cache: ReadCache) -> list[Problem]:
    """`backend.integrity(anchor, where)`, taken from `cache` when this very state was
    verified before, else verified now and kept."""
    path = _whole_file(backend)
    hold = _Hold.of(path) if path is not None else None
    if hold is None:
        return backend.integrity(anchor, where)
    try:  # the file's bytes stay those hashed until the verdict is known (kept) or taken
        key = _key(backend, path, anchor, where)
        if key is None:
            return backend.integrity(anchor, where)
        kept = _problems(cache.kept(key))
        if kept is not None:
            return kept
        found = backend.integrity(anchor, where)
        cache.keep(key, orjson.dumps([[p.message, p.error, p.code] for p in found]))
        return found
    finally:
        hold.close()


def _whole_file(backend) -> Path | None:
    """The file that holds the state whole, or None (not SQLite, or a journal beside it)."""
    whole = getattr(backend, "whole_file", None)
    return whole() if whole is not None else None


class _Hold:
    """A read transaction on the database file, on a connection of its own: while it is held
    no writer can commit to the file (in SQLite's rollback-journal mode a commit waits for
    every reader; `whole_file` is None in WAL mode, whose log lies beside the file while it
    is open), so its bytes are the ones verification reads."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    @classmethod
    def of(cls, path: Path) -> _Hold | None:
        """Held on `path`, or None when it cannot be at once (a writer is committing: the
        state is then verified as without a cache, waiting as that waits)."""
        try:
            connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0,
                                         isolation_level=None)
        except sqlite3.Error:
            return None
        hold = cls(connection)
        try:
            connection.execute("BEGIN")
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the shared lock, taken
        except sqlite3.Error:
            hold.close()
            return None
        return hold

    def close(self) -> None:
        try:
            self._connection.close()  # the transaction ends with it, nothing written
        except sqlite3.Error:
            pass


def _key(backend, path: Path, anchor: dict | None, where: str) -> str | None:
    digest = hashlib.blake2b(digest_size=32, person=_PERSON)
    key = getattr(backend, "key", None)
    signed = hmac.new(key, b"provisioner verdict", hashlib.sha256).hexdigest() if key else ""
    for part in (version_digest(), sqlite3.sqlite_version, str(getattr(backend, "path", "")),
                 getattr(backend, "org_id", None) or "", where, canonical(anchor), signed):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    try:
        with open(path, "rb") as stream:
            digest.update(hashlib.file_digest(stream, "sha256").digest())
    except OSError:
        return None
    return digest.hexdigest()


def _problems(body: bytes | None) -> list[Problem] | None:
    """The problems a kept verdict holds, or None when it is missing or not of that shape."""
    if body is None:
        return None
    try:
        found = orjson.loads(body)
    except ValueError:
        return None
    if type(found) is not list:
        return None
    out = []
    for item in found:
        if not (type(item) is list and len(item) == 3 and type(item[0]) is str and type(item[1]) is bool
                and type(item[2]) is str):
            return None
        out.append(Problem(item[0], item[1], item[2]))
    return out
