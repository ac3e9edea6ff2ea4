"""A cache of what the fast YAML reader made of each file, keyed by the file's bytes.

A pull request usually changes one file of an org. With `--cache DIR` (or
`PROVISIONER_CACHE`), `validate` and `plan` keep, for every file the fast reader reads
(`fastyaml`), the values it read and whether every document passed its schema; the next run
reads only the files whose bytes changed, and takes the others from DIR.

An honest cache cannot change a result: an entry is found only by a digest of the file's
exact bytes together with a digest of everything that decides what is read from them (this
package's code, the schemas, the YAML reader's and the validators' versions), so an edit to
a file, a new release or a changed schema simply misses; an entry that is damaged or not of
the expected shape is read as a miss; marks (file:line:column) are still re-read from the
file itself when a finding needs them. Deleting DIR at any time only costs the next run its
speed. Entries are trusted as the files they stand for, their schema verdict included: a
forged one could make a plan show what the files do not say, or make the run fail. `apply`
never reads the cache: it re-derives the plan from the files alone, so such a plan is refused.

Each run removes its own version's entries unused for `STALE_AFTER`, and other versions'
folders unused for `OTHER_STALE_AFTER`; nothing that is not the cache's.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import orjson

from .fastyaml import _compact, _NotPlain

STALE_AFTER = 14 * 24 * 3600  # seconds an entry of the current version may go unused
OTHER_STALE_AFTER = 24 * 3600  # and another version's folder (a CI matrix may share DIR)
_DIGEST = 32
MAX_ENTRY = 64 << 20  # bytes: an entry stands for a file of at most 8 MiB of YAML
# DIR/read-<24 hex>/CACHEDIR.TAG and DIR/read-<24 hex>/<2 hex>/<64 hex>: tidy touches
# nothing else (`--cache ~` never loses `~/read-later/`), and follows no link.
_VERSION_FOLDER = re.compile(r"read-[0-9a-f]{24}")
_SHARD = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{64}|\.entry-[A-Za-z0-9_]+")
_TAG = "CACHEDIR.TAG"
_TAG_TEXT = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
             b"# The provisioner's read cache (https://bford.info/cachedir/); safe to delete.\n")
_PACKAGE = Path(__file__).resolve().parent


class ReadCache:
    """The entries under `folder`. `get` and `put` never raise: a cache that cannot be read
    is a miss, one that cannot be written keeps `problem` (the first reason) for the caller."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.version = version_digest()
        self.here = self.folder / f"read-{self.version[:24]}"
        self.problem: str | None = None

    def _path(self, data: bytes) -> tuple[Path, bytes]:
        key = hashlib.blake2b(data, digest_size=_DIGEST, person=b"provisioner-yml").hexdigest()
        return self.here / key[:2] / key, key.encode()

    def get(self, data: bytes, text: str) -> tuple[list, bool] | None:
        """(what the fast reader read of `text`, whether every document passed its schema) for
        a file of bytes `data`, or None."""
        path, key = self._path(data)
        try:  # never a link, never waiting on a FIFO: a plain file, or a miss
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            with os.fdopen(fd, "rb") as stream:
                found = os.fstat(stream.fileno())
                if not stat.S_ISREG(found.st_mode) or found.st_size > MAX_ENTRY:
                    return None
                stored = stream.read(MAX_ENTRY + 1)
                try:
                    os.utime(stream.fileno())  # used: not stale (a cache only readable here is still read)
                except OSError:
                    pass
        except OSError:
            return None
        return _entry(stored, key, text)

    def put(self, data: bytes, found: list, checked: bool) -> None:
        """Keep what was read of a file of bytes `data` (atomically: a reader sees all or nothing)."""
        path, key = self._path(data)
        body = orjson.dumps([[index, first, offset, value] for index, first, offset, value in found])
        digest = hashlib.blake2b(body, digest_size=_DIGEST).hexdigest().encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # DIR itself may be a link the user made
            for folder in (self.here, path.parent):
                _real_folder(folder)  # made if missing; never written through a link
            tag = self.here / _TAG
            if not tag.exists():
                _write(tag, _TAG_TEXT)
            _write(path, b"%s %s %d\n%s" % (key, digest, int(checked), body))
        except OSError as exc:
            self.problem = self.problem or f"{self.folder}: {exc.strerror or exc}"

    def tidy(self, now: float | None = None) -> None:
        """Remove the folders of other code versions unused for OTHER_STALE_AFTER, and this
        version's entries unused for STALE_AFTER; the cache's own names only, no link followed."""
        now = time.time() if now is None else now
        _touch(self.here / _TAG)
        for other in _listed(self.folder):
            if _VERSION_FOLDER.fullmatch(other.name) and other.name != self.here.name and _is_folder(other) \
                    and _age(other / _TAG, now) > OTHER_STALE_AFTER:
                _remove_version(other)
        for shard in _shards(self.here):
            for entry in _listed(shard):
                if _ENTRY.fullmatch(entry.name) and _age(entry, now) > STALE_AFTER:
                    _remove(entry)


def _real_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    if not _is_folder(folder):
        raise NotADirectoryError(f"{folder} is not a folder (or is a link)")


def _write(path: Path, content: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".entry-")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        _remove(Path(temporary))
        raise


def _is_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def _listed(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir()) if _is_folder(folder) else []
    except OSError:
        return []


def _shards(version: Path) -> list[Path]:
    return [p for p in _listed(version) if _SHARD.fullmatch(p.name) and _is_folder(p)]


def _age(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except OSError:
        return 0.0  # no tag: not a folder this cache made, or made just now


def _touch(path: Path) -> None:
    try:
        if not path.is_symlink():
            os.utime(path)
    except OSError:
        pass


def _remove_version(folder: Path) -> None:
    for shard in _shards(folder):
        for entry in _listed(shard):
            if _ENTRY.fullmatch(entry.name):
                _remove(entry)
        _rmdir(shard)
    _remove(folder / _TAG)
    _rmdir(folder)


def _rmdir(folder: Path) -> None:
    try:
        folder.rmdir()  # only once empty: anything not the cache's stays, and so does its folder
    except OSError:
        pass


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
        for name in ("yaml-rs", "PyYAML", "fastjsonschema", "jsonschema-rs", "jsonschema", "orjson"):
            try:
                digest.update(f"{name}={metadata.version(name)};".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{name}=none;".encode())
        from .fastyaml import yaml_rs
        from .schemacheck import SCHEMA_DIR

        folders = [(_PACKAGE, "*.py"), (Path(SCHEMA_DIR), "*.json")]
        if yaml_rs is not None:  # its build, not only its version number
            folders.append((Path(yaml_rs.__file__).resolve().parent, "*.so"))
        for base, pattern in folders:
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
