"""The validation pipeline as one call: read → schema-check → model → rules → locate.

Each stage stops the ones after it only for the documents it could not make sense of;
the result carries every finding, located and sorted, and the model when one was built.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .assemble import assemble
from .diagnostics import Diagnostic, has_errors, summarize, Summary
from .loader import Source, load_folder
from .locate import Locator
from .model import Org
from .readcache import ReadCache
from .rules import run_rules
from .schemacheck import check_documents


RULES_BESIDE_FROM = 10_000  # people from which `validate(..., rules_beside=True)` runs the rules in a child


class Validation:
    """A validated org folder: its source, the model when one was built, and every finding,
    located and sorted. With the rules still running beside (`pending`), `diagnostics` and
    `ok` wait for them; nothing before the rules found an error then."""

    def __init__(self, source: Source, org: Org | None, diagnostics: list[Diagnostic] | None = None,
                 pending=None) -> None:
        self.source, self.org = source, org
        self._diagnostics = diagnostics if diagnostics is not None else []
        self._pending = pending  # (Beside, fallback) while the rules run in a child

    @property
    def pending(self) -> bool:
        """Whether the rules still run beside (the findings before them had no error)."""
        return self._pending is not None

    @property
    def diagnostics(self) -> list[Diagnostic]:
        if self._pending is not None:
            beside, fallback = self._pending
            if beside is None:
                raise RuntimeError("the rules of this validation were stopped before they answered")
            self._pending = (None, None)  # until the answer is in: an interrupted wait never reads as clean
            self._diagnostics = beside.result(fallback)
            self._pending = None
        return self._diagnostics

    @diagnostics.setter
    def diagnostics(self, value: list[Diagnostic]) -> None:
        self.cancel()
        self._pending, self._diagnostics = None, value

    def cancel(self) -> None:
        """Stop rules still running beside (the caller gave up: the findings are not asked for again)."""
        if self._pending is not None and self._pending[0] is not None:
            self._pending[0].cancel()
            self._pending = (None, None)

    @property
    def summary(self) -> Summary:
        return summarize(self.diagnostics)

    @property
    def ok(self) -> bool:
        return self.org is not None and not has_errors(self.diagnostics)


def validate(root: str | Path, today: dt.date | None = None, rules: bool = True,
             rules_beside: bool = False, cache: ReadCache | None = None) -> Validation:
    """Validate the org folder `root`. `today` fixes the date that date rules judge by.
    `rules_beside`: for a large org, the rules (and the locating of every finding) run in a
    child process (beside.py) while the caller goes on with the model, the findings before
    them having no error (`Validation.pending`); the result is the same, taken when asked for.
    `cache`: files read before are taken from it (readcache.py); the result is the same."""
    source = load_folder(root, cache)
    locator = Locator(source.documents)
    passed, problems = check_documents(source.documents, locator, source.checked)
    found = list(source.diagnostics) + problems
    org = None
    # A document that failed its schema is left out of the model; modelling the rest would
    # only add confusing "unknown id" findings, so the model waits for a clean schema pass.
    if not found:
        org, problems = assemble(passed)
        found.extend(problems)
        # The model holds what it needs; the documents' values go (a large org's are hundreds
        # of megabytes), their marks stay for locating findings.
        source.documents = [doc.without_data() for doc in source.documents]
        if org is not None and rules and not has_errors(found):
            day = today or dt.date.today()
            if rules_beside and len(org.persons) >= RULES_BESIDE_FROM:
                from .beside import AVAILABLE, Beside

                if AVAILABLE:  # the locator (holding the documents' values) is let go here: the child has its own
                    beside = Beside(_ruled, org, day, locator, found)
                    return Validation(source, org, pending=(beside, lambda: _ruled(org, day, Locator(
                        source.documents), found)))
            # in line, a large org's rules and locating are shared with a child (the second core)
            return Validation(source, org, _ruled(org, day, locator, found,
                                                  apart=len(org.persons) >= RULES_BESIDE_FROM))
    return Validation(source, org, locator.locate_all(found))


def _ruled(org: Org, today: dt.date, locator: Locator, found: list[Diagnostic],
           apart: bool = False) -> list[Diagnostic]:
    """The findings so far and the rules', located and sorted. `apart`: the rules are shared
    with a child process, each run by whichever is free first, and then half the locating
    is done by another meanwhile (the same result)."""
    everything = found + (run_rules(org, today, apart=True) if apart else run_rules(org, today))
    return _located_apart(locator, everything) if apart else locator.locate_all(everything)


LOCATE_APART_FROM = 500  # findings from which half of them are located by a child


def _located_apart(locator: Locator, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """`locator.locate_all(diagnostics)`, the second half located in a child meanwhile."""
    from .beside import halves

    half = len(diagnostics) // 2
    if half < LOCATE_APART_FROM:
        return locator.locate_all(diagnostics)
    mine, other = halves(lambda part: _each_located(locator, part), diagnostics[:half], diagnostics[half:])
    return sorted(mine + other, key=Diagnostic.sort_key)


def _each_located(locator: Locator, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [locator.locate(d) for d in diagnostics]
