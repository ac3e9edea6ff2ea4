"""A saved plan read for apply: every field whole but the changes, which are checked and
hashed a thousand at a time and let go.

Apply does not write the saved changes: it re-derives the changes from the config and the
state, requires them to be the saved ones, and writes the re-derived ones
(`apply.check_rederived`). Of the saved changes it needs only that they are sound (size,
nesting, numbers, shape), that the checksum covers them, and how many there are and the
digest of their canonical JSON. A 100,000-person plan's changes, some 240 MB of JSON, are
then never decoded whole beside the model the re-derivation builds.

Only the layout `write_plan` writes is read this way: `"changes": [` ending its line, one
change per line, `]` on a line of its own. Any other file, and any file with a problem,
is read whole by `read_plan`, which gives the same document or the same refusal.

From BESIDE_FROM bytes of changes, they are checked in a child process (beside.py) while
apply validates the config (`apply.validate_meanwhile`); the child failing in any way only
means they are checked here, for the same result.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from ..limits import MAX_NESTING
from ..canonical import canonical_each
from .planfile import FORMAT_VERSION, checksum, is_date, loads, read_bytes, read_plan, too_deep_or_compacted

CHUNK = 1000  # changes decoded at a time
_MARK = b'\n  "changes": [\n'
_END = b'\n  ]'


@dataclass(frozen=True)
class SavedChanges:
    """A plan's changes as apply compares them: how many, and the sha256 of their canonical
    JSON texts, each followed by a newline (which canonical JSON never holds)."""

    count: int
    digest: str

    def __len__(self) -> int:
        return self.count

    @classmethod
    def of_encoded(cls, texts: Iterable[bytes]) -> SavedChanges:
        """From the changes' canonical texts, UTF-8 encoded."""
        tally = _Tally()
        for text in texts:
            tally.add(text)
        return tally.result()

    @classmethod
    def of(cls, changes: Iterable[dict]) -> SavedChanges:
        return cls.of_encoded(canonical_each(changes))


class _Tally:
    """SavedChanges taken a canonical text (UTF-8 encoded) at a time."""

    def __init__(self) -> None:
        self._hash, self._count = hashlib.sha256(), 0

    def add(self, text: bytes) -> bytes:
        self._hash.update(text + b"\n")
        self._count += 1
        return text

    def result(self) -> SavedChanges:
        return SavedChanges(self._count, self._hash.hexdigest())


def read_for_apply(path: str | Path) -> dict:
    """The saved plan at `path`, checked exactly as `read_plan` checks it, with `changes` a
    SavedChanges instead of the list."""
    with Reading(path) as reading:
        return reading.result()


BESIDE_FROM = 1 << 20  # bytes of changes from which they are checked in a child process


