"""Problems as values: a diagnostic is a small frozen record with a severity, a rule code,
a message, the subject it is about and where it is.

Code that detects a problem records an `Origin` (document + path inside it); turning
that into file:line:column happens in one place, `provisioner.locate`. Nothing here
prints or formats: see `provisioner.reporters`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Iterable, NamedTuple


class Severity(enum.IntEnum):
    """Ordered so that `max()` of a list gives the worst."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        return cls[text.upper()]


Path = tuple[str | int, ...]


class Origin(NamedTuple):
    """Where a value came from before it is located: a file, the index of the YAML
    document inside it, and the path of keys/indexes to the value. (A named tuple: the
    model makes one per record and per permission, so it must be cheap.)"""

    file: str
    document: int = 0
    path: Path = ()

    def at(self, *more: str | int) -> "Origin":
        return _new_origin(Origin, (self[0], self[1], self[2] + more))


_new_origin = tuple.__new__  # Origin(...) without the named tuple's Python-level __new__


@dataclass(frozen=True)
class Diagnostic:
    """One finding. `sort_key` orders by file, line, column, then code, so output is stable."""

    file: str | None
    line: int | None
    column: int | None
    code: str
    severity: Severity
    message: str
    subject: str | None = None
    origin: Origin | None = field(default=None, compare=False, repr=False)
    waived_by: str | None = None
    key: bool = field(default=False, compare=False, repr=False)
    # Another place the finding is about (the first holder of a duplicate, say): the locator
    # replaces `{at}` in the message with its file:line.
    related: Origin | None = field(default=None, compare=False, repr=False)

    def sort_key(self) -> tuple:
        return (self.file or "", self.line or 0, self.column or 0, self.code, self.subject or "", self.message)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR and self.waived_by is None

    def with_severity(self, severity: Severity) -> "Diagnostic":
        return replace(self, severity=severity)


def finding(
    code: str,
    severity: Severity,
    message: str,
    *,
    origin: Origin | None = None,
    subject: str | None = None,
    key: bool = False,
    related: Origin | None = None,
) -> Diagnostic:
    """Build an unlocated diagnostic; `key=True` points at the mapping key, not its value;
    `related` is a second place, named where the message says `{at}`."""
    file = origin.file if origin else None
    return Diagnostic(file, None, None, code, severity, message, subject, origin, key=key, related=related)


def error(code: str, message: str, **kw) -> Diagnostic:
    return finding(code, Severity.ERROR, message, **kw)


def warning(code: str, message: str, **kw) -> Diagnostic:
    return finding(code, Severity.WARNING, message, **kw)


def info(code: str, message: str, **kw) -> Diagnostic:
    return finding(code, Severity.INFO, message, **kw)


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int
    infos: int
    waived: int

    @property
    def valid(self) -> bool:
        return self.errors == 0


def summarize(diagnostics: Iterable[Diagnostic]) -> Summary:
    errors = warnings = infos = waived = 0
    for d in diagnostics:
        if d.waived_by is not None:
            waived += 1
        elif d.severity is Severity.ERROR:
            errors += 1
        elif d.severity is Severity.WARNING:
            warnings += 1
        else:
            infos += 1
    return Summary(errors, warnings, infos, waived)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
