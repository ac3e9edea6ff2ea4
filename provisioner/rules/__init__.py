"""The rule catalog: every rule of DOMAIN.md that can be judged from configuration alone."""

from __future__ import annotations

import datetime as dt

from ..diagnostics import Diagnostic
from ..model import Org


def run_rules(org: Org, today: dt.date) -> list[Diagnostic]:
    return []
