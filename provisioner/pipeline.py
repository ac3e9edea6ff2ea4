"""The validation pipeline as one call: read → schema-check → model → rules → locate.

Each stage stops the ones after it only for the documents it could not make sense of;
the result carries every finding, located and sorted, and the model when one was built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from .assemble import assemble
from .diagnostics import Diagnostic, has_errors, summarize, Summary
from .loader import Source, load_folder
from .locate import Locator
from .model import Org
from .rules import run_rules
from .schemacheck import check_documents


@dataclass
class Validation:
    source: Source
    org: Org | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def summary(self) -> Summary:
        return summarize(self.diagnostics)

    @property
    def ok(self) -> bool:
        return self.org is not None and not has_errors(self.diagnostics)


def validate(root: str | Path, today: dt.date | None = None, rules: bool = True) -> Validation:
    """Validate the org folder `root`. `today` fixes the date that date rules judge by."""
    source = load_folder(root)
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
        source.documents = [replace(doc, data=None) for doc in source.documents]
        if org is not None and rules and not has_errors(found):
            found.extend(run_rules(org, today or dt.date.today()))
    return Validation(source, org, locator.locate_all(found))
