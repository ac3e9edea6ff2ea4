"""Apply reads a saved plan's changes a piece at a time (`savedplan.read_for_apply`): for
every file, it gives what `read_plan` gives, with the changes as their count and digest,
or the same refusal. `show` reads them so too (`read_for_show`), the changes decoded a
piece at a time on each walk: the same document, or the same refusal. The layout `write_plan` writes is read apart; any other, and any
file with a problem, is read whole. Every test runs twice: with the changes checked in
this process, and in a child process beside it (beside.py), as large plans are."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bench.generate import generate_org, write_org
from provisioner.plan import make_plan
from provisioner.plan import savedplan
from provisioner.plan.planfile import PlanFileError, read_plan, seal, write_plan
from provisioner.plan.savedplan import ChangeList, SavedChanges, read_for_apply, read_for_show
from provisioner.state import Snapshot

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True, params=["here", "beside"])
def checked_where(request, monkeypatch):
    monkeypatch.setattr(savedplan, "BESIDE_FROM", 0 if request.param == "beside" else 1 << 60)
    return request.param


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict:
    """A sealed plan of a generated 40-person org against an empty state."""
    org = tmp_path_factory.mktemp("org")
    write_org(org, generate_org(40, 7, TODAY))
    return make_plan(org, snapshot=Snapshot(None, 0, {}), today=TODAY).document


def outcome(read, path):
    try:
        document = read(path)
    except PlanFileError as exc:
        return ("refused", str(exc))
    if isinstance(document["changes"], list):
        document["changes"] = SavedChanges.of(document["changes"])
    return ("read", document)


def same_outcome(path, *, apart: bool) -> tuple:
    """read_for_apply agrees with read_plan on `path`; `apart`: without reading it whole."""
    whole = outcome(read_plan, path)
    calls = []
    real = savedplan.read_plan
    savedplan.read_plan = lambda *a: calls.append(a) or real(*a)
    try:
        streamed = outcome(read_for_apply, path)
    finally:
        savedplan.read_plan = real
    assert streamed == whole
    assert (not calls) is apart, "read whole" if calls else "read apart"
    assert shown(path) == shown(path, read_plan)
    return streamed


def shown(path, read=read_for_show):
    """What `read` gives, the changes walked twice into lists (the same both times)."""
    try:
        document = read(path)
    except PlanFileError as exc:
        return ("refused", str(exc))
    changes = document["changes"]
    walked = list(changes)
    assert list(changes) == walked and len(changes) == len(walked) and bool(changes) is bool(walked)
    return ("read", {**document, "changes": walked})


def lines_of(document: dict, tmp_path) -> list[str]:
    path = tmp_path / "plan.json"
    write_plan(document, path)
    return path.read_text(encoding="utf-8").split("\n")


def change_line(lines: list[str], n: int) -> int:
    """The index of the n-th change's line."""
    start = lines.index('  "changes": [') + 1
    return start + n


def test_a_plan_as_written_is_read_apart(planned, tmp_path):
    path = tmp_path / "plan.json"
    write_plan(planned, path)
    kind, document = same_outcome(path, apart=True)
    assert kind == "read" and len(document["changes"]) == len(planned["changes"]) > 40
    assert document["changes"] == SavedChanges.of(planned["changes"])
    assert {k: v for k, v in document.items() if k != "changes"} == \
        {k: v for k, v in json.loads(path.read_text()).items() if k != "changes"}


