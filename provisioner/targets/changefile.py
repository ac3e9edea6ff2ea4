"""Change files for systems without an API: one CSV (and the same rows as JSON) per target
per delivery, in a documented column layout an admin uploads or works through, and the
results file that confirms them. Operations stay pending until confirmed (LIFE007).

A file's name comes from the operations it holds, so writing it again after a crash gives
the same file, never a second one. Cells that a spreadsheet would run as a formula are
written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..identifiers import unprintable_problem
from ..privatefile import replace_private
from .operations import Operation

DEFAULT_FOLDER = "out/changes"
COLUMNS = (
    "operation_id", "created_at", "action", "object", "external_id", "user_name", "display_name", "given_name",
    "family_name", "email", "active", "account_type", "offices", "admin_authorizations", "admin_offices",
    "call_center", "work_queue_chat", "front_office_role", "npi", "specialty", "user_type", "clinics",
    "default_clinic", "permissions", "emr_admin", "person", "members", "retires", "after_operations", "moved_from",
)
_RENAMED = {"admin_authorizations": "admin"}
RESULT_COLUMNS = ("operation_id", "result", "reason")
RESULTS = ("done", "rejected")


class ChangeFileError(Exception):
    """A results file that cannot be read, or a folder that cannot be written."""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def row(op: Operation) -> dict[str, object]:
    p = dict(op.payload)
    out: dict[str, object] = {"operation_id": op.id, "created_at": op.created_at, "action": op.action,
                              "object": op.object}
    for column in COLUMNS[4:-3]:
        out[column] = p.get(_RENAMED.get(column, column))
    taken = op.takes_over.split(".", 1)[1] if op.takes_over else None
    out["retires"] = taken if op.action == "retire" else None
    out["after_operations"] = list(op.depends_on)
    out["moved_from"] = taken if op.action != "retire" else None  # a move, or what superseded one
    return out


def file_name(ops: list[Operation]) -> str:
    return f"changes-{ops[0].id}-to-{ops[-1].id}"


def render(ops: list[Operation]) -> tuple[str, str]:
    """(CSV text, JSON text) of the operations, in order."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = [row(op) for op in ops]
    for r in rows:
        writer.writerow([_cell(r[c]) for c in COLUMNS])
    doc = {"format": "provisioner-changes/1", "columns": list(COLUMNS), "operations": rows}
    return buf.getvalue(), json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    try:
        replace_private(path, (text,), durable=True)
    except OSError as exc:
        raise ChangeFileError(f"cannot write {path}: {exc.strerror or exc}") from None


def _inside(folder: Path, org_dir: Path) -> None:
    """Refuse a change-file folder that is, or passes through, a link (a hidden `.out` linked
    to /tmp, say): change files hold personal data and are written only inside the org folder."""
    try:
        rel = folder.relative_to(org_dir)
    except ValueError:
        raise ChangeFileError(f"cannot write change files to {folder}: not inside the org folder {org_dir}") from None
    here = org_dir
    for part in rel.parts:
        here = here / part
        if part == ".." or here.is_symlink():
            raise ChangeFileError(f"cannot write change files to {folder}: {here} is a link (or `..`); change files "
                                  "are written only inside the org folder: make it a plain folder")


def write(folder: Path, ops: list[Operation], org_dir: Path | None = None) -> Path:
    """Write the CSV and JSON change files of `ops` into `folder` (inside `org_dir`, through
    no link, when given); the CSV's path."""
    if org_dir is not None:
        _inside(folder, Path(org_dir))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ChangeFileError(f"cannot create {folder}: {exc.strerror or exc}") from None
    csv_text, json_text = render(ops)
    name = file_name(ops)
    _write_atomic(folder / (name + ".json"), json_text)
    _write_atomic(folder / (name + ".csv"), csv_text)
    return folder / (name + ".csv")


def read_results(path: Path) -> list[tuple[str, str, str]]:
    """(operation id, done|rejected, reason) per row of a results CSV: the change file with a
    `result` (and for rejections a `reason`) column filled in, or just those three columns."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChangeFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _results(path, reader)
    except csv.Error as exc:  # a field past the csv module's limit (128 KiB), a NUL byte
        raise ChangeFileError(f"{path}:{reader.line_num}: not a results CSV ({exc})") from None


def _results(path: Path, reader) -> list[tuple[str, str, str]]:
    missing = [c for c in ("operation_id", "result") if c not in (reader.fieldnames or ())]
    if missing:
        raise ChangeFileError(f"{path}: no {' or '.join(missing)} column; the columns are "
                              f"{', '.join(RESULT_COLUMNS)}")
    out = []
    for line, r in enumerate(reader, 2):
        op_id, res = (r.get("operation_id") or "").strip().lstrip("'"), (r.get("result") or "").strip().lower()
        if not op_id and not res:
            continue
        if res not in RESULTS:
            raise ChangeFileError(f"{path}:{line}: result {res!r} for operation {op_id}: write done or rejected")
        reason = (r.get("reason") or "").strip()
        problem = unprintable_problem(reason)
        if problem:
            raise ChangeFileError(f"{path}:{line}: the reason for operation {op_id} cannot be recorded: {problem}")
        if res == "rejected" and not reason:
            raise ChangeFileError(f"{path}:{line}: operation {op_id} is rejected without a reason")
        out.append((op_id, res, reason))
    return out


def folder_of(org_dir: Path, settings, target_id: str) -> Path:
    return Path(org_dir) / str(settings.get("folder", DEFAULT_FOLDER)) / target_id

