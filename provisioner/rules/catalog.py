"""The one catalog of rule codes: id, title, default severity, stage, explanation, source,
example fix and (for configuration rules) the check function. Rule modules register here;
`provisioner rules` and docs/rules.md print it. Running the checks is `rules.run_rules`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from ..access import PersonAccess
from ..diagnostics import Diagnostic, Severity
from ..licence_pools import Pool
from ..model import Org

# load: found while reading files, schema-checking or modelling; config: judged from the
# configuration alone; plan: needs the current state (checked by the plan); report: a
# documentation duty of the access report.
STAGES = ("load", "config", "plan", "report")
FAMILY_ORDER = ("YAML", "TPL", "LOAD", "DOC", "SCHEMA", "ORG", "ID", "REF", "ACC", "ADM", "CC", "WQ",
                "LIFE", "GRP", "FO", "TYPE", "EMAIL", "LIC", "PERM", "GOV", "NOTE", "MASS", "POL", "WAIVE")


@dataclass(frozen=True)
class Context:
    """What every check receives: the model, the judging date, and the derived tables."""

    org: Org
    today: dt.date
    access: Mapping[str, PersonAccess]
    pools: Mapping[tuple[str, str], Pool]


Check = Callable[[Context], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity | None  # None: the rule emits no finding of its own (plan actions, reports)
    stage: str
    explanation: str
    source: str
    example_fix: str
    check: Check | None = None  # the configuration half; plan-stage checks live in the plan

    @property
    def family(self) -> str:
        return self.id.rstrip("0123456789")


_RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.id in _RULES:
        raise ValueError(f"rule {rule.id} registered twice")
    if rule.stage not in STAGES:
        raise ValueError(f"rule {rule.id}: unknown stage {rule.stage!r}")
    _RULES[rule.id] = rule
    return rule


def describe(id: str, title: str, severity: Severity | None, *, stage: str, explanation: str, source: str,
             example_fix: str) -> Rule:
    """Register a rule that has no configuration check here (load, plan or report stage)."""
    return register(Rule(id, title, severity, stage, explanation, source, example_fix))


def rule(id: str, title: str, severity: Severity, *, explanation: str, source: str, example_fix: str,
         stage: str = "config") -> Callable[[Check], Check]:
    """Decorator: register the decorated function as the configuration check of rule `id`."""

    def wrap(check: Check) -> Check:
        register(Rule(id, title, severity, stage, explanation, source, example_fix, check))
        return check

    return wrap


def _order(rule: Rule) -> tuple:
    family = rule.family
    return (FAMILY_ORDER.index(family) if family in FAMILY_ORDER else len(FAMILY_ORDER), rule.id)


def all_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=_order)


def get(rule_id: str) -> Rule | None:
    return _RULES.get(rule_id)