class Reading:
    """A saved plan being read for apply. The fields but the changes are decoded at once
    (`header`); the changes are checked beside the caller (beside.py) when there are many,
    so that apply can validate the config meanwhile; `result()` waits and gives what
    `read_for_apply` gives, or raises its refusal. Use it as a context manager: leaving it
    stops a check still running."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self._data = read_bytes(path)
        self._apart = _header_apart(self._data)
        self._beside = None
        if self._apart is not None and self._apart[2] - self._apart[1] >= BESIDE_FROM:
            from ..beside import Beside

            self._beside = Beside(_changes_apart, *self._apart, self._data)

    @property
    def checking_beside(self) -> bool:
        """Whether the changes are being checked in a child process (the caller is free)."""
        return self._beside is not None

    @property
    def header(self) -> dict | None:
        """The plan's fields but the changes, NOT yet known sound (the checksum covers the
        changes): for work whose result is thrown away if `result()` refuses. None when the
        file is not in the layout `write_plan` writes."""
        return self._apart[0] if self._apart is not None else None

    def result(self) -> dict:
        """The plan (once: the file's bytes are let go here, some 240 MB at 100,000 people)."""
        data, self._data = self._data, None
        if data is None:
            raise RuntimeError("Reading.result() gives the plan once")
        if self._apart is not None:
            header, first, end = self._apart
            compute = partial(_changes_apart, header, first, end, data)
            changes = self._beside.result(compute) if self._beside is not None else compute()
            self._beside = None
            if changes is not None:
                document = dict(header)
                document["changes"] = changes
                return document
        # another layout, or a problem: read whole, for the same result or refusal
        document = read_plan(self.path, data)
        document["changes"] = SavedChanges.of(document["changes"])
        return document

    def close(self) -> None:
        if self._beside is not None:
            self._beside.cancel()
            self._beside = None

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _NotApart(Exception):
    """The file cannot be read apart; `read_plan` reads it (and says what is wrong)."""


def _header_apart(data: bytes) -> tuple[dict, int, int] | None:
    """The plan's fields but the changes, and where the changes' lines start and end."""
    start = data.rfind(_MARK)
    if start < 0:
        return None
    first = start + len(_MARK)  # the first change's line
    end = data.find(_END, first - 1)
    if end < first or data[end + len(_END):end + len(_END) + 1] not in (b",", b"\n"):
        return None
    # The list is cut out and a text no file can foresee put in its place: when the decoded
    # top-level `changes` is that text, the cut was the value `read_plan` would keep.
    cut = secrets.token_hex(16)
    try:
        header = loads((data[:first - 2] + json.dumps(cut).encode() + data[end + len(_END):]).decode("utf-8"))
    except (RecursionError, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    if not _sound_header(header, cut):
        return None
    header["changes"] = None  # in its place among the fields: `result()` puts SavedChanges there
    return header, first, end + 1


def _changes_apart(header: dict, first: int, end: int, data: bytes) -> SavedChanges | None:
    """The changes in data[first:end] as SavedChanges when they are sound and the checksum
    covers them with `header`; None otherwise (`read_plan` then says what is wrong)."""
    tally = _Tally()  # the changes' digest, taken as the checksum reads them
    try:
        whole = checksum(header, changes=map(tally.add, _canonical_changes(data, first, end)))
    except (_NotApart, UnicodeEncodeError):  # a lone surrogate: `read_plan` refuses it
        return None
    if whole != header["checksum"]:
        return None
    return tally.result()


def _sound_header(header, cut: str) -> bool:
    """The fields but the changes: the top-level `changes` is the stand-in `cut`, nesting,
    shape, format and a checksum to compare."""
    from ..schemacheck import compiled_validator

    return (type(header) is dict and header.get("changes") == cut and not too_deep_or_compacted(header)
            and compiled_validator("plan.schema.json")({**header, "changes": []})
            and header.get("format_version") == FORMAT_VERSION and type(header.get("checksum")) is str
            and is_date(header.get("today")))


def _canonical_changes(data: bytes, pos: int, end: int) -> Iterator[bytes]:
    """The canonical JSON (UTF-8 encoded) of each change in data[pos:end], each piece's
    changes found sound (nesting, then shape) before any of its texts is given."""
    from ..schemacheck import compiled_validator

    valid = compiled_validator("plan.schema.json", ("properties", "changes"))
    for changes in _chunks(data, pos, end):
        try:
            texts = list(canonical_each(changes))
        except (RecursionError, ValueError):  # nested past any encoder, a lone surrogate: `read_plan` says
            raise _NotApart from None
        if _too_deep(texts, changes) or not valid(changes):
            raise _NotApart
        yield from texts


def _chunks(data: bytes, pos: int, end: int, checked: bool = False) -> Iterator[list]:
    """The changes in data[pos:end] (lines, the last one ending the list), decoded CHUNK
    lines at a time. Every piece but the last ends with a line ending in `,`, and each,
    that comma dropped, must be a JSON array of at least one value: then the pieces joined
    by commas are one array, the list, and their items are its items (an empty piece would
    hide a stray comma). Their nesting and shape are `_canonical_changes`'s to check.
    `checked`: these bytes were walked so before and found sound, so they are decoded by
    the standard decoder (the same values, at a third of the cost)."""
    while pos < end:
        stop = pos
        for _ in range(CHUNK):
            stop = data.find(b"\n", stop, end) + 1
            if stop <= 0:
                stop = end
                break
        final = stop >= end
        piece = data[pos:stop].rstrip(b"\n")
        if not final:
            if not piece.endswith(b","):
                raise _NotApart
            piece = piece[:-1]
        if checked:
            yield json.loads("[" + piece.decode("utf-8") + "]")
            pos = stop
            continue
        try:
            changes = loads("[" + piece.decode("utf-8") + "]")
        except (RecursionError, ValueError):  # UnicodeDecodeError is a ValueError
            raise _NotApart from None
        if not changes:
            raise _NotApart
        yield changes
        pos = stop


def _too_deep(texts: list[bytes], changes: list) -> bool:
    """Whether `changes`, whose canonical texts are `texts`, nest deeper than a plan may. A
    value nests no deeper than its text has brackets (`[` and `{`, in strings too), so the
    changes are walked only when one's text has nearly as many as the limit (a line of the
    file is no measure: one change may be written over many lines)."""
    limit = MAX_NESTING - 1  # the list of the changes is a level
    if max(text.count(b"[") + text.count(b"{") for text in texts) < limit:
        return False
    return too_deep_or_compacted(changes, limit, compact=False)


def read_for_show(path: str | Path) -> dict:
    """The saved plan at `path`, checked exactly as `read_plan` checks it, with `changes` a
    `ChangeList` decoding them from the file's bytes a chunk at a time whenever they are
    walked: a 100,000-person plan is shown holding its 240 MB of bytes, never its changes
    decoded whole (several GB). The bytes are read once, so what is shown is what was checked."""
    data = read_bytes(path)
    apart = _header_apart(data)
    if apart is not None:
        header, first, end = apart
        saved = _changes_apart(header, first, end, data)
        if saved is not None:
            document = dict(header)
            document["changes"] = ChangeList(data, first, end, saved.count)
            return document
    return read_plan(path, data)  # another layout, or a problem: read whole, for the same result or refusal


class ChangeList(Sequence):
    """A checked plan's changes, decoded from its bytes a chunk at a time on each walk
    (only ever made of bytes `_changes_apart` found sound)."""

    def __init__(self, data: bytes, first: int, end: int, count: int) -> None:
        self._data, self._first, self._end, self._count = data, first, end, count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict]:
        for changes in _chunks(self._data, self._first, self._end, checked=True):
            yield from changes

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            return list(islice(self, start, stop, step)) if step > 0 else list(self)[index]
        if not -self._count <= index < self._count:
            raise IndexError("change index out of range")
        return next(islice(self, index % self._count, None))

    def __reversed__(self) -> Iterator[dict]:  # one walk, not one per change
        return reversed(list(self))

    def index(self, value, start: int = 0, stop: int | None = None) -> int:
        start, stop, _ = slice(start, stop).indices(self._count)
        for i, change in enumerate(islice(self, start, stop), start):
            if change is value or change == value:
                return i
        raise ValueError("change not in the plan")
