"""The saved plan: a versioned JSON document, its checksum, and the config digest.

The document is what renderers and apply read; nothing else crosses from plan to apply.
Its checksum covers every field but itself, so an edited file is refused; the config
digest pins the org folder the plan was made from. Plans never hold secrets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Iterable

from ..limits import MAX_INT_DIGITS, MAX_NESTING, MAX_PLAN_BYTES
from ..canonical import canonical_bytes, canonical_each, compact_each
from ..state.backend import StateError

FORMAT_VERSION = "1"


class PlanFileError(StateError):
    """A saved plan that cannot be applied; the message says to plan again."""


def config_digest(root: str | Path, bounded: bool = False) -> str:
    """sha256 over exactly the files the loader reads (YAML and templates): sorted paths and
    bytes. A README or notes file beside them does not make a plan stale. `bounded`: a
    folder that only a plan file names (it could name `/`) is walked for at most
    MAX_ORG_ENTRIES entries and MAX_ORG_BYTES of YAML, else orgfiles.TooLarge."""
    from ..limits import MAX_ORG_BYTES, MAX_ORG_ENTRIES
    from ..orgfiles import Refused, TooLarge, read_file, walk

    root = Path(root)
    h = hashlib.sha256()
    plain, templates, refused = walk(root, MAX_ORG_ENTRIES if bounded else None)
    files = sorted(plain + templates)
    total = 0
    for path in files:
        try:
            data = read_file(path)
        except Refused as exc:  # such a folder does not validate; the digest only has to differ
            data = f"\0refused: {exc}".encode()
        total += len(data)
        if bounded and total > MAX_ORG_BYTES:
            raise TooLarge(f"more than {MAX_ORG_BYTES:,} bytes of YAML")
        rel = path.relative_to(root).as_posix().encode("utf-8")
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return "sha256:" + h.hexdigest()


def checksum(document: dict, changes: Iterable[str] | None = None) -> str:
    """sha256 of the canonical JSON of every field but the checksum, hashed a piece at a time
    (a field, or one element of a list): the same bytes as `canonical(body)`, never all of
    them in memory at once (a 100,000-person plan's canonical text is some 200 MB).
    `changes`: the canonical texts of the changes (UTF-8 encoded), in order, hashed in place
    of the document's (a saved plan read a piece at a time, `savedplan.py`)."""
    h = hashlib.sha256()
    update = h.update
    update(b"{")
    keys = sorted(k for k in document if k != "checksum")
    for n, key in enumerate(keys):
        value = document[key]
        update((b"," if n else b"") + canonical_bytes(key) + b":")
        if key == "changes" and changes is not None:
            _hash_list(update, changes)
        elif type(value) is list:
            _hash_list(update, canonical_each(value))
        else:
            update(canonical_bytes(value))
    update(b"}")
    return "sha256:" + h.hexdigest()


def _hash_list(update, texts: Iterable[bytes]) -> None:
    update(b"[")
    for i, text in enumerate(texts):
        update(b"," + text if i else text)
    update(b"]")


def seal(document: dict) -> dict:
    document = dict(document)
    document["checksum"] = checksum(document)
    return document


_ONE = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False)


def iter_dumps(document: dict):
    """The document as JSON with one line per top-level field and one line per change or
    finding: greppable and diff-friendly. Each change or finding is one compact line (no
    spaces, its keys in their order), written by orjson where that is the standard
    library's text (canonical.py): a 100,000-change plan in a third of the time. In pieces
    of about a thousand lines, so that the whole text is never in memory."""
    one = _ONE
    yield b"{\n"
    for n, (key, value) in enumerate(document.items()):
        head = ",\n" if n else ""
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            yield f"{head}  {one(key)}: [\n".encode()
            for start in range(0, len(value), 1000):
                rows = b"    " + b",\n    ".join(compact_each(value[start:start + 1000]))
                yield (b"" if start == 0 else b",\n") + rows
            yield b"\n  ]"
        else:
            yield f"{head}  {one(key)}: {one(value)}".encode()
    yield b"\n}\n"


def dumps(document: dict) -> str:
    return b"".join(iter_dumps(document)).decode("utf-8")


def write_plan(document: dict, path: str | Path) -> None:
    """Write the plan whole or not at all, owner-only (0600; a folder made for it 0700)
    whatever the umask, as it holds people's names, e-mails and rights: a temporary file
    beside it, renamed over it; on any failure (disk full, read-only, no such folder)
    nothing is left behind."""
    from ..privatefile import replace_private

    path = Path(path)
    try:
        replace_private(path, iter_dumps(document))  # never through a link planted at its temporary name
    except BaseException as exc:  # a full disk, a read-only folder, Ctrl-C: no partial file stays
        if not isinstance(exc, OSError):
            raise
        reason = (exc.strerror or str(exc)).lower()
        raise PlanFileError(f"cannot write the plan to {path}: {reason}; nothing was saved") from None


