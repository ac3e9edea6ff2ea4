"""Where applied state lives: the backend interface, the SQLite default, and how a
`--state URL` / `PROVISIONER_STATE` / the org id choose a backend."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .backend import (  # noqa: F401
    AuditRow, LockInfo, LockTimeout, Resource, Snapshot, StaleState, StateBackend, StateError, Write,
)
from .sqlite import SQLiteBackend

STATE_ENV = "PROVISIONER_STATE"
STATE_DIR = ".provisioner"


URL_FORMS = "sqlite:///relative/path.db or sqlite:////absolute/path.db"


def default_url(org_id: str) -> str:
    return f"sqlite:///{STATE_DIR}/{org_id}.db"


def state_url(org_id: str | None, url: str | None = None, cwd: str | Path | None = None) -> str:
    """The state URL to use: `url`, else $PROVISIONER_STATE, else `.provisioner/<org-id>.db`."""
    url = url or os.environ.get(STATE_ENV)
    if url:
        return url
    if not org_id:
        raise StateError("no state given: pass --state URL (or set PROVISIONER_STATE) or name the org")
    return default_url(org_id) if cwd is None else f"sqlite:///{Path(cwd) / STATE_DIR / (org_id + '.db')}"


def sqlite_path(url: str) -> Path:
    """The database file of a `sqlite:///…` URL (relative to the working directory unless
    the path after the third slash is absolute)."""
    if not url.startswith("sqlite:///"):
        raise StateError(f"unsupported state URL {url!r}: use {URL_FORMS}")
    path = url[len("sqlite:///"):]
    if not path or path.endswith("/"):
        raise StateError(f"state URL {url!r} names no database file: use {URL_FORMS}")
    return Path(path)


def open_state(org_id: str | None, url: str | None = None, cwd: str | Path | None = None,
               create: bool = True) -> SQLiteBackend:
    """Open (or, with `create`, create) the state database. Only the default folder
    `.provisioner/` is made on demand: a mistyped folder elsewhere is an error, not a new state."""
    path = sqlite_path(state_url(org_id, url, cwd))
    if path.is_dir():
        raise StateError(f"the state database {path} is a folder, not a file: name a file, e.g. {path}/state.db")
    if path.exists() and not path.is_file():
        raise StateError(f"the state database {path} is not a regular file (a FIFO, socket or device); "
                         "name a database file")
    if not path.exists():
        if not create:
            raise StateError(f"no state database at {path} (nothing applied yet?)")
        if not path.parent.exists():
            if path.parent.name != STATE_DIR:
                raise StateError(f"the folder {path.parent} for the state database {path.name} does not exist")
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return SQLiteBackend(path)
    except sqlite3.Error as exc:
        raise StateError(f"cannot open state database {path}: {exc}") from None
