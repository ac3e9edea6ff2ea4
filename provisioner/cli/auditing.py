"""Shared edges of the auditor's commands: reading an org folder that must make a model,
and opening its state for reading when there is one."""

from __future__ import annotations

import datetime as dt
import gc
from contextlib import contextmanager

import click

from ..pipeline import Validation, validate
from .common import fail, open_backend

class DefaultGroup(click.Group):
    """A group whose first argument, when it names no sub-command, goes to the first
    sub-command (`provisioner report ORG_DIR` is `provisioner report access ORG_DIR`)."""

    def parse_args(self, ctx, args):
        if args and self.commands and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [next(iter(self.commands)), *args]
        return super().parse_args(ctx, args)


no_git_option = click.option("--no-git", is_flag=True, help="Do not ask git which commit wrote each line.")


def load_org(org_dir: str, today: dt.date | None = None, rules: bool = False) -> Validation:
    """The validated org, or `error:` lines naming each structural problem and exit 1."""
    result = validate(org_dir, today=today, rules=rules)
    if result.org is None:
        errors = [d for d in result.diagnostics if d.is_error][:10]
        for d in errors:
            where = f"{d.file}:{d.line}: " if d.file and d.line else (f"{d.file}: " if d.file else "")
            click.echo(f"error: {where}{d.code}: {d.message}", err=True)
        fail(f"{org_dir} does not make an organization; run `provisioner validate {org_dir}`")
    return result


@contextmanager
def settled():
    """What was read so far (model, audit rows, outbox) lives until the command ends: keep
    it out of the cyclic collector's scans while a report over a large org is built."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def read_state(org_id: str, state_url: str | None, org_dir: str | None = None, verified: bool = True):
    """The org's state backend opened for reading, or None when nothing was applied yet.
    `verified`: a state that fails verification (an edited audit row, a forged actor) is
    refused, as plan and apply refuse it: an auditor's report never rests on it unawares.
    Its warnings (commits not yet in `org_dir`'s anchor, say) are printed."""
    from ..plan.statecheck import check_state
    from ..state import StateError

    backend = open_backend(org_id, state_url, create=False, missing_ok=True)
    if backend is None or not verified:
        return backend
    try:
        warnings = check_state(backend, org_dir, writing=False)
    except StateError as exc:
        backend.close()
        fail(str(exc))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    return backend


def unknown_people(validation: Validation, people) -> None:
    missing = [p for p in people if p not in validation.org.persons]
    if missing:
        fail(f"no person {', '.join(map(repr, missing))} in {validation.source.root} "
             f"(ids are the `id:` of kind: Person documents)")
