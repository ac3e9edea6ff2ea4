"""Canonical JSON: sorted keys, no whitespace, non-ASCII written as itself. The same value
always gives the same text, which is what every checksum, digest and hash chain here is
taken over (saved plans, state rows, the audit log), so the text is fixed for good: it is
exactly what the standard library's encoder writes with those settings.

Most values are encoded by orjson (Rust), some four times faster, and the result used only
where it is provably that text. orjson writes the JSON data model (dicts with string keys,
lists and tuples, strings, booleans, None, integers of 64 bits and floats) as the standard
library does, but for floats between 1e-10 and 1e-4 (`1e-05` is `0.00001`, `1.5e-07` is
`1.5e-7` there): a text that could hold one is encoded again by the standard library, as is
every value orjson would write its own way (a date, a set, a subclass of str or int, a
string with a lone surrogate, an integer past 64 bits). Two differences are left. NaN and
Infinity are written `null` (the standard library writes `NaN`, which is not JSON): the
config cannot hold them (YAML008), the state and the plan only hold what was encoded from
it, and what is read back to be encoded again (a state's rows, an evidence bundle's) is
decoded by `loads`, which refuses them, as a saved plan's reader does. An Enum member that is neither a str
nor an int is written as its value, not its name: this package has no such Enum.
`tests/test_canonical.py` holds the two encoders to the same text on generated values, the
example orgs' plans and states, and the edges above.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

try:
    import orjson
except ImportError:  # pragma: no cover - a platform without its wheel encodes everything in Python's C encoder
    orjson = None

_STANDARD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode
_STRICT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode

if orjson is not None and orjson.dumps([1e16, 1.5e300, 0.1, 1e22, -0.0]) != b"[1e+16,1.5e+300,0.1,1e+22,-0.0]":
    orjson = None  # pragma: no cover - a release that writes floats its own way (before 3.11.7): not used
if orjson is not None:
    _dumps = orjson.dumps
    _OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATETIME
                | orjson.OPT_PASSTHROUGH_DATACLASS)
# Where orjson's floats part from the standard library's: `0.0000…` (the standard library
# writes 1e-05 to 9.99e-05 with an exponent) and a one-digit negative exponent (`e-7`, not
# `e-07`). A text holding either (or a string that looks like one) is encoded again.
_SMALL_EXPONENT = re.compile(rb"e-\d(?:[,\]}]|\Z)")  # a number ends at `,`, `]`, `}` or the end


class _Declined(TypeError):
    """A value orjson would write differently (or not at all): the standard library encodes it."""


def _decline(value):
    raise _Declined


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


_STRICT_DECODE = json.JSONDecoder(parse_constant=_no_constant).decode  # one decoder, built once


def loads(text: str | bytes):
    """JSON decoded as `json.loads` decodes it, but NaN and Infinity refused (ValueError):
    what is re-encoded canonically is read with this, so that no NaN reaches `canonical`."""
    return _STRICT_DECODE(text.decode("utf-8") if isinstance(text, (bytes, bytearray)) else text)


def _fast(value, options: int | None = None) -> bytes | None:
    """orjson's text, UTF-8 encoded, when it is the standard library's; else None (and
    always None without orjson). `options`: orjson's (sorted keys unless told)."""
    if orjson is None:
        return None
    try:
        out = _dumps(value, default=_decline, option=_OPTIONS if options is None else options)
    except TypeError:  # _Declined, a non-str key, a lone surrogate, an integer past 64 bits
        return None
    if b"0.0000" in out or (b"e-" in out and _SMALL_EXPONENT.search(out)):
        return None
    return out


def canonical(value) -> str:
    """The canonical JSON of `value` (anything else is written as its `str`)."""
    out = _fast(value)
    return out.decode("utf-8") if out is not None else _STANDARD(value)


def canonical_bytes(value) -> bytes:
    """canonical(value) encoded as UTF-8, for a hash (the text is never made)."""
    out = _fast(value)
    return out if out is not None else _STANDARD(value).encode("utf-8")


def plain_bytes(value) -> bytes:
    """canonical_bytes(value) for a value the caller has checked holds no float (strings,
    integers, booleans and None, in lists and dicts): orjson's bytes, not searched for the
    floats where it parts from the standard library (a state's rows are hashed this way)."""
    if orjson is not None:
        try:
            return _dumps(value, default=_decline, option=_OPTIONS)
        except TypeError:
            pass
    return _STANDARD(value).encode("utf-8")


def canonical_strict(value) -> str:
    """The canonical JSON of a plain JSON value; TypeError or ValueError for anything else
    (a date, a set; NaN only where the standard library encodes it)."""
    out = _fast(value)
    return out.decode("utf-8") if out is not None else _STRICT(value)


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_IN_ORDER = _OPTIONS & ~orjson.OPT_SORT_KEYS if orjson is not None else None


def compact_bytes(value) -> bytes:
    """`json.dumps(value, separators=(",", ":"), ensure_ascii=False)` encoded as UTF-8: keys
    in their own order, no spaces (a saved plan's lines), by orjson where that is the text."""
    out = _fast(value, _IN_ORDER)
    return out if out is not None else _COMPACT(value).encode("utf-8")


# Many values encoded in one orjson call: a list of them with a marker string between each
# two, the text cut at the markers. The marker's text `_MARK` can be found in an encoded
# list only where a string holds the marker (a quote inside a string is escaped, so `"…"`
# begins at a string's start or at an escaped quote): found exactly once between each two
# values, it was never a value's own, and the pieces between are the values' texts.
EACH_CHUNK = 1000  # values per orjson call
_MARKER = "\x00one value ends here\x00"
_MARK = orjson.dumps(_MARKER) if orjson is not None else b""
_CUT = b"," + _MARK + b","


def _each(values: Iterable, options: int | None, one: Callable[[object], bytes]) -> Iterator[bytes]:
    """`one(v)` for each of `values`, in order; `EACH_CHUNK` at a time through `_fast(…, options)`
    where that is the text (it is `one`'s then), else one at a time. `values` is read ahead a
    chunk at a time: a value must not change once it is given (each must be its own object),
    and an error while reading them is raised before any text of that chunk is given."""
    values = iter(values)
    while part := list(islice(values, EACH_CHUNK)):
        if orjson is not None and len(part) > 1:
            spaced = [_MARKER] * (2 * len(part) - 1)
            spaced[::2] = part
            out = _fast(spaced, options)
            if out is not None and out.count(_MARK) == len(part) - 1:
                yield from out[1:-1].split(_CUT)
                continue
        yield from map(one, part)


def canonical_each(values: Iterable) -> Iterator[bytes]:
    """`canonical_bytes(v)` for each of `values`, in order, with one encoder call per chunk
    (a 100,000-person plan's checksum in 0.82 s instead of 1.12 s, measured back to back)."""
    return _each(values, None, canonical_bytes)


def _strict_or_none(value) -> bytes | None:
    try:
        return canonical_strict(value).encode("utf-8", "surrogatepass")  # a lone surrogate kept, as it was
    except (TypeError, ValueError):
        return None


def strict_each(values: Iterable) -> Iterator[str | None]:
    """`canonical_strict(v)` for each of `values`, in order, None where it raises, as
    `canonical_each` (a 100,000-person no-op plan tells 300,000 resources unchanged this way)."""
    for text in _each(values, None, _strict_or_none):
        yield None if text is None else text.decode("utf-8", "surrogatepass")


def compact_each(values: Iterable) -> Iterator[bytes]:
    """`compact_bytes(v)` for each of `values`, in order, as `canonical_each`."""
    return _each(values, _IN_ORDER, compact_bytes)
