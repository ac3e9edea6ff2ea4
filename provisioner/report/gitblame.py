"""Which commit wrote each line of a config file: `git blame --porcelain`, parsed once per
file. I/O at the edge; a folder outside git, an untracked file or a missing git gives no
commits (the report then says so) rather than an error.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNCOMMITTED = "0" * 40


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str  # ISO 8601, UTC
    subject: str

    def to_dict(self) -> dict:
        return {"commit": self.sha, "author": self.author, "date": self.date, "subject": self.subject}


def parse_porcelain(text: str) -> dict[int, Commit | None]:
    """Final line number -> the commit that wrote it (None for uncommitted lines)."""
    info: dict[str, dict[str, str]] = {}
    lines: dict[int, str] = {}
    sha = None
    for raw in text.splitlines():
        if raw.startswith("\t"):
            continue
        head, _, rest = raw.partition(" ")
        if len(head) == 40 and all(c in "0123456789abcdef" for c in head):
            sha = head
            parts = rest.split()
            lines[int(parts[1])] = sha
            info.setdefault(sha, {})
        elif sha is not None and head in ("author", "author-time", "summary"):
            info[sha].setdefault(head, rest)
    commits: dict[str, Commit | None] = {}
    for sha, fields in info.items():
        if sha == UNCOMMITTED:
            commits[sha] = None
            continue
        when = dt.datetime.fromtimestamp(int(fields.get("author-time", "0")), dt.timezone.utc)
        commits[sha] = Commit(sha, fields.get("author", ""), when.isoformat(timespec="seconds"),
                              fields.get("summary", ""))
    return {n: commits[s] for n, s in lines.items()}


class Blame:
    """Commits of config lines, blamed lazily per file; `enabled` is False outside git."""

    def __init__(self, folder: str | Path, enabled: bool = True) -> None:
        self.enabled = enabled and _in_git(Path(folder))
        self._files: dict[str, dict[int, Commit | None]] = {}

    def commit(self, file: str, line: int | None) -> Commit | None:
        if not self.enabled or line is None:
            return None
        if file not in self._files:
            self._files[file] = _blame(Path(file))
        return self._files[file].get(line)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None


def _in_git(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    done = _git(["rev-parse", "--is-inside-work-tree"], folder)
    return done is not None and done.returncode == 0 and done.stdout.strip() == "true"


def _blame(path: Path) -> dict[int, Commit | None]:
    done = _git(["blame", "--porcelain", "--", path.name], path.parent)
    if done is None or done.returncode != 0:
        return {}
    return parse_porcelain(done.stdout)
