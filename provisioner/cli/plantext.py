"""Printing a plan: rendered in the chosen format, the text one streamed; a large text plan
rendered on the second core while the plan file is written on the first."""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from typing import Iterator

import click

from ..plan.render import RENDERERS, iter_json, iter_text
from .common import use_colour

ECHO_BATCH = 1 << 16  # characters per write when the text plan is streamed
BESIDE_FROM = 20_000  # changes from which `rendered_beside` renders the text plan in a child


def render_plan(document: dict, fmt: str) -> str:
    if fmt == "text":
        return RENDERERS["text"](document, colour=use_colour())
    return RENDERERS[fmt](document)


def echo_plan(document: dict, fmt: str) -> None:
    """Print the plan; the text and JSON ones streamed in batches of pieces, never whole in
    memory (a 100,000-person plan is some 200 MB of text): the same bytes as `render_plan`."""
    if fmt == "json":
        _echo_pieces(iter_json(document))
    elif fmt != "text":
        click.echo(render_plan(document, fmt), nl=False)
    else:
        _echo_pieces(iter_text(document, colour=use_colour()))


def _echo_pieces(pieces) -> None:
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= ECHO_BATCH:
            click.echo("".join(batch), nl=False)
            batch, size = [], 0
    if batch:
        click.echo("".join(batch), nl=False)


class Rendered:
    """The text plan being rendered in a child into a temporary file; `echo()` prints it
    once the caller is ready, or renders it here if the child gave no text (the same bytes
    either way)."""

    def __init__(self, document: dict) -> None:
        from ..beside import Beside

        self._document = document
        self._file = tempfile.TemporaryFile()  # unlinked at once: nothing is left behind
        self._beside = Beside(_render_into, document, self._file.fileno(), use_colour())

    def echo(self) -> None:
        beside, self._beside = self._beside, None
        if beside is not None and beside.result(lambda: False):
            self._file.seek(0)
            _echo_pieces(_chunks(self._file))
        else:
            echo_plan(self._document, "text")

    def close(self) -> None:
        if self._beside is not None:
            self._beside.cancel()
            self._beside = None
        self._file.close()


@contextmanager
def rendered_beside(document: dict, fmt: str) -> Iterator[Rendered | None]:
    """A large text plan rendering beside the caller, None otherwise (print it with
    `echo_plan`); whatever the caller does meanwhile (write the plan file) comes first."""
    if fmt != "text" or len(document["changes"]) < BESIDE_FROM:
        yield None
        return
    try:
        rendered = Rendered(document)
    except OSError:  # no temporary file to be had: rendered here, after
        yield None
        return
    try:
        yield rendered
    finally:
        rendered.close()


def _render_into(document: dict, fd: int, colour: bool) -> bool:
    """In the child: the text plan into the temporary file `fd` (UTF-8)."""
    with open(fd, "w", encoding="utf-8", closefd=False, buffering=1 << 20) as out:
        for piece in iter_text(document, colour=colour):
            out.write(piece)
    return True


def _chunks(binary, size: int = 1 << 20) -> Iterator[str]:
    """The file's UTF-8 text a piece at a time (a character is never split)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    while block := binary.read(size):
        yield decoder.decode(block)
    yield decoder.decode(b"", final=True)
