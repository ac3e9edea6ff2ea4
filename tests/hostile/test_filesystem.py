"""Hostile org folders (issue 7, items 1 and 2): symlinks that leave the folder, loops,
FIFOs, sockets, devices, dangling links, oversized files and lines, unreadable files.
Nothing outside the org folder may be read or echoed; nothing may be skipped in silence."""

from __future__ import annotations

import os
import socket
import stat

import pytest
from click.testing import CliRunner

from provisioner.cli import main
from provisioner.limits import MAX_ECHO_WIDTH, MAX_FILE_BYTES

from .corpus import Case, check, ids
from .inprocess import check_here
from .test_yaml import PERSON, person

CANARY = "hunter2-canary"
SECRET_YAML = f"kind: InsurancePlan\nid: secret\nname: {CANARY}\n"
FORBIDDEN = ("root:x:0", CANARY)


def link(name: str, target: str):
    def setup(tmp, org):
        path = org / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target.format(tmp=tmp, org=org))
    return setup


def outside(setup):
    """Also write a file and a folder outside the org, holding the canary."""
    def wrapped(tmp, org):
        (tmp / "outside.yaml").write_text(SECRET_YAML)
        (tmp / "outside").mkdir()
        (tmp / "outside" / "plans.yaml").write_text(SECRET_YAML)
        setup(tmp, org)
    return wrapped


def fifo(name):
    return lambda tmp, org: os.mkfifo(org / name)


def unix_socket(name):
    def setup(tmp, org):
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(org / name))
        s.close()
    return setup


def device(name):
    return lambda tmp, org: os.mknod(org / name, stat.S_IFCHR | 0o600, os.makedev(1, 3))


def chain(*setups):
    def setup(tmp, org):
        for s in setups:
            s(tmp, org)
    return setup


REFUSED = r"LOAD002"
WIDE = "offices: [" + ", ".join(f"nowhere-{i}" for i in range(3000)) + "]"

CASES = [
    # -- outside the folder (item 2): refused, located, content never printed
    Case("link-etc-passwd", REFUSED + r".*outside the org folder", setup=link("passwd.yaml", "/etc/passwd"),
         located=r"org/passwd\.yaml"),
    Case("link-proc-environ", REFUSED + r".*outside the org folder", setup=link("env.yaml", "/proc/self/environ"),
         located=r"org/env\.yaml", env={"SECRET_TOKEN": CANARY}),
    Case("link-relative-escape", REFUSED + r".*outside the org folder",
         setup=outside(link("x.yaml", "../outside.yaml")), located=r"org/x\.yaml"),
    Case("link-absolute-escape", REFUSED + r".*outside the org folder",
         setup=outside(link("x.yaml", "{tmp}/outside.yaml")), located=r"org/x\.yaml"),
    Case("link-folder-escape", REFUSED + r".*outside the org folder",
         setup=outside(link("ext", "../outside")), located=r"org/ext"),
    Case("link-nested-escape", REFUSED + r".*outside the org folder",
         setup=outside(link("a/b/c.yaml", "../../../outside.yaml")), located=r"org/a/b/c\.yaml"),
    Case("link-dev-null", REFUSED, setup=link("null.yaml", "/dev/null"), located=r"org/null\.yaml"),
    Case("link-dev-zero", REFUSED, setup=link("zero.yaml", "/dev/zero"), located=r"org/zero\.yaml", timeout=10),
    Case("link-proc-self-fd", REFUSED, setup=link("fd.yaml", "/proc/self/fd/0"), located=r"org/fd\.yaml",
         timeout=10),
    Case("template-link-escape", REFUSED + r".*outside the org folder",
         setup=outside(link("x.yaml.j2", "../outside.yaml")), located=r"org/x\.yaml\.j2"),
    # -- loops, dangling links, special files (items 1, 2): refused with a message, never skipped
    Case("link-loop-pair", REFUSED + r".*loop", setup=chain(link("a.yaml", "b.yaml"), link("b.yaml", "a.yaml")),
         located=r"org/a\.yaml"),
    Case("link-loop-self", REFUSED + r".*loop", setup=link("self.yaml", "self.yaml"), located=r"org/self\.yaml"),
    Case("folder-loop", REFUSED + r".*loop", setup=link("sub/up", ".."), located=r"org/sub/up"),
    Case("dangling-replaces-file", REFUSED + r".*broken symlink", files={"people.yaml": None},
         setup=link("people.yaml", "people-old.yaml"), located=r"org/people\.yaml"),
    Case("dangling-absolute", REFUSED + r".*broken symlink", setup=link("p.yaml", "/nonexistent/p.yaml"),
         located=r"org/p\.yaml"),
    Case("dangling-template", REFUSED + r".*broken symlink", setup=link("p.yaml.j2", "gone.yaml.j2"),
         located=r"org/p\.yaml\.j2"),
    Case("dangling-folder-link", REFUSED + r".*broken symlink", setup=link("people-2026", "../moved/people"),
         located=r"org/people-2026"),
    Case("dangling-non-yaml-ignored", r"0 errors", setup=link("notes.txt", "gone.txt"), exit=0,
         args=("validate", "{org}", "--today", "2026-11-23")),
    Case("fifo", REFUSED + r".*FIFO", setup=fifo("pipe.yaml"), located=r"org/pipe\.yaml", timeout=10),
    Case("fifo-template", REFUSED + r".*FIFO", setup=fifo("pipe.yaml.j2"), located=r"org/pipe\.yaml\.j2",
         timeout=10),
    Case("fifo-via-link", REFUSED + r".*FIFO", setup=chain(fifo("p.fifo"), link("pipe.yaml", "p.fifo")),
         located=r"org/pipe\.yaml", timeout=10),
    Case("socket", REFUSED + r".*socket", setup=unix_socket("s.yaml"), located=r"org/s\.yaml"),
    Case("char-device", REFUSED + r".*device", setup=device("dev.yaml"), located=r"org/dev\.yaml"),
    Case("fifo-plan-config-digest", REFUSED + r".*FIFO", args=("plan", "{org}"), setup=fifo("pipe.yaml"),
         located=r"org/pipe\.yaml", timeout=10),
    # -- sizes (items 1, 2): a huge file, a huge line, a line with thousands of findings
    Case("file-too-large", REFUSED + r".*larger than", files={"big.yaml": "#" * (MAX_FILE_BYTES + 1)},
         located=r"org/big\.yaml"),
    Case("long-line-syntax-error", r"YAML001", files={"p.yaml": 'name: "' + "x" * 200_000 + '" oops\n'},
         located=r"org/p\.yaml:1:", max_output=5_000),
    Case("thousands-of-findings-on-one-line", r"REF001", files={"p.yaml": person(offices=WIDE[9:])},
         located=r"org/p\.yaml:6:", max_output=3000 * 100),
    # -- names that would forge lines of output: a finding line in a file name, a terminal title
    Case("file-name-forging-a-finding", REFUSED + r".*line break \(U\+000A LINE FEED\); rename it",
         files={"a\nfake.yaml:1:1: error FAKE: all good\n.yaml": PERSON},
         located=r"org/a\\u000afake\.yaml:1:1: error FAKE: all good\\u000a\.yaml: error LOAD002"),
    Case("file-name-with-an-escape-sequence", REFUSED + r".*U\+001B ESCAPE",
         files={"x\x1b]0;title\x07y.yaml": PERSON}, located=r"org/x\\u001b\]0;title\\u0007y\.yaml"),
    Case("folder-name-with-a-bidi-override", REFUSED + r".*bidi",
         files={"people-\u202eevil/p.yaml": PERSON}, located=r"org/people-\\u202eevil"),
]


