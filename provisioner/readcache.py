"""A cache of what the fast YAML reader made of each file, keyed by the file's bytes.

A pull request usually changes one file of an org. With `--cache DIR` (or
`PROVISIONER_CACHE`), `validate` and `plan` keep, for every file the fast reader reads
(`fastyaml`), the values it read and whether every document passed its schema; the next run
reads only the files whose bytes changed, and takes the others from DIR.

The cache cannot change a result: an entry is found only by a digest of the file's exact
bytes together with a digest of everything that decides what is read from them (this
package's code, the schemas, the YAML reader's and the validators' versions), so an edit to
a file, a new release or a changed schema simply misses; an entry that is damaged or not of
the expected shape is read as a miss; marks (file:line:column) are still re-read from the
file itself when a finding needs them. Deleting DIR at any time only costs the next run its
speed. `apply` never reads it: it re-derives the plan from the files alone, so even an entry
forged by someone who can write DIR could only make a plan that apply then refuses.

Each run removes the entries of other code versions, and the entries of its own version
not used for `STALE_AFTER`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import orjson

from .fastyaml import _compact, _NotPlain

STALE_AFTER = 14 * 24 * 3600  # seconds an entry of the current version may go unused
_DIGEST = 32
_PREFIX = "read-"  # DIR/read-<version>/<2 hex>/<entry>: what tidy removes, nothing else
_PACKAGE = Path(__file__).resolve().parent


class ReadCache:
    """The entries under `folder`. `get` and `put` never raise: a cache that cannot be read
    is a miss, one that cannot be written keeps `problem` (the first reason) for the caller."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.version = version_digest()
        self.here = self.folder / f"{_PREFIX}{self.version[:24]}"
        self.problem: str | None = None

    def _path(self, data: bytes) -> tuple[Path, bytes]:
        key = hashlib.blake2b(data, digest_size=_DIGEST, person=b"provisioner-yml").hexdigest()
        return self.here / key[:2] / key, key.encode()

    def get(self, data: bytes, text: str) -> tuple[list, bool] | None:
        """(what the fast reader read of `text`, whether every document passed its schema) for
        a file of bytes `data`, or None."""
        path, key = self._path(data)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as stream:
                stored = stream.read()
            os.utime(path)  # used: not stale
        except OSError:
            return None
        return _entry(stored, key, text)

    def put(self, data: bytes, found: list, checked: bool) -> None:
        """Keep what was read of a file of bytes `data` (atomically: a reader sees all or nothing)."""
        path, key = self._path(data)
        body = _encode([[index, first, offset, value] for index, first, offset, value in found])
        digest = hashlib.blake2b(body, digest_size=_DIGEST).hexdigest().encode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".entry-")
            try:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(b"%s %s %d\n%s" % (key, digest, int(checked), body))
                os.replace(temporary, path)
            except BaseException:
                _remove(Path(temporary))
                raise
        except OSError as exc:
            self.problem = self.problem or f"{self.folder}: {exc.strerror or exc}"

    def tidy(self, now: float | None = None) -> None:
        """Remove the entries of other code versions, and this version's unused ones."""
        now = time.time() if now is None else now
        try:
            for other in self.folder.iterdir():
                if other.name.startswith(_PREFIX) and other.name != self.here.name \
                        and other.is_dir() and not other.is_symlink():
                    _remove_tree(other)
            for shard in self.here.iterdir():
                for entry in shard.iterdir():
                    if now - entry.lstat().st_mtime > STALE_AFTER:
                        _remove(entry)
        except OSError:
            pass


def _encode(value) -> bytes:
    return orjson.dumps(value)


def _entry(stored: bytes, key: bytes, text: str) -> tuple[list, bool] | None:
    """The entry's content if it is whole, is the entry of `key`, and holds nothing the fast
    reader could not have read of `text`; else None."""
    head, _, body = stored.partition(b"\n")
    parts = head.split(b" ")
    if len(parts) != 3 or parts[0] != key or parts[2] not in (b"0", b"1"):
        return None
    if hashlib.blake2b(body, digest_size=_DIGEST).hexdigest().encode() != parts[1]:
        return None
    try:
        found = orjson.loads(body)  # strict JSON: no NaN, no Infinity
    except ValueError:
        return None
    if type(found) is not list:
        return None
    out = []
    lines = text.count("\n")
    for item in found:
        if type(item) is not list or len(item) != 4:
            return None
        index, first, offset, value = item
        if not (type(index) is int and type(first) is int and type(offset) is int and type(value) is dict):
            return None
        if not (0 <= index and 0 <= first <= lines and 0 <= offset <= len(text)):
            return None
        try:
            out.append((index, first, offset, _compact(value)))  # interned, and plain values only
        except (_NotPlain, RecursionError):
            return None
    return out, parts[2] == b"1"


def version_digest() -> str:
    """A digest of everything that decides what is read from a file's bytes: this package's
    code and schemas, and the versions of Python and of the libraries that read and check."""
    global _VERSION
    if _VERSION is None:
        digest = hashlib.blake2b(digest_size=_DIGEST)
        digest.update(sys.version.encode())
        for name in ("yaml-rs", "PyYAML", "fastjsonschema", "jsonschema", "orjson"):
            try:
                digest.update(f"{name}={metadata.version(name)};".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{name}=none;".encode())
        from .schemacheck import SCHEMA_DIR

        for base, pattern in ((_PACKAGE, "*.py"), (Path(SCHEMA_DIR), "*.json")):
            for path in sorted(base.rglob(pattern)):
                digest.update(b"%s %d\n" % (path.relative_to(base).as_posix().encode(), path.stat().st_size))
                digest.update(path.read_bytes())
        _VERSION = digest.hexdigest()
    return _VERSION


_VERSION: str | None = None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _remove_tree(folder: Path) -> None:
    for shard in folder.iterdir():
        if shard.is_dir() and not shard.is_symlink():
            for entry in shard.iterdir():
                _remove(entry)
            try:
                shard.rmdir()
            except OSError:
                pass
        else:
            _remove(shard)
    try:
        folder.rmdir()
    except OSError:
        pass
