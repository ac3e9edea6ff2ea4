"""Files that hold people's names, e-mails and rights (plans, change files, reports, review
sheets, evidence, the state anchor): written owner-only (0600, in folders made 0700) whatever
the umask, whole or not at all, and never through a link.

Each is written to `<name>.tmp` beside it and renamed over it. A link planted at that
temporary name (in an org folder anyone may send a pull request to) would otherwise send
the text wherever it points, the state database included: whatever is at the temporary
name is removed first, and the file is created anew (`O_EXCL`, `O_NOFOLLOW`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


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
    make_private_folder(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()  # a link (or a leftover) at the temporary name goes; what it points at is not touched
        fd = os.open(tmp, _NEW, 0o600)
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), 0o600)
            for piece in pieces:
                stream.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            if not tmp.is_symlink():
                tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def write_private(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path`, owner-only, whole or not at all."""
    replace_private(path, (data,))
