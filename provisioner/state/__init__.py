"""Where applied state lives: the backend interface, the SQLite default, and how a
`--state URL` / `PROVISIONER_STATE` / the org id choose a backend."""

from __future__ import annotations

import os
from pathlib import Path

from .backend import (  # noqa: F401
    AuditRow, LockInfo, LockTimeout, Resource, Snapshot, StaleState, StateBackend, StateError, Write,
)
from .sqlite import SQLiteBackend

STATE_ENV = "PROVISIONER_STATE"
STATE_DIR = ".provisioner"


def state_url(org_id: str | None, url: str | None = None, cwd: str | Path | None = None) -> str:
    """The state URL to use: `url`, else $PROVISIONER_STATE, else `.provisioner/<org-id>.db`."""
    url = url or os.environ.get(STATE_ENV)
    if url:
        return url
    if not org_id:
        raise StateError("no state given: pass --state URL (or set PROVISIONER_STATE) or name the org")
    base = Path(cwd) if cwd else Path.cwd()
    return f"sqlite:///{base / STATE_DIR / (org_id + '.db')}"


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative.db`, `sqlite:////absolute.db` or a bare path."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if "://" in url:
        raise StateError(f"unsupported state URL {url!r}: only sqlite:///PATH is built in")
    return Path(url)


def open_state(org_id: str | None, url: str | None = None, cwd: str | Path | None = None,
               create: bool = True) -> SQLiteBackend:
    path = sqlite_path(state_url(org_id, url, cwd))
    if not create and not path.exists():
        raise StateError(f"no state database at {path} (nothing applied yet?)")
    return SQLiteBackend(path)