def too_deep_or_compacted(document, limit: int = MAX_NESTING, compact: bool = True) -> bool:
    """Whether the decoded plan nests deeper than `limit`, walking it a level at a time
    (no recursion, no work for scalars); on the way, with `compact`, every short string is
    interned (a 100,000-person plan repeats `person`, `create`, office ids and permission
    names hundreds of thousands of times: one string each saves a quarter of its memory)."""
    level = [document] if isinstance(document, (dict, list)) else []
    depth = 0
    intern = sys.intern
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        add = below.append
        for item in level:
            pairs = item.items() if type(item) is dict else enumerate(item)
            for key, child in pairs:
                kind = type(child)
                if kind is str:
                    if compact and len(child) < 24:
                        item[key] = intern(child)
                elif kind is dict or kind is list:
                    add(child)
        level = below
    return False


def refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a plan holds")


def bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def read_bytes(path: str | Path) -> bytes:
    """The plan file's bytes (a regular file, at most MAX_PLAN_BYTES), or PlanFileError."""
    from ..orgfiles import Refused, read_file

    if not Path(path).exists() and not Path(path).is_symlink():
        raise PlanFileError(f"no plan file at {path}")
    try:
        return read_file(Path(path), MAX_PLAN_BYTES)
    except Refused as exc:
        if "broken symlink" in str(exc) or "no such file" in str(exc):
            raise PlanFileError(f"no plan file at {path}") from None
        raise PlanFileError(f"cannot read the plan file {path}: {exc}") from None


def loads(text: str):
    """JSON with a plan's bounds on numbers (NaN and Infinity refused, at most MAX_INT_DIGITS
    digits); RecursionError past the interpreter's nesting limit."""
    return json.loads(text, parse_int=bounded_int, parse_float=finite_float, parse_constant=refuse_constant)


def _read_text(path: str | Path) -> str:
    return _decode(read_bytes(path), path)


def _decode(data: bytes, path: str | Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{path} is not a plan file (not UTF-8: {exc.reason} at byte {exc.start}); run "
                            "`provisioner plan --out` again") from None


def read_plan(path: str | Path, data: bytes | None = None) -> dict:
    """Load a saved plan and check it is intact (format version and checksum). Bounded before
    anything recursive runs: size, nesting, number length; NaN and Infinity are refused.
    `data`: the file's bytes, read already by `read_bytes`."""
    text = _read_text(path) if data is None else _decode(data, path)
    try:
        document = loads(text)
    except RecursionError:
        document = None
        problem = f"nested more than {MAX_NESTING} levels deep"
    except (json.JSONDecodeError, ValueError) as exc:
        raise PlanFileError(f"{path} is not a plan file (not JSON: {exc}); run `provisioner plan --out` "
                            "again") from None
    else:
        problem = f"nested more than {MAX_NESTING} levels deep" if too_deep_or_compacted(document) else None
    if problem:
        raise PlanFileError(f"{path} is not a plan file ({problem}); run `provisioner plan --out` again")
    check_structure(document, str(path))
    check_document(document, str(path))
    return document


def check_structure(document, name: str) -> None:
    """The document has the shape of schemas/plan.schema.json (else it is no plan of ours)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from ..schemacheck import compiled_validator, schema_file

    if compiled_validator("plan.schema.json")(document):  # fast path; jsonschema explains failures
        return
    schema = schema_file("plan.schema.json")
    problem = best_match(Draft202012Validator(schema).iter_errors(document))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "the top level"
        raise PlanFileError(f"{name} is not a provisioner plan: at {where}: {problem.message}{_made_by(document)}; "
                            "run `provisioner plan --out` again")


def _made_by(document) -> str:
    """Which provisioner made a plan this one cannot read, when it is another."""
    from .. import __version__

    made_by = document.get("tool") if isinstance(document, dict) else None
    ours = f"provisioner {__version__}"
    if not isinstance(made_by, str) or made_by == ours:
        return ""
    return f" (it was made by {made_by[:60]!r}, this is {ours}: plan and apply with the same version)"


def check_document(document: dict, name: str = "the plan", checksum_checked: bool = False) -> None:
    if not isinstance(document, dict) or "format_version" not in document:
        raise PlanFileError(f"{name} is not a provisioner plan; run `provisioner plan --out` again")
    if document["format_version"] != FORMAT_VERSION:
        raise PlanFileError(f"{name} has plan format {document['format_version']!r}, this provisioner reads "
                            f"{FORMAT_VERSION!r}; run `provisioner plan` again")
    if not checksum_checked:
        try:
            intact = document.get("checksum") == checksum(document)
        except UnicodeEncodeError:  # JSON can spell a lone surrogate (`\ud800`), which no text holds
            raise PlanFileError(f"{name} is not a plan file (it holds a lone surrogate escape such as \\ud800, "
                                "which is not text); run `provisioner plan --out` again") from None
        if not intact:
            raise PlanFileError(f"{name} was altered after it was made (checksum mismatch); it will not be "
                                "applied: run `provisioner plan` again")
    if not is_date(document.get("today")):  # a re-sealed plan can say anything: refused before any state
        raise PlanFileError(f"{name} is not a provisioner plan: its today {document.get('today')!r} is not a "
                            "date (YYYY-MM-DD); run `provisioner plan --out` again")


def is_date(value) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return type(value) is str
