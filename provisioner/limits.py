"""The bounds that keep hostile input cheap: how deep, how long, how big, how much work,
named in one place so that messages, docs and tests quote the same numbers; and the cheap
checks that apply them before anything recursive (a composer, a JSON decoder) runs.
"""

from __future__ import annotations

import re

# YAML and saved plans: levels of nested collections before a file is refused (YAML007).
MAX_NESTING = 100
# Digits in one integer literal (Python refuses beyond 4,300; ours are seat counts) (YAML008).
MAX_INT_DIGITS = 100
# Files: the largest YAML file or saved plan read, and how much of a source line is echoed
# under a finding (the rest is cut around the column).
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_PLAN_BYTES = 512 * 1024 * 1024
# An org folder named only by a saved plan (which could name `/`): entries walked and bytes
# of YAML read for its digest before it is refused (a 100,000-person org: 210 files, 58 MB).
MAX_ORG_ENTRIES = 1_000_000
MAX_ORG_BYTES = 1024 * 1024 * 1024
MAX_ECHO_WIDTH = 160
# A line with many findings is echoed under the first few only.
MAX_ECHOES_PER_LINE = 5
# Templates (TPL003): loop iterations in one render, characters of output, length of any one
# value (string, list) an expression makes, an integer argument to a filter or method,
# bits of a power's result, and a wall-clock backstop in seconds.
MAX_TEMPLATE_STEPS = 1_000_000
MAX_TEMPLATE_OUTPUT = 4 * 1024 * 1024
MAX_TEMPLATE_VALUE = 1024 * 1024
MAX_TEMPLATE_ARGUMENT = 100_000
MAX_TEMPLATE_POWER_BITS = 4096
MAX_TEMPLATE_SECONDS = 10.0
# Below this cheap upper bound on the nesting, libyaml composes without risk and the exact
# depth is checked while building; above it the event stream is scanned first.
COMPOSE_SAFE_NESTING = 1000

_BLOCK_PREFIX = re.compile(r"^(?:[ \t?:-]|[&!][^ \t\r\n]*)*", re.M)


_TOKEN = re.compile(r"""[\[\]{}]|"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|#[^\n]*|["']""")
_STARTS = frozenset(" \t\r\n[{,:?-")


def flow_upper_bound(text: str) -> int:
    """An upper bound on the nesting of flow collections (`[`, `{`). Brackets inside quoted
    scalars and comments do not count; from the first place where quoting is not plain
    (a quote left open, a bracket or `#` inside quotes) every opening bracket counts and no
    closing one does, so the bound never falls below the real depth."""
    opens = text.count("[") + text.count("{")
    if opens <= COMPOSE_SAFE_NESTING:
        return opens
    depth = best = pos = 0
    search = _TOKEN.search
    while (m := search(text, pos)) is not None:
        token, start = m.group(), m.start()
        pos = m.end()
        at_start = start == 0 or text[start - 1] in _STARTS
        if token in "[{":
            depth += 1
            best = max(best, depth)
        elif token in "]}":
            depth = max(depth - 1, 0)
        elif not at_start:  # `O'Brien`, `a#b`: a quote or hash inside plain text starts nothing
            pos = start + 1
        elif token[0] == "#":
            continue
        elif len(token) == 1 or any(c in token for c in "[]{}#"):  # quoting we do not follow
            return best + text.count("[", start) + text.count("{", start)
    return best


def nesting_upper_bound(text: str) -> int:
    """An upper bound on the YAML nesting depth of `text`, without parsing it: flow
    collections as `flow_upper_bound` counts them, and every block collection starts
    further right than its parent (or, once per level, at the same column), within a
    line's leading indentation and indicators."""
    flow = flow_upper_bound(text)
    if flow > COMPOSE_SAFE_NESTING:
        return flow
    block = max((m.end() - m.start() for m in _BLOCK_PREFIX.finditer(text)), default=0)
    return flow + 2 * (block + 1) + 1
