"""Whether a state may be planned against or applied to: it must pass verification
(state/integrity.py), checked against the org's anchor file when it has one.

`check_state` verifies in the caller. `StateCheck` verifies a large state in a child
process (beside.py) on its own connection, while the caller reads the state and plans:
verifying 100,000 people's state is some seconds of one core, and planning does not need
its answer until the end. The answer is taken before anything is shown or written, and a
state that fails verification is refused with the same message whatever the work beside
it met on the way (`StateCheck.around`), so the outcome is the one `check_state` first
would give.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..state.backend import StateBackend, StateError

BESIDE_FROM = 10_000  # audit rows from which a state is verified in a child process


def check_state(backend: StateBackend, org_dir: str | Path | None = None, *, writing: bool = True) -> list[str]:
    """Refuse a state that fails verification; returns the warnings. Before a write, signed
    commits with no key to continue them are refused; a state not signed yet is signed from
    this apply on."""
    return judge(backend, problems(backend, org_dir), writing=writing)


def problems(backend: StateBackend, org_dir: str | Path | None = None) -> list:
    """Everything verification finds (integrity.Problem), the anchor included."""
    from ..state.anchor import anchor_path, read_anchor

    anchor = read_anchor(org_dir) if org_dir is not None else None
    where = str(anchor_path(org_dir)) if org_dir is not None else ""
    return backend.integrity(anchor, where)


def judge(backend: StateBackend, found: list, *, writing: bool) -> list[str]:
    """The warnings among `found`; a StateError naming the problems that block."""
    blocking = [p for p in found if (p.error and p.code != "unsigned") or (writing and p.code == "needs-key")]
    if blocking:
        shown = "; ".join(p.message for p in blocking[:10])
        more = f"; and {len(blocking) - 10} more" if len(blocking) > 10 else ""
        raise StateError(f"the state at {getattr(backend, 'path', 'the backend')} fails verification: {shown}{more}. "
                         "Nothing was written; run `provisioner state verify` and restore the state")
    return [p.message for p in found if p not in blocking]


def _problems_opened(reopen: tuple, org_dir) -> list:
    """In the child: verification on a connection of its own (one is never shared across a
    fork), opened from the backend's `reopen` (class, arguments)."""
    kind, args = reopen
    fresh = kind(*args)
    try:
        return problems(fresh, org_dir)
    finally:
        fresh.close()


@contextmanager
def early_child() -> Iterator[EarlyChild]:
    """A child forked now, while the caller is small, waiting to verify a state (`EarlyChild`);
    stopped on the way out if it was never used. Forked later, from a caller holding a large
    org's model, the child's work would copy the pages of the caller's memory it reuses."""
    from ..beside import AVAILABLE, Beside

    child = EarlyChild(Beside(_problems_opened, waiting=True) if AVAILABLE else None)
    try:
        yield child
    finally:
        child.cancel()


class EarlyChild:
    """The child of `early_child()`. `start()` sends it a state to verify before the config
    is read, when the state is known without it; else the `StateCheck` that needs it sends
    it the state (`take`)."""

    def __init__(self, beside) -> None:
        self._beside, self._sent, self._watch = beside, None, None

    def start(self, url: str | None, org_dir: str | Path | None) -> None:
        """Verify now, while the config is validated, the state `url` (or $PROVISIONER_STATE)
        names: only one that exists, is large, records the org it belongs to (what
        verification checks against is then known before the config that names the org is
        read) and tells when another connection commits to it (SQLite's data_version, asked
        on a connection kept open here until `take`, with the file's inode, size and time:
        a file replaced or written by anything else). `take` uses the answer only for that
        same state with nothing committed to it since: exactly the state then planned."""
        from ..state import STATE_ENV, open_state

        url = url or os.environ.get(STATE_ENV)
        if self._beside is None or self._sent is not None or not url or org_dir is None or not _current(url):
            return
        try:
            backend = open_state(None, url, create=False)
            try:
                org = backend.stored_org()
                if not org or not hasattr(backend, "change_marker") or backend.size_hint() < BESIDE_FROM:
                    return
            finally:
                backend.close()
            watch = open_state(org, url, create=False)
        except Exception:  # noqa: BLE001 - no state to be had now: the StateCheck opens it and says why
            return
        try:
            self._sent = (watch.reopen(), str(org_dir), watch.change_marker())
        except Exception:  # noqa: BLE001 - as above
            watch.close()
            return
        self._watch = watch
        self._beside.send(self._sent[0], org_dir)

    def take(self, backend: StateBackend, org_dir: str | Path | None):
        """The child to verify `backend`'s state in (verifying it already, or sent it now), or
        None when it is gone, or verified another state, or one committed to since."""
        beside, self._beside = self._beside, None
        if beside is None:
            return None
        if self._sent is None:
            beside.send(backend.reopen(), org_dir)
            return beside
        reopen, sent_dir, marker = self._sent
        try:
            same = (reopen, sent_dir, marker) == (backend.reopen(), str(org_dir), self._watch.change_marker())
        finally:
            self._close_watch()
        if same:
            return beside
        beside.cancel()
        return None

    def cancel(self) -> None:
        self._close_watch()
        if self._beside is not None:
            self._beside.cancel()
            self._beside = None

    def _close_watch(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.close()


def _current(url: str) -> bool:
    """Whether `url` is a SQLite state of the current schema, asked read-only: only such a
    state is opened before the config is read (opening an older one migrates it, a write
    that a config with errors must not cause)."""
    import sqlite3
    from urllib.parse import quote

    from ..state import is_postgres, sqlite_path
    from ..state.migrations import LATEST

    try:
        if is_postgres(url):
            return False
        path = sqlite_path(url)
        if not path.is_file():
            return False
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            return connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == LATEST
        finally:
            connection.close()
    except Exception:  # noqa: BLE001 - no such table, not a database, unreadable: not opened early
        return False


class StateCheck:
    """`check_state`, started now and answered by `warnings()`: in a child process when the
    state is large and its backend can be opened again (`early`: a child of `early_child()`,
    else one forked now), else at once in the caller (a state failing verification is then
    refused here, as by `check_state`)."""

    def __init__(self, backend: StateBackend, org_dir: str | Path | None = None, *, writing: bool = True,
                 early=None) -> None:
        self._backend, self._org_dir, self._writing = backend, org_dir, writing
        self._beside = self._warnings = None
        if hasattr(backend, "reopen") and backend.size_hint() >= BESIDE_FROM:
            from ..beside import Beside

            child = early.take(backend, org_dir) if early is not None else None  # forked before the caller grew
            self._beside = child if child is not None else Beside(_problems_opened, backend.reopen(), org_dir)
        else:  # as check_state: refused here, before any work
            self._warnings = check_state(backend, org_dir, writing=writing)

    @property
    def beside(self) -> bool:
        return self._beside is not None

    def warnings(self) -> list[str]:
        """What `check_state` returns, or its StateError."""
        beside, self._beside = self._beside, None
        if beside is not None:
            found = beside.result(lambda: problems(self._backend, self._org_dir))
            self._warnings = judge(self._backend, found, writing=self._writing)
        return self._warnings

    def cancel(self) -> None:
        if self._beside is not None:
            self._beside.cancel()
            self._beside = None

    @contextmanager
    def around(self) -> Iterator[None]:
        """Work on the state while it is verified: whatever the work raises, a state that
        fails verification is what is reported (as when verified first); Ctrl-C stops the child."""
        try:
            yield
        except Exception:
            self.warnings()
            raise
        except BaseException:
            self.cancel()
            raise
