"""The PostgreSQL state backend (psycopg 3): several orgs in one database, one schema per
org (`provisioner_<org-id>`), the same tables and SQL as SQLite (sqlstore.py).

A write transaction first takes a transaction-level advisory lock of the org, so writers
run one at a time as with SQLite's `BEGIN IMMEDIATE`; the apply lock is a session-level
advisory lock plus the `state_lock` row naming its holder: a holder that crashes or loses
its connection releases the advisory lock with its session, and the next apply takes the
row over. The password never appears in a message (`redact`): give it in $PGPASSWORD or
~/.pgpass, not in the URL.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from contextlib import contextmanager
from typing import Iterable, Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import integrity
from .backend import LockInfo, NoState, StateError
from .sqlstore import SQLStore

SCHEMES = ("postgresql://", "postgres://")
SCHEMA_PREFIX = "provisioner_"
STREAM_BATCH = 2000  # rows per round trip when a table is streamed (verification)
_LOCK_WAIT = "30s"  # how long a write transaction waits for another writer of the same org


def is_postgres(url: str) -> bool:
    return url.startswith(SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (in the authority or a `password=` parameter); any
    URL other than a PostgreSQL one is returned as it is."""
    if not is_postgres(url):
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port is found here, not later)
    except ValueError:
        return url.split("://", 1)[0] + "://(a URL that does not parse)"
    if "@" not in parts.netloc and "password" not in parts.query:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        auth, host = netloc.rsplit("@", 1)
        netloc = f"{auth.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _secrets(url: str) -> list[str]:
    """The passwords a URL holds (long enough to be told apart from the words of a message)."""
    try:
        parts = urlsplit(url)
        found = [parts.password] if parts.password else []
    except ValueError:
        found, parts = [], None
    found += [v for k, v in parse_qsl(parts.query if parts else "") if k == "password" and v]
    return [f for f in found if len(f) >= 4]


def schema_of(org_id: str) -> str:
    name = SCHEMA_PREFIX + org_id
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", org_id) or len(name.encode()) > 63:
        raise StateError(f"the org id {org_id!r} cannot name a PostgreSQL schema ({SCHEMA_PREFIX}<org-id>, at most "
                         "63 bytes of lowercase letters, digits, - and _)")
    return name


def _key(schema: str, purpose: str) -> int:
    return int.from_bytes(hashlib.sha256(f"provisioner:{schema}:{purpose}".encode()).digest()[:8], "big", signed=True)


class _Row(tuple):
    """A row readable by position, by column name and as a mapping, like sqlite3.Row."""

    def __new__(cls, values, index: dict[str, int]):
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self):
        return list(self._index)


def _row_factory(cursor):
    index = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: _Row(values, index)