# Rows that could crash or hang the interpreter if their bound regressed run in a fresh
# process; the rest run in this one (same checks, a fraction of the time).
PROCESS = {'link-proc-environ', 'link-dev-zero', 'link-proc-self-fd', 'fifo', 'fifo-template', 'fifo-via-link', 'fifo-plan-config-digest', 'link-etc-passwd'}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_hostile_filesystem(case, tmp_path, monkeypatch):
    output = check(case, tmp_path).output if case.id in PROCESS else check_here(case, tmp_path, monkeypatch)
    for secret in FORBIDDEN:
        assert secret not in output, f"{case.id}: content from outside the org folder was printed"
    for line in output.splitlines():
        if " | " in line:  # an echoed source line
            assert len(line) <= MAX_ECHO_WIDTH + 20, f"{case.id}: echoed a {len(line)}-character line"


# Unreadable files and folders. Tests run as root, whom permission bits do not stop, so the
# read is made to fail the way it fails for another user: os.open raises PermissionError.
def _deny(monkeypatch, victim: str):
    real_open, real_scandir = os.open, os.scandir

    def fake_open(path, *a, **k):
        if os.path.basename(os.fspath(path)) == victim:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *a, **k)

    def fake_scandir(path="."):
        if os.path.basename(os.fspath(path)) == victim:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)


@pytest.mark.parametrize("victim, where", [("people.yaml", "org/people.yaml"), ("sub", "org/sub")])
@pytest.mark.parametrize("command", [("validate",), ("plan",)])
def test_unreadable_file_or_folder_is_a_located_error(org_dir, monkeypatch, victim, where, command):
    (org_dir / "sub").mkdir()
    (org_dir / "sub" / "more.yaml").write_text("kind: InsurancePlan\nid: aetna\nname: Aetna\n")
    _deny(monkeypatch, victim)
    result = CliRunner().invoke(main, [*command, "org"])
    assert result.exit_code == 1, result.output
    assert f"{where}: error LOAD002: cannot read" in result.output and "permission denied" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_symlink_inside_the_folder_is_read(org_dir):
    (org_dir / "people.yaml").rename(org_dir / "people.txt")
    (org_dir / "people.yaml").symlink_to("people.txt")
    (org_dir / "extra.yaml").write_text(PERSON)
    result = CliRunner().invoke(main, ["validate", "org", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output


def test_a_link_that_goes_away_while_it_is_read_is_refused_not_an_internal_error(tmp_path, monkeypatch):
    """A folder changing under the walk (`/proc`, a checkout being updated): the link is
    there when listed and gone when read. It is refused with a message, never a crash."""
    from provisioner import orgfiles

    (tmp_path / "org").mkdir()
    (tmp_path / "org" / "x.yaml").symlink_to(tmp_path / "org" / "gone.yaml")

    def vanished(path):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(orgfiles.os, "readlink", vanished)
    with pytest.raises(orgfiles.Refused, match="a broken symlink"):
        orgfiles._follow(tmp_path / "org" / "x.yaml", str(tmp_path / "org"))
