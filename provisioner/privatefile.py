"""Files that hold people's names, e-mails and rights (reports, review sheets, evidence):
written owner-only (0600, in folders made 0700) whatever the umask, as saved plans, the
state and change files are."""

from __future__ import annotations

import os
from pathlib import Path


def make_private_folder(folder: Path) -> None:
    """`folder` and any missing parents, each made owner-only (an existing folder is left as it is)."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir(mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)


def write_private(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path`, owner-only (an existing file is made so too)."""
    path = Path(path)
    make_private_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        os.fchmod(stream.fileno(), 0o600)
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)
