"""Accounts from a CSV export of a system without an API, in the change-file column layout
(docs/targets.md): each row becomes the SCIM-shaped user the importer reads. Only
`user_name` is required; the other columns are taken when present. A change file itself
reads too: its group rows (`object: group`) are not accounts and are passed over, and a
person's `call_center` is the office id of their call center."""

from __future__ import annotations

import csv
from pathlib import Path

from ..targets import scimjson as sj
from ..targets.changefile import COLUMNS


class CsvImportError(Exception):
    """A CSV that cannot be read as accounts: names the file and line."""


LISTS = ("offices", "admin_authorizations", "admin_offices", "clinics", "permissions")
BOOLS = ("work_queue_chat", "emr_admin")
EXT = {"account_type": "accountType", "offices": "offices", "admin_authorizations": "adminAuthorizations",
       "admin_offices": "adminOffices", "call_center": "callCenter", "work_queue_chat": "workQueueChat",
       "front_office_role": "frontOfficeRole", "npi": "npi", "specialty": "specialty"}


def _value(text: str) -> str:
    text = text.strip()
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text  # the formula guard, undone


def _bool(text: str, where: str, column: str) -> bool:
    low = text.strip().lower()
    if low in ("true", "yes", "1"):
        return True
    if low in ("false", "no", "0"):
        return False
    raise CsvImportError(f"{where}: column {column} is {text!r}; write true or false")


def users_from_csv(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CsvImportError(f"{path}: cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    try:
        return _users(path, reader)
    except csv.Error as exc:  # a field past the csv module's limit (128 KiB), a NUL byte
        raise CsvImportError(f"{path}:{reader.line_num}: not a CSV of accounts ({exc})") from None


def _users(path: Path, reader) -> list[dict]:
    header = reader.fieldnames or []
    if "user_name" not in header:
        raise CsvImportError(f"{path}:1: no user_name column; the columns are the change-file layout: "
                             + ", ".join(COLUMNS))
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise CsvImportError(f"{path}:1: unknown column {', '.join(unknown)}; the change-file layout has "
                             + ", ".join(COLUMNS))
    out = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        cell = {k: _value(v or "") for k, v in row.items() if k}
        if cell.get("object") == "group":  # an office or referral group of a change file: not an account
            continue
        if not cell.get("user_name"):
            raise CsvImportError(f"{where}: user_name is empty")
        user = {"id": f"line-{reader.line_num}", "userName": cell["user_name"],
                "active": _bool(cell.get("active") or "true", where, "active")}
        if cell.get("external_id"):
            user["externalId"] = cell["external_id"]
        if cell.get("display_name"):
            user["displayName"] = cell["display_name"]
        if cell.get("email"):
            user["emails"] = [{"value": cell["email"]}]
        ext = {}
        for column, scim in EXT.items():
            raw = cell.get(column) or ""
            if not raw:
                continue
            ext[scim] = ([v for v in raw.split(";") if v] if column in LISTS
                         else _bool(raw, where, column) if column in BOOLS else raw)
        if ext:
            user[sj.EXTENSION] = ext
        out.append(user)
    return out
