"""Shared pieces of the command line: output options, colour detection, error edges."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys

import click


def use_colour(stream=None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class DateParam(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD", param, ctx)
        if not FIRST_DAY <= day <= LAST_DAY:  # dates are reckoned from it (expiries, review periods)
            self.fail(f"{value} is outside {FIRST_DAY} to {LAST_DAY}", param, ctx)
        return day


FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2999, 12, 31)
DATE = DateParam()

today_option = click.option(
    "--today", type=DATE, default=None, metavar="DATE",
    help="Judge dates as if today were DATE (YYYY-MM-DD); makes runs reproducible.",
)


def format_option(*choices: str, default: str = "text"):
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help="Output format.")


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` on stderr and exit; used at the edge for library errors."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


state_option = click.option(
    "--state", "state_url", metavar="URL", default=None,
    help="State URL: sqlite:///PATH or postgresql://USER@HOST:PORT/DB (password from PGPASSWORD or "
         "~/.pgpass); default $PROVISIONER_STATE, else .provisioner/<org-id>.db.",
)


cache_option = click.option(
    "--cache", "cache_dir", metavar="DIR", default=None, envvar="PROVISIONER_CACHE", type=click.Path(),
    help="Keep what is read of each YAML file in DIR, keyed by its exact bytes, so the next run reads only "
         "the files that changed. Never changes a result, safe to delete; apply never reads it. "
         "Default $PROVISIONER_CACHE, else none.",
)


def read_cache(folder: str | None):
    """The read cache in `folder` (readcache.py), or None."""
    if not folder:
        return None
    from ..readcache import ReadCache

    return ReadCache(folder)


def warn_about(cache) -> None:
    """Say on stderr that the read cache could not be written (the run itself is unaffected)."""
    if cache is not None and cache.problem:
        click.echo(f"warning: the read cache was not written ({cache.problem}); the next run will read "
                   "these files again", err=True)


def org_folder(org: str | None) -> str | None:
    """ORG as a folder (whose anchor is checked and written), None when it is an org id."""
    from pathlib import Path

    return org if org and Path(org).is_dir() else None


def org_id_of(target: str | None) -> str | None:
    """An org id from an org folder (its Organization document) or as given."""
    from pathlib import Path

    from ..pipeline import validate

    if target is None:
        return None
    if Path(target).is_dir():
        result = validate(target, rules=False)
        if result.org is None:
            fail(f"{target} has no valid Organization document; run `provisioner validate {target}`")
        return result.org.id
    from ..identifiers import spoofing_problem

    if not _PLAIN_ID.fullmatch(target):  # never let "org\n" or "../x" name a state file
        why = spoofing_problem(target, ascii_only=True) or "ids are lower-case letters, digits and hyphens"
        fail(f"{target!r} is neither an org folder nor a plain org id (ID001): {why}")
    return target


_PLAIN_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


def open_backend(org_id: str | None, url: str | None, create: bool = True, missing_ok: bool = False):
    """Open the state, turning state problems into CLI errors. With `missing_ok`, a state
    database that does not exist yet gives None instead of being created."""
    from pathlib import Path

    from ..state import STATE_DIR, NoState, StateError, open_state

    if org_id is None and url is None and not os.environ.get("PROVISIONER_STATE"):
        found = sorted(Path(STATE_DIR).glob("*.db"))
        if len(found) == 1:
            url = f"sqlite:///{found[0]}"
    try:
        if missing_ok:
            try:
                return open_state(org_id, url, create=False)
            except NoState:
                return None
        return open_state(org_id, url, create=create)
    except StateError as exc:
        fail(str(exc))


def anchor_head(folder, org: str, lineage: str, head: dict | None) -> None:
    """Print the new audit head and record it in the org's anchor file (commit that file)."""
    from ..state import StateError
    from ..state.anchor import write_anchor

    if head is None:
        return
    click.echo(f"Audit head: commit {head['commit']} (its {head['mac_alg']} {head['mac']}), audit row {head['audit_seq']}")
    try:
        path = write_anchor(folder, org, lineage, head)
    except StateError as exc:
        click.echo(f"warning: the state was written, but {exc}; record the head above by hand", err=True)
        return
    click.echo(f"Anchored in {path}: commit it with the config so `provisioner state verify` can check the state.")


def echo_or_write(text: str, out) -> bool:
    """Print `text`, or write it to the file `out` (a CLI error if it cannot be written);
    True when it was written to a file."""
    from pathlib import Path

    if out is None:
        click.echo(text, nl=False)
        return False
    from ..privatefile import write_private

    try:
        write_private(Path(out), text)  # a report or review sheet holds personal data
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    return True
