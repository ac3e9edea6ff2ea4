"""Where applied state lives: the backend interface, the SQLite default, PostgreSQL, and
how a `--state URL` / `PROVISIONER_STATE` / the org id choose a backend."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .backend import (  # noqa: F401
    AuditRow, LockInfo, LockTimeout, NoState, Resource, Snapshot, StaleState, StateBackend, StateError,
    StoredResource, Write, decoded,
)
from .postgres import is_postgres, redact
from .sqlite import SQLiteBackend

STATE_ENV = "PROVISIONER_STATE"
STATE_DIR = ".provisioner"


URL_FORMS = ("sqlite:///relative/path.db, sqlite:////absolute/path.db or postgresql://user@host:5432/database "
             "(password in PGPASSWORD or ~/.pgpass)")


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


def where(url: str) -> str:
    """How messages name the state of `url`: a SQLite file's path, a PostgreSQL URL without its password."""
    return redact(url) if is_postgres(url) else str(sqlite_path(url))


def sqlite_path(url: str) -> Path:
    """The database file of a `sqlite:///…` URL (relative to the working directory unless
    the path after the third slash is absolute)."""
    if not url.startswith("sqlite:///"):
        shown = redact(url) if "://" in url else url
        raise StateError(f"unsupported state URL {shown!r}: use {URL_FORMS}")
    path = url[len("sqlite:///"):]
    if not path or path.endswith("/"):
        raise StateError(f"state URL {url!r} names no database file: use {URL_FORMS}")
    return Path(path)


def open_state(org_id: str | None, url: str | None = None, cwd: str | Path | None = None,
               create: bool = True) -> StateBackend:
    """Open (or, with `create`, create) the state database. Only the default folder
    `.provisioner/` is made on demand: a mistyped folder elsewhere is an error, not a new state.
    A new database and that folder are owner-only (0600/0700) whatever the umask; SQLite
    gives its journal the database's mode. A state that belongs to another org is refused.
    Without a state there and without `create`: NoState."""
    url = state_url(org_id, url, cwd)
    if is_postgres(url):
        return open_postgres(org_id, url, create)
    path = sqlite_path(url)
    if path.is_dir():
        raise StateError(f"the state database {path} is a folder, not a file: name a file, e.g. {path}/state.db")
    if path.exists() and not path.is_file():
        raise StateError(f"the state database {path} is not a regular file (a FIFO, socket or device); "
                         "name a database file")
    if not path.exists():
        if not path.parent.exists() and path.parent.name != STATE_DIR:  # a typo, whether planning or applying
            raise StateError(f"the folder {path.parent} for the state database {path.name} does not exist")
        if not create:
            raise NoState(f"no state database at {path} (nothing applied yet?)")
        if not path.parent.exists():
            make_private_dir(path.parent)
        create_private_file(path)
    if path.is_dir():
        raise StateError(f"the state URL names {path}, which is a folder, not a database file: use {URL_FORMS}")
    try:
        backend = SQLiteBackend(path, org_id=org_id)
        stored = backend.stored_org()
    except sqlite3.Error as exc:
        raise StateError(f"cannot open state database {path}: {exc}") from None
    if org_id and stored and stored != org_id:
        backend.close()
        raise StateError(f"the state at {path} belongs to org {stored}, not {org_id}: pass the state of "
                         f"{org_id} with --state (or PROVISIONER_STATE)")
    return backend


def open_postgres(org_id: str | None, url: str, create: bool) -> StateBackend:
    """The org's schema in a PostgreSQL database; without an org id, the only org there."""
    try:
        from .postgres import PostgresBackend, connect, org_schemas
    except ImportError:
        raise StateError("a postgresql:// state needs psycopg 3: pip install 'psycopg[binary]'") from None
    if org_id is None:
        conn = connect(url)
        try:
            orgs = org_schemas(conn)
        finally:
            conn.close()
        if len(orgs) != 1:
            found = f"it holds the states of {', '.join(orgs)}" if orgs else "it holds no state yet"
            raise (StateError if orgs else NoState)(f"name the org whose state to use in {redact(url)}: {found}")
        org_id = orgs[0]
    return PostgresBackend(url, org_id, create=create)


def make_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only (an existing one is left alone)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StateError(f"cannot create the state database {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def exposed(path: Path) -> str | None:
    """A warning when the state database can be read by other users."""
    if not isinstance(path, Path):
        return None  # a server's database: its access is the server's
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        return None
    if mode & 0o077:
        return (f"the state database {path} is readable by other users (mode {mode:04o}); it holds personal "
                f"data: chmod 600 {path}")
    return None
