"""Check every document against the JSON Schema of its kind and turn schema errors into
findings at the offending value, with the allowed values or a "did you mean".

Knows the `kind:` dispatch and how to explain jsonschema's errors; not the domain rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Container, Iterable

import fastjsonschema

try:
    import jsonschema_rs
except ImportError:  # pragma: no cover - a platform without its wheel: fastjsonschema answers alone
    jsonschema_rs = None

from .diagnostics import Diagnostic, Origin, error
from .identifiers import spoofing_problem
from .locate import Locator
from .vocabulary import KINDS
from .yamlsource import Document

# schemas/ of a checkout; an installed provisioner (a wheel, the pre-commit hook's venv)
# carries the same files as provisioner/schemas/ (pyproject.toml).
_INSTALLED_SCHEMAS = Path(__file__).resolve().parent / "schemas"
SCHEMA_DIR = _INSTALLED_SCHEMAS if _INSTALLED_SCHEMAS.is_dir() else Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_FILES = {
    "Organization": "organization.schema.json",
    "Office": "office.schema.json",
    "Person": "person.schema.json",
    "Group": "group.schema.json",
    "InsurancePlan": "insurance-plan.schema.json",
    "Waiver": "waiver.schema.json",
    "Target": "target.schema.json",
}


@lru_cache(maxsize=None)
def schema_file(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def schema_of(kind: str) -> dict:
    return schema_file(SCHEMA_FILES[kind])


@lru_cache(maxsize=None)
def validator_of(kind: str):
    """The reference validator (jsonschema's Draft202012Validator): slow, but its errors carry
    paths and the failing keyword. Imported on first use: valid orgs never need it."""
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema_of(kind), format_checker=FormatChecker())


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _is_date(text: object) -> bool:
    """The `date` format as jsonschema's FormatChecker reads it: YYYY-MM-DD in ASCII digits,
    a day the calendar has (`date.fromisoformat` alone also takes `20260105`, `2026-W02-1`)."""
    if not isinstance(text, str):
        return True
    if _DATE.fullmatch(text) is None:
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=None)
def compiled_validator(name: str, part: tuple[str, ...] = ()) -> Callable[[Any], bool]:
    """`valid(document) -> bool` for the schema file `name` (or the subschema at the keys
    `part` within it, which must not refer elsewhere): the common case, a valid document,
    some 20x faster than jsonschema.

    It only answers valid / not valid; any document it rejects is explained by the reference
    validator, so it must never accept what the reference rejects (rejecting more only costs
    time). jsonschema-rs (Rust) answers where it can take the document, fastjsonschema
    (Python compiled from the schema) where it cannot (a string with a lone surrogate, which
    a saved plan's JSON may hold; a value that is not JSON, such as a date) or without its
    wheel. Both check the formats as
    FormatChecker does (`_is_date`), jsonschema-rs the patterns as Python's `re` reads them or
    more strictly (`_as_python_reads`); fastjsonschema speaks draft-07, and the schemas use no
    keyword whose meaning differs between draft-07 and 2020-12. The documents are what the
    YAML and JSON readers make (dicts, lists, str, bool, int, float, None): other Python
    types (Decimal, Enum, tuple) are not read the same by all three.
    """
    schema = schema_file(name)
    for key in part:
        schema = schema[key]
    formats = {"date": _is_date, "email": lambda text: "@" in text}
    fallback: list[Callable[[Any], bool]] = []

    def python(document: Any) -> bool:
        if not fallback:
            fallback.append(_compiled_python(schema, formats))
        return fallback[0](document)

    if jsonschema_rs is None:
        return python
    try:
        rust = jsonschema_rs.validator_for(_as_python_reads(schema), validate_formats=True, formats=formats).is_valid
    except Exception:  # noqa: BLE001 - a schema it cannot build (a pattern Rust cannot read): Python answers
        return python

    def valid(document: Any) -> bool:
        try:
            return rust(document)
        except Exception:  # noqa: BLE001 - a value it cannot take as JSON: fastjsonschema answers
            return python(document)

    return valid


def _compiled_python(schema: dict, formats: dict) -> Callable[[Any], bool]:
    schema = copy.deepcopy(schema)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    check = fastjsonschema.compile(schema, formats=formats)

    def valid(document: Any) -> bool:
        try:
            check(document)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return valid


@lru_cache(maxsize=1)
def _python_space() -> str:
    """What `\\s` matches in Python's `re` (a str pattern), as escapes for a character class:
    Unicode's white space and the information separators U+001C to U+001F, which Rust's
    `\\s` leaves out."""
    return "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x10000)) if re.fullmatch(r"\s", c))


def _python_pattern(pattern: str) -> str:
    """`pattern` as jsonschema-rs must be given it to match what Python's `re.search` matches,
    or less: `\\s` spelled out as Python's set (Rust's leaves out U+001C to U+001F), `\\d`
    as ASCII digits (Python's takes the digits of every script in its Unicode version, and
    Rust's of a newer one: the schemas' digits are ASCII, checked again by `_is_date`), and a
    final `$` (which Python also matches before a final line break) as `\\n?$`. The schemas'
    other constructs (classes of `\\uXXXX`, look-arounds, `$(?!\\n)`) read alike in both;
    `tests/test_schemacheck.py` holds every pattern of the schemas to `re`'s verdict on every
    character, put in and put in place of another."""
    out, i, inside = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            pair = pattern[i:i + 2]
            if pair == "\\s":
                pair = _python_space() if inside else f"[{_python_space()}]"
            elif pair == "\\d":
                pair = "0-9" if inside else "[0-9]"
            out.append(pair)
            i += 2
            continue
        if c == "[" and not inside:
            inside = True
        elif c == "]" and inside:
            inside = False
        out.append(c)
        i += 1
    text = "".join(out)
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1] + "\\n?$"
    return text


def _as_python_reads(node: Any) -> Any:
    """The schema with every pattern rewritten by `_python_pattern`."""
    if isinstance(node, dict):
        return {k: _python_pattern(v) if k == "pattern" and isinstance(v, str) else _as_python_reads(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_as_python_reads(v) for v in node]
    return node


def _valid(kind: str, data: dict) -> bool:
    return compiled_validator(SCHEMA_FILES[kind])(data)


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    if not isinstance(word, str):
        return ""
    options = [c for c in choices if isinstance(c, str)]
    if len(options) > 1000:  # keep suggestions cheap on large orgs: compare like with like
        options = [c for c in options if c[:2].lower() == word[:2].lower() and abs(len(c) - len(word)) <= 3]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        close = [c for c in options if c.lower() == word.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _printable(text: str) -> str:
    """`text` with line breaks, invisible and control characters escaped (`\\n`, `\\u200b`)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def subject_of(data: dict) -> str | None:
    ident = data.get("id")
    if isinstance(ident, str):
        return _printable(ident)
    if data.get("kind") == "Waiver" and isinstance(data.get("rule"), str):
        return _printable(f"waiver {data.get('rule')} {data.get('subject')}")
    return None


def check_documents(documents: list[Document], locator: Locator,
                    known_valid: Container[str] = ()) -> tuple[list[Document], list[Diagnostic]]:
    """Return the documents that passed (safe to model) and the findings of those that did
    not. The documents of the files in `known_valid` passed already (`passes`, where they
    were read)."""
    passed: list[Document] = []
    problems: list[Diagnostic] = []
    for doc in documents:
        if doc.file in known_valid:
            passed.append(doc)
            continue
        found = list(_check(doc, locator))
        problems.extend(found)
        if not found:
            passed.append(doc)
    return passed, problems


def passes(data: Any) -> bool:
    """Whether a document of value `data` passes its checks: `check_documents` would find
    nothing in it (it is a mapping of a known `kind:` that its schema accepts)."""
    if type(data) is not dict:
        return False
    kind = data.get("kind")
    return type(kind) is str and kind in SCHEMA_FILES and _valid(kind, data)


def _check(doc: Document, locator: Locator):
    origin = Origin(doc.file, doc.index, ())
    data = doc.data
    if not isinstance(data, dict):
        yield error("DOC001", "a document must be a mapping that starts with `kind:`", origin=origin)
        return
    kind = data.get("kind")
    if kind is None:
        yield error("DOC001", f"document has no `kind:`; one of: {', '.join(KINDS)}", origin=origin)
        return
    if not isinstance(kind, str):
        shown = {list: "a list", dict: "a mapping", bool: "a boolean"}.get(type(kind), "a number")
        yield error("DOC002", f"`kind:` must be text, not {shown}; one of: {', '.join(KINDS)}",
                    origin=origin.at("kind"))
        return
    if kind not in SCHEMA_FILES:
        yield error("DOC002", f"unknown kind {kind!r}{did_you_mean(kind, KINDS)}; one of: {', '.join(KINDS)}",
                    origin=origin.at("kind"))
        return
    if _valid(kind, data):
        return
    subject = subject_of(data)
    errors = sorted(validator_of(kind).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    told: set[tuple] = set()
    for err in errors:
        # One mistake, one error: a value that breaks both its pattern and its format (a date
        # written 2026-1-5) is reported once.
        if err.validator in _ONE_PER_VALUE:
            at = tuple(err.absolute_path)
            if at in told:
                continue
            told.add(at)
        yield from _explain(err, doc, kind, subject, origin, locator)


_ONE_PER_VALUE = ("pattern", "format", "type", "enum", "const")


def _explain(err, doc: Document, kind: str, subject, origin: Origin, locator: Locator):
    path = tuple(err.absolute_path)
    at = origin.at(*path)
    where = _field_name(path)
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(err.schema.get("properties", {}))
        for extra in err.instance:
            if extra not in allowed:
                yield error("SCHEMA001",
                            f"unknown field {extra!r} in {where or kind}{did_you_mean(extra, allowed)}; "
                            f"allowed: {', '.join(allowed)}",
                            origin=at.at(extra), subject=subject, key=True)
        return
    if v in ("oneOf", "anyOf") and err.context:
        if kind == "Person" and not path and v == "anyOf":
            yield error("SCHEMA001", "a Person needs `account_type` or a role `template`",
                        origin=at, subject=subject)
            return
        spoof = next((s for s in map(lambda sub: _spoofed(sub, where), err.context) if s), None)
        if spoof:
            yield error(*spoof, origin=at, subject=subject)
            return
        choices = _consts(err.schema)
        if isinstance(err.instance, str) and choices:
            subs = err.schema.get("oneOf", []) + err.schema.get("anyOf", [])
            kinds = [_JSON_TYPES[sub["type"]] for sub in subs if isinstance(sub.get("type"), str)]
            allowed = " or ".join(kinds + [repr(c) for c in choices])
            yield error("SCHEMA001", f"{err.instance!r} is not allowed for {where}"
                        f"{did_you_mean(err.instance, choices)}; expected {allowed}",
                        origin=at, subject=subject)
            return
        deepest = max(err.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) <= len(err.absolute_path):
            from jsonschema.exceptions import best_match

            deepest = best_match(err.context)
        yield from _explain(deepest, doc, kind, subject, origin, locator)
        return
    spoof = _spoofed(err, where)
    if spoof:
        yield error(*spoof, origin=at, subject=subject)
        return
    yield error("SCHEMA001", _message(err, where or kind, doc, locator), origin=at, subject=subject)


def _is_email_field(where: str) -> bool:
    return where.endswith(("email", "approved_by"))


def _spoofed(err, where: str) -> tuple[str, str] | None:
    """ID001 / EMAIL001 for an id or address that breaks its pattern because of surrounding
    whitespace, a line break, an invisible or bidi character, or a look-alike letter."""
    if err.validator != "pattern" or not isinstance(err.instance, str):
        return None
    is_id = err.validator_value.startswith(("^[a-z0-9]", "^([a-z0-9]", "^[a-z][a-z_]")) or where == "subject"
    if not (is_id or _is_email_field(where)):
        return None
    email = _is_email_field(where) or (is_id and "@" in err.instance)
    problem = spoofing_problem(err.instance, ascii_only=not email)
    if problem is None:
        return None
    if email:
        return "EMAIL001", (f"{err.instance!r} is not a plain e-mail address ({where}): {problem}; an address "
                            "never carries spaces, line breaks or invisible characters")
    return "ID001", (f"{err.instance!r} is not a plain identifier ({where}): {problem}; ids are lower-case "
                     "letters, digits and hyphens, with nothing around them")


def _field_name(path: tuple) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")


def _consts(schema: dict) -> list:
    out = []
    for sub in schema.get("oneOf", []) + schema.get("anyOf", []):
        if "const" in sub:
            out.append(sub["const"])
        out.extend(sub.get("enum", []))
    return out


_JSON_TYPES = {"string": "text", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "array": "a list", "object": "a mapping", "null": "null"}


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _message(err, where: str, doc: Document, locator: Locator) -> str:
    v, value = err.validator, err.instance
    name = where or "document"
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"missing required field {missing!r} in {name}"
    if v == "enum":
        allowed = err.validator_value
        shown = ", ".join("null" if a is None else str(a) for a in allowed)
        return f"{_describe_value(value)} is not allowed for {name}{did_you_mean(value, allowed)}; allowed: {shown}"
    if v == "const":
        return f"{name} must be {err.validator_value!r}, not {_describe_value(value)}"
    if v == "type":
        expected = err.validator_value
        expected = expected if isinstance(expected, str) else expected[0]
        raw, plain = locator.raw(doc.file, doc.index, err.absolute_path)
        text = f"{name} must be {_JSON_TYPES.get(expected, expected)}, not {_describe_value(value)}"
        if expected == "string" and plain and raw is not None:
            text += f": YAML read the unquoted `{raw}` as {_describe_value(value)}; quote it: \"{raw}\""
        return text
    if v == "format":
        fmt = err.validator_value
        hint = {"date": "a calendar date written YYYY-MM-DD", "email": "an e-mail address"}.get(fmt, fmt)
        return f"{value!r} is not {hint} ({name})"
    if v == "pattern":
        if name.endswith("npi"):
            return f"{value!r} is not an NPI: 10 digits, written in quotes (GOV001)"
        if name.endswith("date") or name.endswith("_on") or name in ("go_live", "expires"):
            return f"{value!r} is not a date written YYYY-MM-DD ({name})"
        if name.endswith("email") or name.endswith("approved_by"):
            return f"{value!r} is not an e-mail address ({name})"
        if err.validator_value.startswith("^[^\\u0000"):  # a display name (see the schemas' `name`)
            return (f"{value!r}: a {name} holds no control characters, line breaks or bidirectional overrides "
                    "(they would forge lines in plans, pull-request comments and terminals)")
        return f"{value!r} is not a valid {name}: lower-case letters, digits and hyphens" \
            if err.validator_value.startswith("^[a-z0-9]") else f"{value!r} does not have the form of {name}"
    if v == "uniqueItems":
        return f"{name} lists the same value twice"
    if v == "minItems":
        return f"{name} needs at least {err.validator_value} item(s)"
    return f"{name}: {err.message}"
