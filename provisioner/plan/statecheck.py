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
def early_child() -> Iterator[object]:
    """A child forked now, while the caller is small, waiting to verify the state a
    `StateCheck` names later; stopped on the way out if it was never used. Forked later,
    from a caller holding a large org's model, the child's work would copy the pages of
    the caller's memory it reuses."""
    from ..beside import AVAILABLE, Beside

    child = Beside(_problems_opened, waiting=True) if AVAILABLE else None
    try:
        yield child
    finally:
        if child is not None:
            child.cancel()


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

            if early is not None:  # early_child(): forked before the caller grew
                early.send(backend.reopen(), org_dir)
                self._beside = early
            else:
                self._beside = Beside(_problems_opened, backend.reopen(), org_dir)
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
