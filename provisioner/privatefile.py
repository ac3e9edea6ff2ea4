"""Files that hold people's names, e-mails and rights (plans, change files, reports, review
sheets, evidence, the state anchor): written owner-only (0600, in folders made 0700) whatever
the umask, whole or not at all, and never through a link.

Each is written to a new temporary file beside it (`.<name>.<random>.tmp`, created with
`O_EXCL`: never an existing file, never through a link) and renamed over it. A fixed
temporary name could be planted as a link in an org folder (anyone may open a pull request
on it) and send the text wherever it points, the state database included. `/dev/stdout`
and `/dev/fd/N` given as `--out` are written as the streams they are."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

# The caller's own streams, given as `--out`: written to, never replaced by a file.
STREAMS = ("/dev/stdout", "/dev/stderr")


def make_private_folder(folder: Path) -> None:
    """`folder` and any missing parents, each made owner-only (an existing folder is left as it is)."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists() or parent.is_symlink():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir(mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)


def replace_private(path: str | Path, pieces: Iterable[str | bytes], *, durable: bool = False) -> None:
    """Write `pieces` to `path` through a fresh temporary file renamed over it (an existing
    `path`, even a link, is replaced, never written through); on any failure nothing is
    left behind. `durable`: synced to disk before the rename."""
    path = Path(path)
    if str(path) in STREAMS or str(path).startswith(("/dev/fd/", "/proc/self/fd/")):
        with open(path, "wb") as stream:  # the caller's own stdout, a pipe: a stream, not a file to replace
            for piece in pieces:
                stream.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
        return
    make_private_folder(path.parent)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # 0600, O_EXCL
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), 0o600)
            for piece in pieces:
                stream.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def write_private(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path`, owner-only, whole or not at all."""
    replace_private(path, (data,))
