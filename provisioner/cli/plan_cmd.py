"""`provisioner plan` and `provisioner show`: compute a plan against the state, save it,
render it."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

import click

from .. import collector
from ..pipeline import validate
from ..plan import make_plan, write_plan
from ..plan.statecheck import StateCheck, early_child
from ..plan.lifecycle import expired_invitations
from ..plan.planfile import PlanFileError, seal
from ..plan.savedplan import read_for_show
from ..reporters import render_github as render_github_diagnostics
from ..reporters import render_json as render_json_diagnostics
from ..reporters import render_text as render_diagnostics
from ..state import NoState, Snapshot, StateError, open_state, redact, where
from ..state import state_url as resolve_state_url
from .common import cache_option, fail, format_option, read_cache, state_option, today_option, use_colour, warn_about
from .plantext import echo_plan, rendered_beside


def _show_findings(diagnostics, lines, fmt: str) -> None:
    if fmt == "github":
        click.echo(render_github_diagnostics(diagnostics), nl=False)
    elif fmt == "json":
        click.echo(render_json_diagnostics(diagnostics), nl=False)
    else:
        click.echo(render_diagnostics(diagnostics, lines=lines, colour=use_colour()), nl=False)


def check_lost_state(org_dir, path, refuse: bool) -> None:
    """No database where the state should be, yet the org's anchor says it was applied: a
    lost or misplaced state. Planning says so; applying (which would start a new history) refuses."""
    from ..state.anchor import anchor_path, read_anchor

    anchor = read_anchor(org_dir)
    if not anchor or not anchor.get("states"):
        return
    known = ", ".join(f"lineage {l} at serial {e.get('serial')}" for l, e in anchor["states"].items())
    message = (f"there is no state at {path}, but the anchor {anchor_path(org_dir)} records {known}: the state "
               "database was lost or is elsewhere; restore it (or point --state at it)")
    if refuse:
        fail(message + "; nothing was applied")
    click.echo(f"warning: {message}", err=True)


def refusal(planned, validated) -> str:
    """Why a plan is refused; when by errors that `validate` did not give (plan-stage rules,
    judged against the state), it says so, so that the two never disagree silently."""
    known = {(d.code, d.subject) for d in validated if str(d.severity) == "error"}
    new = sorted({d.code for d in planned
                  if str(d.severity) == "error" and not d.waived_by and (d.code, d.subject) not in known})
    if new:
        return (f"the plan is refused by rules checked at plan time, against the state ({', '.join(new)}), which "
                "`provisioner validate` cannot see; fix the errors above and plan again")
    return "the plan is refused; fix the errors above and plan again"


def plan_or_fail(org_dir: str, state_url, today, allow_mass_change: bool, resend_expired: bool,
                 create_state: bool = False, fmt: str = "text", cache=None, sealed: bool = True):
    """Plan `org_dir`; on findings that block it, print them and exit 1 (no traceback).
    `sealed`: the document has its checksum (else the caller seals it: `planfile.seal`).
    Planning never creates a state database (an apply opens one once it is confirmed); a
    state that fails verification is refused, and `create_state` (planning to apply) refuses
    also a lost state and signed commits without the key."""
    with early_child() as early:  # forked while this process is small: it verifies the state later
        return _plan_or_fail(org_dir, state_url, today, allow_mass_change, resend_expired, create_state, fmt, early,
                             cache, sealed)


def _plan_or_fail(org_dir, state_url, today, allow_mass_change, resend_expired, create_state, fmt, early, cache,
                  sealed):
    early.start(state_url, org_dir)  # a large state named by --state is verified while the config is read
    validation = validate(org_dir, today=today, rules_beside=True, cache=cache)  # a large org's rules run while it plans
    warn_about(cache)
    try:
        return _plan_validated(validation, org_dir, state_url, today, allow_mass_change, resend_expired,
                               create_state, fmt, early, sealed)
    finally:
        validation.cancel()  # rules still running beside when the plan was given up


def _plan_validated(validation, org_dir, state_url, today, allow_mass_change, resend_expired, create_state, fmt,
                    early, sealed):
    def config_first() -> None:
        """Errors in the config are reported before anything about the state, as when the
        rules ran first (with them beside, the state is read and planned meanwhile)."""
        if not validation.ok:
            _show_findings(validation.diagnostics, validation.source.lines, fmt)
            fail("the configuration has errors; nothing was planned")

    if not validation.pending:
        config_first()
    try:
        try:
            backend = open_state(validation.org.id, state_url, create=False)  # created only to apply
        except NoState:
            backend = None
    except StateError as exc:
        config_first()
        fail(str(exc))
    checking = None
    try:
        url = resolve_state_url(validation.org.id, state_url)
        checking = StateCheck(backend, org_dir, writing=create_state, early=early) if backend is not None else None
        with checking.around() if checking else nullcontext():  # a state failing verification is refused first
            snapshot = backend.read() if backend is not None else Snapshot(None, 0, {})
            result = make_plan(org_dir, snapshot=snapshot, today=today, validation=validation,
                               allow_mass_change=allow_mass_change, resend_expired=resend_expired,
                               state_url=redact(url), target_info=backend.target_info() if backend is not None else {},
                               pending=backend.pending_accounts() if backend is not None else {}, sealed=sealed)
        config_first()
        if backend is None:  # said once the config is known sound (planned meanwhile: nothing was shown)
            check_lost_state(org_dir, where(url), refuse=create_state)
            click.echo(f"note: no state yet at {where(url)}: planning against an empty state", err=True)
        for warning in checking.warnings() if checking else ():
            click.echo(f"warning: {warning}", err=True)
    except StateError as exc:
        config_first()
        fail(str(exc))
    finally:
        if checking is not None:
            checking.cancel()  # refused for the config, or interrupted: the state's verification stops too
    if not result.ok:
        _show_findings(result.diagnostics, validation.source.lines, fmt)
        fail(refusal(result.diagnostics, validation.diagnostics))
    expired = [] if resend_expired else expired_invitations(snapshot.resources, today or dt.date.today())
    if expired:
        click.echo(f"note: {len(expired)} invitation(s) expired unconfirmed (LIFE007): see `provisioner "
                   "invitations`; re-send them with --resend-expired", err=True)
    return result, backend


def with_refresh(result, backend, allow_mass_change: bool, sealed: bool = True) -> dict:
    """The plan document with a `refresh`: every SCIM target read first, and what brings it
    back to the config (reconcile/refresh.py). A target that cannot be read refuses the plan.
    `sealed`: with its checksum."""
    from ..reconcile.check import refresh_plan

    org = result.validation.org
    document = result.document
    snapshot = backend.read() if backend is not None else Snapshot(None, 0, {})
    with collector.running():  # the targets read, request after request
        refresh, errors = refresh_plan(document, snapshot, org.targets, backend,
                                       today=dt.date.fromisoformat(document["today"]), policy=org.policy,
                                       allow_mass_change=allow_mass_change)
    for e in errors:
        click.echo(f"error: {e}", err=True)
    if errors:
        fail("the refresh could not be planned (above); nothing was planned")
    document = {**document, "refresh": refresh}
    return seal(document) if sealed else document


def refresh_count(document: dict) -> int:
    return sum(len(t["entries"]) for t in (document.get("refresh") or {}).values())


def render_refresh(document: dict, fmt: str) -> str:
    """The refresh part of a plan, after the plan itself (text and Markdown)."""
    refresh = document.get("refresh")
    if refresh is None or fmt == "json":
        return ""
    md = fmt == "markdown"
    lines = ["", "### Targets read just now (--refresh)" if md else "Targets read just now (--refresh):", ""]
    if not refresh:
        return "\n".join(lines + [f"{'- ' if md else '  '}none: this org has no SCIM target to read"]) + "\n"
    for tid, t in refresh.items():
        n = len(t["entries"])
        lines.append(f"{'- ' if md else '  '}{tid}: {t['accounts']} accounts ({t['pages']} pages read): "
                     + (f"{n} to bring back to the config" if n else "holds what the config says"))
        for e in t["entries"]:
            lines.append(f"{'  - ' if md else '    ~ '}{e['action']} {e['key']}: {e['reason']}")
    return "\n".join(lines) + "\n"


@click.command("plan")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Save the plan as JSON to this file, for `provisioner apply FILE`.")
@format_option("text", "markdown", "json", "github")
@state_option
@today_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are, 1 on error.")
@click.option("--allow-mass-change", is_flag=True, help="Allow deactivating more than the policy's mass_change_limit of accounts.")
@click.option("--resend-expired", is_flag=True, help="Re-send invitations that have expired (LIFE007).")
@click.option("--refresh", is_flag=True,
              help="Read the SCIM targets first; the plan then includes what brings them back to the config.")
@cache_option
@collector.paused()  # bulk work: see collector.py
def plan_command(org_dir, out, fmt, state_url, today, detailed_exitcode, allow_mass_change, resend_expired,
                 refresh, cache_dir) -> None:
    """Show what applying ORG_DIR would change in the state, without changing it.

    Computed from the state alone (fast, reproducible offline); with --refresh the SCIM
    targets are read first and the plan also names what brings each back to the config
    (drift undone, accounts never delivered created, each with its reason and date).

    Exits 0 on success (with --detailed-exitcode: 0 no changes, 2 changes), 1 when the
    configuration or the plan has errors.

    \b
    Examples:
      provisioner plan orgs/riverside-health
      provisioner plan orgs/riverside-health --out plans/today.json --today 2026-03-01
      provisioner plan orgs/riverside-health --format markdown   # PR comment
      provisioner plan orgs/riverside-health --refresh --out plans/refresh.json
      provisioner plan orgs/riverside-health --format github     # findings inline on the PR, then the plan
    """
    result, backend = plan_or_fail(org_dir, state_url, today, allow_mass_change, resend_expired, fmt=fmt,
                                   cache=read_cache(cache_dir), sealed=False)
    try:
        unsealed = with_refresh(result, backend, allow_mass_change, sealed=False) if refresh else result.document
    finally:
        if backend is not None:
            backend.close()
    shown = "text" if fmt == "github" else fmt  # github: every finding as an annotation, then the text plan
    # a large text plan is rendered (it shows no checksum) while this process seals and writes the file
    with rendered_beside(unsealed, shown) if out else nullcontext() as rendered:
        document = seal(unsealed)
        if out:
            try:
                write_plan(document, out)
            except PlanFileError as exc:
                fail(str(exc))
        if fmt == "github":
            click.echo(render_github_diagnostics(result.diagnostics), nl=False)
        rendered.echo() if rendered is not None else echo_plan(document, shown)
    fmt = shown
    click.echo(render_refresh(document, fmt), nl=False)
    if out and fmt == "text":
        click.echo(f"\nSaved the plan to {out}. Apply exactly this plan with:\n  provisioner apply {out}")
    raise SystemExit(2 if detailed_exitcode and (result.has_changes or refresh_count(document)) else 0)


@click.command("show")
@click.argument("plan_file", type=click.Path(dir_okay=False))
@format_option("text", "markdown", "json")
def show_command(plan_file, fmt) -> None:
    """Render a saved plan file as text, Markdown (for a PR comment) or JSON.

    \b
    Example:
      provisioner show plans/today.json --format markdown
    """
    try:
        document = read_for_show(plan_file)
    except PlanFileError as exc:
        fail(str(exc))
    echo_plan(document, fmt)
    click.echo(render_refresh(document, fmt), nl=False)  # what apply sends the targets, as `plan` showed it
