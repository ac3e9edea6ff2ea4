"""A cache of YAML files read and schema-checked, keyed by their content: a pull request
that changes one file of a large org reads and checks that file alone.

An entry holds what the fast reader (`fastyaml`) read of one file whose every document
passed its schema: for each document its index, first line, offset and value, as JSON
(the values are strings, booleans, nulls, mappings and lists, which JSON holds exactly).
Its name is the sha256 of the file's bytes and of everything that decides what reading and
checking them gives: this format, the code of the reader and of the schema check, and the
schemas. So a file edited, a schema changed or the provisioner upgraded is a miss, never a
stale hit; a file with any finding, a template, or a file the exact reader reads is never
cached (its marks and messages come from reading it); marks are always re-read from the
file itself when a finding needs them. A hit's documents are checked against their schemas
again (an entry the schemas refuse is a miss), so nothing unchecked reaches the model.

The cache is an input like the state: whoever can write it can make `plan` show what they
like, within what the schemas accept. `apply` never reads it (`apply PLAN` re-derives the
plan from the files, so a plan shown from a poisoned cache is refused as not what the
config gives; `apply ORG_DIR` plans from the files). An entry that cannot be read, is
not JSON, has the wrong shape or holds anything but plain values is a miss, and so is
anything but a regular file (a link, a FIFO); deleting the folder is always safe. Entries are written whole (a temporary file renamed) and owner-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fastyaml
from .schemacheck import SCHEMA_DIR, passes

CACHE_ENV = "PROVISIONER_CACHE"
FORMAT = 1
KEEP = 4  # entries kept per file read in a run, beyond which the least recently used go
_ENTRY = re.compile(r"read-[0-9a-f]{64}\.json")  # an entry's name: nothing else in the folder is touched
_CODE = ("fastyaml.py", "yamlsource.py", "yamlcore.py", "textlines.py", "limits.py", "schemacheck.py",
         "vocabulary.py", "identifiers.py")


def _salt() -> bytes:
    """What every key starts from: the format, the reader's and checker's code, the schemas."""
    digest = hashlib.sha256(f"provisioner read cache {FORMAT}\0".encode())
    here = Path(__file__).resolve().parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    for schema in sorted(SCHEMA_DIR.glob("*.schema.json")):
        digest.update(schema.name.encode() + b"\0" + schema.read_bytes())
    version = getattr(fastyaml.yaml_rs, "__version__", "") if fastyaml.yaml_rs is not None else "none"
    digest.update(f"yaml-rs {version}".encode())
    return digest.digest()


@dataclass
class ReadCache:
    """The cache in `folder` (made owner-only when first written)."""

    folder: Path
    hits: int = 0
    misses: int = 0
    _salt: bytes | None = field(default=None, repr=False)

    def key(self, data: bytes) -> str:
        """The entry's name for a file of bytes `data`."""
        if self._salt is None:
            self._salt = _salt()
        return f"read-{hashlib.sha256(self._salt + data).hexdigest()}.json"

    def get(self, key: str, size: int) -> list | None:
        """The documents read of a file of `size` bytes (as `fastyaml.documents` gives
        them, interned), or None."""
        path = self.folder / key
        raw = _read_entry(path, _limit(size) + 1)
        found = _decode(raw, size) if raw is not None else None
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        try:
            os.utime(path)  # recently used
        except OSError:
            pass
        return found

    def put(self, key: str, size: int, found: list) -> None:
        """Keep `found` (read of a file of `size` bytes that passed its schema checks);
        a cache that cannot be written is no error: it is only slower next time."""
        text = json.dumps({"format": FORMAT, "size": size, "documents": found}, ensure_ascii=False,
                          separators=(",", ":"), allow_nan=False).encode("utf-8")
        if len(text) > _limit(size):
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".new-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(text)
                os.replace(temp, self.folder / key)
            except BaseException:
                os.unlink(temp)
                raise
        except OSError:
            pass

    def prune(self, files: int) -> None:
        """Keep the KEEP × `files` entries used last (at least 100)."""
        try:
            entries = [(e.stat().st_mtime, e.path) for e in os.scandir(self.folder)
                       if _ENTRY.fullmatch(e.name) and e.is_file(follow_symlinks=False)]
        except OSError:
            return
        for _, path in sorted(entries, reverse=True)[max(100, KEEP * files):]:
            try:
                os.unlink(path)
            except OSError:
                pass


def from_environment() -> ReadCache | None:
    """The cache $PROVISIONER_CACHE names, if any."""
    folder = os.environ.get(CACHE_ENV)
    return ReadCache(Path(folder)) if folder else None


def _read_entry(path: Path, most: int) -> bytes | None:
    """At most `most` bytes of the regular file `path`; None for anything else (a link, a
    FIFO that would block, a folder) and on any error."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(most)
    except OSError:
        return None
    finally:
        os.close(fd)


def _limit(size: int) -> int:
    """The most an entry of a file of `size` bytes may hold: JSON spells a YAML value in
    about as many bytes; anything far larger is no entry of ours."""
    return 4 * size + 4096


def _decode(raw: bytes, size: int) -> list | None:
    if len(raw) > _limit(size):
        return None
    try:
        entry = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if type(entry) is not dict or entry.get("format") != FORMAT or entry.get("size") != size \
            or type(entry.get("documents")) is not list:
        return None
    found = []
    for item in entry["documents"]:
        if type(item) is not list or len(item) != 4 or not all(_count(n) for n in item[:3]) \
                or type(item[3]) is not dict:
            return None
        try:
            value = fastyaml.compact(item[3])
        except fastyaml.NotPlain:
            return None
        if not passes(value):  # checked again: anything the schemas refuse is read from the file
            return None
        found.append((item[0], item[1], item[2], value))
    return found


def _count(value: Any) -> bool:
    return type(value) is int and 0 <= value

