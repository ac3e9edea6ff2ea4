"""`provisioner evidence`: write an evidence bundle for a sample of people, and verify one
offline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from ..canonical import loads as strict_loads
from ..orgfiles import Refused, read_file
from ..privatefile import write_private
from ..report import evidence as ev
from ..report.bundlecheck import read_anchor, verify_bundle
from ..report.inputs import sources_for
from ..state import decoded
from ..state.anchor import ANCHOR_MAX_BYTES
from .auditing import DefaultGroup, load_org, no_git_option, read_state, unknown_people
from .common import fail, state_option

ANCHOR_IN_ORG = Path(".audit") / "state-anchor.json"  # written beside the org at each apply
README = """# Evidence bundle

One file per person under people/ (Markdown to read, JSON for tools): the chain request ->
approval -> plan -> apply -> delivery -> review -> removal, with commits, plan digests and
the audit rows with their hashes. {chain} holds every row of the audit log; the anchor in
{manifest} is the log's head (row and hash) when the bundle was written. Check it offline:

    provisioner evidence verify DIR [--anchor ANCHOR.json]
"""


@click.group("evidence", cls=DefaultGroup)
def evidence_group() -> None:
    """Evidence bundles for an auditor's sample. `provisioner evidence ORG_DIR PERSON…`
    is `provisioner evidence collect ORG_DIR PERSON…`.

    \b
    Examples:
      provisioner evidence orgs/riverside-health maria-lopez linda-sato --out evidence/2026-q4
      provisioner evidence verify evidence/2026-q4
    """


@evidence_group.command("collect")
@click.argument("org_dir", type=click.Path(file_okay=False, dir_okay=True))
@click.argument("people", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write (created; must be empty).")
@state_option
@no_git_option
def evidence_collect(org_dir, people, out, state_url, no_git) -> None:
    """Write the evidence of PEOPLE (person ids of ORG_DIR) into --out, with the whole
    audit chain, its anchor and a manifest of file digests.

    \b
    Example:
      provisioner evidence collect orgs/riverside-health maria-lopez --out evidence/maria
    """
    validation = load_org(org_dir)
    unknown_people(validation, people)
    folder = Path(out)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        fail(f"{folder} exists and is not an empty folder; choose a new --out")
    backend = read_state(validation.org.id, state_url, verified=False)  # verified below, its own way
    if backend is None:
        fail(f"nothing has been applied for {validation.org.id} yet (no state): there is no evidence to collect")
    try:
        broken = backend.verify()
        if broken:
            fail(f"the state's audit log does not verify ({broken[0]}); run `provisioner state verify`")
        src = sources_for(validation, backend, git=not no_git)
        rows, resources, ops = backend.audit(), decoded(backend.read().resources), backend.operations()
    finally:
        backend.close()
    now = dt.datetime.now(dt.timezone.utc)
    files: dict[str, bytes] = {ev.CHAIN_FILE: ev.chain_lines(rows).encode("utf-8"),
                               "README.md": README.format(chain=ev.CHAIN_FILE, manifest=ev.MANIFEST).encode()}
    people = list(dict.fromkeys(people))
    for pid in people:
        e = ev.person_evidence(validation.org, pid, src, rows, resources, ops, now)
        files[f"people/{pid}.json"] = (json.dumps(e, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        files[f"people/{pid}.md"] = ev.person_markdown(e).encode("utf-8")
    anchor = {"seq": rows[-1].seq, "hash": rows[-1].hash, "source": "state"} if rows else {}
    man = ev.manifest(validation.org, people, files, anchor, src.state, now.isoformat(timespec="seconds"))
    files[ev.MANIFEST] = (json.dumps(man, indent=2) + "\n").encode("utf-8")
    try:
        for name, data in files.items():  # owner-only: the bundle holds people's rights
            write_private(folder / name, data)
    except OSError as exc:
        fail(f"cannot write {folder}: {exc.strerror or exc}")
    click.echo(f"wrote {folder}: {len(people)} people, {len(rows)} audit rows, anchor row {anchor.get('seq')}")


@evidence_group.command("verify")
@click.argument("bundle", type=click.Path(file_okay=False))
@click.option("--anchor", "anchor_file", type=click.Path(), default=None,
              help="Check the chain ends at this anchor instead of the bundle's own: a JSON file with seq "
              "and hash, the state-anchor file, or an org folder holding .audit/state-anchor.json.")
def evidence_verify(bundle, anchor_file) -> None:
    """Check an evidence BUNDLE offline: files match the manifest, the audit rows chain
    (every hash recomputed), the chain ends at the anchor, and each person's cited rows
    are in it. Exit 1 naming every problem.

    \b
    Example:
      provisioner evidence verify evidence/2026-q4 --anchor anchors/riverside-health.json
    """
    root = Path(bundle)
    if not root.is_dir():
        fail(f"{bundle} is not a folder")
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    anchor = None
    if anchor_file:
        path = Path(anchor_file)
        if path.is_dir():  # an org folder: the anchor file apply writes beside it
            path = path / ANCHOR_IN_ORG
        try:
            lineage = (json.loads(files.get(ev.MANIFEST, b"{}")).get("state") or {}).get("lineage")
        except (ValueError, AttributeError):
            lineage = None
        try:  # a regular file, bounded (never waiting on a FIFO), read strictly: NaN and Infinity are
            # no JSON, and nesting ends where the decoder's does
            anchor = read_anchor(strict_loads(read_file(path, ANCHOR_MAX_BYTES).decode("utf-8")), lineage)
        except RecursionError:
            fail(f"cannot read the anchor {path}: nested too deep to be an anchor")
        except (Refused, OSError, ValueError, AttributeError, TypeError) as exc:
            fail(f"cannot read the anchor {path}: {exc}")
        if not anchor:
            fail(f"{path} holds no anchor (seq and hash) for this bundle's state")
    problems, facts = verify_bundle(files, anchor)
    if problems:
        for p in problems:
            click.echo(f"error: {bundle}: {p}", err=True)
        raise SystemExit(1)
    a = facts["anchor"]
    after = facts["last"] - a["seq"]
    beyond = f"; {after} later row(s) are past this anchor, vouched for by their chain only" if after > 0 else ""
    click.echo(f"bundle verified: {facts['people']} people, {facts['rows']} audit rows chained to the anchor "
               f"(row {a['seq']}, {a['hash'][:16]}…){beyond}; every file matches the manifest")