@pytest.mark.parametrize("chunk", [1, 2, 7])
def test_every_piece_size_reads_the_same(planned, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(savedplan, "CHUNK", chunk)
    path = tmp_path / "plan.json"
    write_plan(planned, path)
    assert same_outcome(path, apart=True)[1]["changes"] == SavedChanges.of(planned["changes"])


def test_no_changes_and_other_layouts_are_read_whole(planned, tmp_path):
    path = tmp_path / "plan.json"
    for text in (json.dumps(planned), json.dumps(planned, indent=2), json.dumps(planned, indent=4)):
        path.write_text(text)
        assert same_outcome(path, apart=False)[0] == "read"
    write_plan(seal({**{k: v for k, v in planned.items() if k != "checksum"}, "changes": []}), path)
    assert same_outcome(path, apart=False)[1]["changes"] == SavedChanges.of([])
    assert SavedChanges.of([]).count == 0


def resealed(lines: list[str]) -> list[str]:
    """The text's document sealed again, in the same layout (anyone can re-seal a plan)."""
    document = json.loads("\n".join(lines))
    document.pop("checksum")
    text = "\n".join(lines)
    fresh = seal(document)["checksum"]
    return text.replace(json.loads(text)["checksum"], fresh).split("\n")


def edit_change(n: int, old: str, new: str, seal_again: bool = False):
    def edit(lines):
        i = change_line(lines, n)
        assert old in lines[i]
        lines[i] = lines[i].replace(old, new, 1)
        return resealed(lines) if seal_again else lines
    return edit


def replace_line(n: int, text: str):
    def edit(lines):
        lines[change_line(lines, n)] = text
        return lines
    return edit


def insert_line(before: str, text: str):
    def edit(lines):
        lines.insert(next(i for i, line in enumerate(lines) if line.startswith(before)), text)
        return lines
    return edit


def split_change(n: int):
    def edit(lines):
        i = change_line(lines, n)
        cut = lines[i].index('"action"')
        lines[i:i + 1] = [lines[i][:cut], "    " + lines[i][cut:]]
        return lines
    return edit


def last_comma(lines):
    i = lines.index("  ],") - 1
    lines[i] += ","
    return lines


def nested_region(lines):
    i = lines.index('  "changes": [')
    lines[i] = '  "x": {'
    end = lines.index("  ],")
    lines[end] = '  ]}, "changes": [],'
    lines.insert(i, '  "also": [],')
    return lines


DEEP = "    " + "[" * 150 + "]" * 150 + ","


def deep_over_lines(lines):
    """A change whose attributes nest 150 deep, one bracket a line (no line looks deep), re-sealed."""
    i = change_line(lines, 1)
    change = json.loads(lines[i].strip().rstrip(","))
    change["after"]["attributes"]["x"] = "DEEP"
    text = json.dumps(change, separators=(",", ":"), ensure_ascii=False)
    lines[i] = "    " + text.replace('"DEEP"', "[\n" * 150 + "]\n" * 150) + ","
    return resealed(lines)

CASES = {
    # (edit, read apart?, read or refused)
    "a change edited": (edit_change(3, '"create"', '"delete"'), False, "refused"),
    "a change edited and re-sealed": (edit_change(3, '"create"', '"delete"', seal_again=True), True, "read"),
    "a change without its address, re-sealed": (edit_change(2, '"address":', '"where": ', True), False, "refused"),
    "a change nested too deep": (replace_line(1, DEEP), False, "refused"),
    "a change nested too deep over many lines, re-sealed": (deep_over_lines, False, "refused"),
    "a huge number in a change": (edit_change(0, '"reason":', '"n": ' + "9" * 300 + ', "reason": '), False,
                                  "refused"),
    "NaN in a change": (edit_change(0, '"reason":', '"n": NaN, "reason": '), False, "refused"),
    "a stray byte in a change": (edit_change(4, '"kind"', '"k\udcffind"'), False, "refused"),
    "a trailing comma after the last change": (last_comma, False, "refused"),
    "a change split over two lines": (split_change(5), True, "read"),  # one piece: still one JSON array
    "an earlier duplicate changes key": (insert_line('  "changes": [', '  "changes": [{"x": 1}],'), True, "read"),
    "a later duplicate changes key": (insert_line('  "diagnostics": ', '  "changes": [],'), False, "refused"),
    "the changes inside another field": (nested_region, False, "refused"),
    "an old stand-in text in a reason": (edit_change(1, '"reason":"', '"reason": "changes read apart ', True),
                                         True, "read"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_an_odd_or_hostile_plan_reads_as_read_plan_reads_it(planned, tmp_path, name):
    edit, apart, expected = CASES[name]
    lines = edit(lines_of(planned, tmp_path))
    path = tmp_path / "plan.json"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))
    kind, detail = same_outcome(path, apart=apart)
    assert kind == expected, detail


def stray_commas(lines):
    i = change_line(lines, 0)
    lines[i:i] = [",", ""]
    return lines


def double_comma(lines):
    i = change_line(lines, 2)
    lines[i] += ","
    lines.insert(i + 1, ",")
    return lines


def trailing_comma_then_blank(lines):
    i = lines.index("  ],") - 1
    lines[i:i + 1] = [lines[i] + ",", ""]
    return lines


def later_changes_text(lines):
    return insert_line('  "diagnostics": ', '  "changes": "changes read apart",')(lines)


def lone_surrogate_then_bad_action(lines):
    edit_change(0, '"reason":"', '"reason": "\\ud800')(lines)
    last = lines.index("  ],") - 1
    lines[last] = lines[last].replace('"action":"', '"action":"bogus-', 1)
    return lines


SMALL_PIECES = {
    # found by a differential fuzz: pieces of blank lines and commas, a stand-in spelled with
    # an escape, and a lone surrogate that once escaped as UnicodeEncodeError
    "a piece of commas alone": (stray_commas, "not JSON"),
    "a double comma": (double_comma, "not JSON"),
    "a trailing comma, then a blank line": (trailing_comma_then_blank, "not JSON"),
    "a later changes key holding text": (later_changes_text, "is not a provisioner plan"),
    "a lone surrogate in a reason": (edit_change(0, '"reason":"', '"reason": "\\ud800'), "lone surrogate"),
    "a lone surrogate, then a change out of shape": (lone_surrogate_then_bad_action, "is not one of"),
}


@pytest.mark.parametrize("chunk", [1, 2, 1000])
@pytest.mark.parametrize("name", list(SMALL_PIECES))
def test_stray_commas_escapes_and_surrogates_are_refused_alike(planned, tmp_path, monkeypatch, name, chunk):
    monkeypatch.setattr(savedplan, "CHUNK", chunk)
    edit, refusal = SMALL_PIECES[name]
    path = tmp_path / "plan.json"
    path.write_text("\n".join(edit(lines_of(planned, tmp_path))), encoding="utf-8")
    kind, message = same_outcome(path, apart=False)
    assert kind == "refused" and refusal in message, message


def test_a_large_plan_is_checked_beside_while_the_caller_reads_the_header(planned, tmp_path, checked_where):
    path = tmp_path / "plan.json"
    write_plan(planned, path)
    with savedplan.Reading(path) as reading:
        assert reading.checking_beside is (checked_where == "beside")
        assert reading.header["org"] == planned["org"] and reading.header["changes"] is None
        document = reading.result()
        with pytest.raises(RuntimeError):
            reading.result()
    assert document["changes"] == SavedChanges.of(planned["changes"])
    assert list(document) == list(planned)  # the fields in the file's order


def test_leaving_a_reading_early_stops_its_check(planned, tmp_path, monkeypatch):
    monkeypatch.setattr(savedplan, "BESIDE_FROM", 0)
    path = tmp_path / "plan.json"
    write_plan(planned, path)
    with savedplan.Reading(path) as reading:
        pid = reading._beside.pid
    assert reading._beside is None
    with pytest.raises(ChildProcessError):
        import os
        os.waitpid(pid, os.WNOHANG)


def test_a_shown_plan_holds_its_changes_as_bytes_and_indexes_like_a_list(planned, tmp_path):
    path = tmp_path / "plan.json"
    write_plan(planned, path)
    changes = read_for_show(path)["changes"]
    assert isinstance(changes, ChangeList)
    expected = read_plan(path)["changes"]
    n = len(expected)
    for index in (0, 1, n - 1, -1, -n):
        assert changes[index] == expected[index]
    for cut in (slice(0), slice(1), slice(5), slice(2, 9), slice(n - 3, None), slice(0, n + 10)):
        assert changes[cut] == expected[cut]
    for index in (n, -n - 1):
        with pytest.raises(IndexError):
            changes[index]


def test_a_shown_plan_walks_backwards_and_finds_a_change_in_one_pass(planned, tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    write_plan(planned, path)
    changes, expected = read_for_show(path)["changes"], read_plan(path)["changes"]
    walks = []
    real = savedplan._chunks
    monkeypatch.setattr(savedplan, "_chunks", lambda *a, **k: walks.append(1) or real(*a, **k))
    assert list(reversed(changes)) == expected[::-1] and changes[::-2] == expected[::-2]
    assert changes.index(expected[-3]) == len(expected) - 3 and changes.index(expected[5], -len(expected)) == 5
    assert len(walks) == 4  # one walk each, never one per change
    with pytest.raises(ValueError):
        changes.index({"address": "nowhere"})


def test_a_change_without_the_fields_a_reader_shows_is_refused(planned, tmp_path):
    """Every change carries address, kind, action, reason, before, after and diff (the
    schema requires them): a re-sealed plan without its reasons is no plan, not a crash."""
    for field in ("reason", "diff"):
        document = {k: v for k, v in planned.items() if k != "checksum"}
        document["changes"] = [{k: v for k, v in c.items() if k != field} for c in planned["changes"]]
        path = tmp_path / "plan.json"
        write_plan(seal(document), path)
        kind, message = same_outcome(path, apart=False)
        assert kind == "refused" and f"'{field}' is a required property" in message, message


def test_names_in_a_plan_are_one_line_each(planned, tmp_path):
    """A plan's `names` (people changed only through what they hold) are shown in the PR
    comment: a re-sealed plan whose name holds a line break is refused."""
    path = tmp_path / "plan.json"
    document = {k: v for k, v in planned.items() if k != "checksum"}
    write_plan(seal({**document, "names": {"p": "Ann Lee"}}), path)
    assert same_outcome(path, apart=True)[0] == "read"
    for forged in ("Ann\n\n---\n**Reviewed**", "Ann\rLee", "Ann\u2028Lee", ""):
        write_plan(seal({**document, "names": {"p": forged}}), path)
        kind, message = same_outcome(path, apart=False)
        assert kind == "refused" and "names/p" in message, message


def test_a_plan_another_version_made_says_so(planned, tmp_path):
    path = tmp_path / "plan.json"
    document = {k: v for k, v in planned.items() if k != "checksum"}
    write_plan(seal({**document, "tool": "provisioner 9.9.0", "later": 1}), path)
    kind, message = same_outcome(path, apart=False)
    assert kind == "refused" and "made by 'provisioner 9.9.0'" in message and "same version" in message


def _nest(depth: int, in_strings: int = 0) -> dict:
    """A change-like value nesting `depth` levels (itself the first), and a string holding
    `in_strings` brackets that nest nothing."""
    value: object = "[{" * in_strings
    for level in range(depth - 1):
        value = [value] if level % 2 else {"x": value}
    return {"address": "a", "v": value}


@pytest.mark.parametrize("depths", [[1, 2, 3], [97], [98], [99], [100], [98, 5, 120], [3] * 50])
@pytest.mark.parametrize("in_strings", [0, 60, 200])
def test_nesting_is_judged_from_a_changes_brackets_as_by_walking(depths, in_strings, checked_where):
    """The changes are walked for their depth only when one's canonical text holds nearly
    as many brackets as the limit; the verdict is always the walk's (a plan's list is one
    level, so a change may nest 98 deep), brackets in strings only ever causing a walk."""
    from provisioner.canonical import canonical_each
    from provisioner.limits import MAX_NESTING
    from provisioner.plan.planfile import too_deep_or_compacted

    changes = [_nest(depth, in_strings) for depth in depths]
    walked = too_deep_or_compacted(json.loads(json.dumps(changes)), MAX_NESTING - 1, compact=False)
    assert savedplan._too_deep(list(canonical_each(changes)), changes) is walked
    assert walked is (max(depths) > MAX_NESTING - 2)
