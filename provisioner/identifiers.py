"""Identifiers and e-mail addresses as the domain compares them (ID001, EMAIL001, EMAIL002).

What makes a written id or address unsafe (surrounding whitespace, line breaks, invisible
and bidi-control characters, letters from another script), the normal form e-mails are
compared in (NFKC + case folding), and the scripts an address mixes. Pure text functions.
"""

from __future__ import annotations

import unicodedata

# Characters that render as nothing, or reorder what follows, yet make a different string.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = frozenset("\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


_CONTROL_NAMES = {"\0": "NULL", "\a": "BELL", "\b": "BACKSPACE", "\t": "TAB", "\n": "LINE FEED",
                  "\v": "LINE TABULATION", "\f": "FORM FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE",
                  "\x7f": "DELETE", "\x85": "NEXT LINE"}


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '') or _CONTROL_NAMES.get(ch, 'control character')}"


def unprintable_problem(text: str) -> str | None:
    """Why `text` cannot be shown as one line as it is (a control character, a line break, a
    bidi control that reorders what is shown), or None: for free text that is recorded and
    printed again (an actor, a rejection's reason), where it could forge a line of the log."""
    for ch in text:
        if _unprintable(ch):
            kind = ("a line break" if ch in LINE_BREAKS else "a bidi control character" if ch in BIDI_CONTROLS
                    else "a control character")
            return f"it contains {kind} ({_name(ch)})" + (" that reorders what is shown" if ch in BIDI_CONTROLS
                                                          else "")
    return None


def _unprintable(ch: str) -> bool:
    return ch in LINE_BREAKS or ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc"


def shown(text: str) -> str:
    """`text` with every character `unprintable_problem` names written as an escape (`\\u202e`),
    for a name printed as it is found (a file name): one line, in the order it is stored."""
    return "".join(f"\\u{ord(ch):04x}" if _unprintable(ch) else ch for ch in text)


def spoofing_problem(text: str, ascii_only: bool = False) -> str | None:
    """Why `text` cannot be an identifier or address as written, or None. `ascii_only`
    (ids) also names the first character outside lower-case ASCII letters, digits and `-`."""
    if not text:
        return None
    if text[-1] in LINE_BREAKS:
        return "it ends with a line break"
    if text[0] in LINE_BREAKS:
        return "it starts with a line break"
    if text[0].isspace():
        return f"it starts with a space ({_name(text[0])})"
    if text[-1].isspace():
        return f"it ends with a space ({_name(text[-1])})"
    for ch in text:
        if ch in LINE_BREAKS:
            return f"it contains a line break ({_name(ch)})"
        if ch in BIDI_CONTROLS:
            return f"it contains a bidi control character ({_name(ch)}) that reorders what is shown"
        if ch in INVISIBLE or unicodedata.category(ch) == "Cf":
            return f"it contains an invisible character ({_name(ch)})"
        if ch.isspace():
            return f"it contains a space ({_name(ch)})"
    if ascii_only:
        odd = next((ch for ch in text if not (ch.isascii() and (ch.isdigit() or ch.islower() or ch == "-"))), None)
        if odd is not None and not odd.isascii():
            return f"it contains {odd!r} ({_name(odd)}), which only looks like a plain letter"
    return None


def normal_email(address: str) -> str:
    """The form e-mails are compared in (EMAIL001): Unicode NFKC, then case folding; a
    quoted local part that needs no quotes (`"ana.ruiz"@x.example`) and a domain written
    with its root dot (`x.example.`) are the same mailbox as without them (RFC 5321)."""
    text = unicodedata.normalize("NFKC", address).casefold()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    if len(local) > 2 and local[0] == local[-1] == '"' and not any(c in local[1:-1] for c in '"\\ @'):
        local = local[1:-1]
    if domain.endswith(".") and not domain.endswith(".."):
        domain = domain[:-1]
    return f"{local}@{domain}"


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "Latin"
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0].title() if name else None


def scripts(address: str) -> list[str]:
    """The scripts of the letters of `address`, in order of first use (Latin, Cyrillic, Greek, ...)."""
    if address.isascii():  # NFKC leaves ASCII as it is, and every ASCII letter is Latin
        return ["Latin"] if any(ch.isalpha() for ch in address) else []
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", address):
        s = _script(ch)
        if s and s not in out:
            out.append(s)
    return out