class _Connection:
    """psycopg's connection behind the `?` placeholders sqlstore.py writes; its errors become
    StateErrors that name the state by its redacted URL and never carry the password."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg, self._url, self.where = psycopg, url, redact(url)
        self._sql: dict[str, str] = {}
        self._cursor_ids = itertools.count(1)
        self._conn = self._guard(lambda: psycopg.connect(url, autocommit=True, row_factory=_row_factory,
                                                         connect_timeout=10))

    def _guard(self, call):
        try:
            return call()
        except self._psycopg.Error as exc:
            raise StateError(self.describe(exc)) from None

    def describe(self, exc: Exception) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        for secret in _secrets(self._url):
            text = text.replace(secret, "***")
        text = text.replace(self._url, self.where)
        if getattr(self, "_conn", None) is None:
            return f"cannot connect to the PostgreSQL state at {self.where}: {text}"
        if isinstance(exc, self._psycopg.OperationalError) and self._conn_broken():
            return (f"lost the connection to the PostgreSQL state at {self.where} ({text}); the transaction was "
                    "not committed, nothing of it was written: run the command again")
        return f"the PostgreSQL state at {self.where}: {text}"

    def _conn_broken(self) -> bool:
        conn = getattr(self, "_conn", None)
        return conn is None or conn.closed or conn.broken

    def execute(self, sql: str, params=None):
        query = self._sql.get(sql)
        if query is None:
            query = self._sql[sql] = sql.replace("%", "%%").replace("?", "%s")
        return self._guard(lambda: self._conn.execute(query, params if params else None)
                           if params else self._conn.execute(sql))

    def executemany(self, sql: str, rows) -> None:
        query = sql.replace("%", "%%").replace("?", "%s")
        self._guard(lambda: self._conn.cursor().executemany(query, rows))

    def stream(self, sql: str, batch: int = STREAM_BATCH) -> Iterator:
        """The rows of a query through a server-side cursor, `batch` rows per round trip, so
        the client never holds the whole result (inside a transaction)."""
        cursor = self._guard(lambda: self._conn.cursor(name=f"provisioner_stream_{next(self._cursor_ids)}"))
        try:
            self._guard(lambda: cursor.execute(sql))
            while True:
                rows = self._guard(lambda: cursor.fetchmany(batch))
                if not rows:
                    return
                yield from rows
        finally:
            if not self._conn_broken():
                self._guard(cursor.close)

    @contextmanager
    def pipeline(self):
        """Statements sent without waiting for each result (psycopg's pipeline mode); an
        error surfaces at the latest when the block ends, as a StateError."""
        try:
            with self._conn.pipeline():
                yield
        except self._psycopg.Error as exc:
            raise StateError(self.describe(exc)) from None

    def scalar(self, sql: str, params=None):
        return self.execute(sql, params).fetchone()[0]

    @property
    def broken(self) -> bool:
        return self._conn_broken()

    def close(self) -> None:
        self._conn.close()


def connect(url: str) -> _Connection:
    return _Connection(url)


def org_schemas(conn: _Connection) -> list[str]:
    """The orgs that have a state in this database."""
    rows = conn.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?) ORDER BY nspname",
                        (SCHEMA_PREFIX,)).fetchall()
    return [r[0][len(SCHEMA_PREFIX):] for r in rows]


class PostgresBackend(SQLStore):
    def __init__(self, url: str, org_id: str, create: bool = True) -> None:
        self.org_id = org_id
        self.schema = schema_of(org_id)
        self.key = integrity.audit_key()
        self._conn = connect(url)
        self._url = url
        self.path = f"{self._conn.where} (schema {self.schema})"
        self._write_key, self._lock_key = _key(self.schema, "write"), _key(self.schema, "apply-lock")
        self._claimed = False
        quoted = '"' + self.schema.replace('"', '""') + '"'
        self._quoted = quoted
        try:
            self._conn.execute(f"SET search_path TO {quoted}")
            self._conn.execute(f"SET lock_timeout TO '{_LOCK_WAIT}'")
            if not create and not self.exists():
                raise NoState(f"no state for org {org_id} in {self._conn.where} (schema {self.schema} does not "
                              "exist: nothing applied yet?)")
            self.migrate()
        except BaseException:
            self._conn.close()
            raise

    def reopen(self) -> tuple:
        """How to open the same state on a connection of its own (another process): a
        class and its arguments."""
        return PostgresBackend, (self._url, self.org_id, False)

    def exists(self) -> bool:
        return bool(self._conn.scalar("SELECT COUNT(*) FROM pg_namespace WHERE nspname = ?", (self.schema,)))

    # -- the dialect ----------------------------------------------------------------------
    def _begin(self) -> None:
        self._conn.execute("BEGIN")
        self._conn.execute("SELECT pg_advisory_xact_lock(?)", (self._write_key,))

    def _begin_read(self) -> None:
        self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _lost(self) -> bool:
        return self._conn.broken

    def _stream(self, sql: str) -> Iterable:
        return self._conn.stream(sql, STREAM_BATCH)

    def _batched(self):
        return self._conn.pipeline()  # one round trip per batch, not three per resource

    def _rollback(self) -> None:
        if not self._conn.broken:  # a lost connection rolled back on the server already
            self._conn.execute("ROLLBACK")

    def _foreign_objects(self) -> list[str]:
        found = [f"trigger {r[0]!r}" for r in self._conn.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON "
            "n.oid = c.relnamespace WHERE n.nspname = ? AND NOT t.tgisinternal ORDER BY 1", (self.schema,))]
        found += [f"rule {r[0]!r}" for r in self._conn.execute(
            "SELECT rulename FROM pg_rules WHERE schemaname = ? ORDER BY 1", (self.schema,))]
        found += [f"view {r[0]!r}" for r in self._conn.execute(
            "SELECT viewname FROM pg_views WHERE schemaname = ? ORDER BY 1", (self.schema,))]
        found += [f"row policy {r[0]!r}" for r in self._conn.execute(
            "SELECT policyname FROM pg_policies WHERE schemaname = ? ORDER BY 1", (self.schema,))]
        return found

    def _prepare_schema(self) -> None:
        self._conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._quoted}")

    def _claim(self) -> bool:
        self._claimed = bool(self._conn.scalar("SELECT pg_try_advisory_lock(?)", (self._lock_key,)))
        return self._claimed

    def _unclaim(self) -> None:
        if self._claimed and not self._conn.broken:
            self._conn.execute("SELECT pg_advisory_unlock(?)", (self._lock_key,))
        self._claimed = False

    def _holder_gone(self, info: LockInfo) -> bool:
        return True  # we hold the advisory lock: the row's session has ended

    def _holder_running(self, info: LockInfo) -> bool:
        """The holder's session still holds the advisory lock (whatever host it runs on)."""
        if self._conn.scalar("SELECT pg_try_advisory_lock(?)", (self._lock_key,)):
            self._conn.execute("SELECT pg_advisory_unlock(?)", (self._lock_key,))
            return False
        return True

    def close(self) -> None:
        self._conn.close()
