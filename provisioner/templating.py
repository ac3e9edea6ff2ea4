"""Render `.yaml.j2` files with Jinja2 before they are parsed.

Sandboxed, undefined names are errors, variables come from the Organization's `vars:`.
Total work is bounded (loop iterations, output, the size of any value, powers, filter
arguments, a time backstop: TPL003). A problem is reported at the template's own line, and
so is every finding in the rendered text (`render_template` returns the line map).
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import signal
import threading

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.visitor import NodeTransformer

from . import limits
from .diagnostics import Diagnostic, Severity
from .textlines import Mover, split_lines

_BIG_WIDTH = re.compile(r"\d{6,}")
# Filters and string methods whose integer arguments are widths or counts of what they make.
_SIZED = frozenset({"center", "indent", "wordwrap", "truncate", "ljust", "rjust", "zfill", "expandtabs",
                    "slice", "batch", "lipsum", "generate_lorem_ipsum"})


class TooMuch(Exception):
    """The template exceeded one of the bounds in `provisioner.limits` (TPL003)."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        super().__init__(message)
        self.lineno = lineno


class _Budget:
    steps = 0


_budget = _Budget()


def _value(value):
    """A value an expression made, refused when it is longer than MAX_TEMPLATE_VALUE."""
    if isinstance(value, (str, list, tuple, dict)) and len(value) > limits.MAX_TEMPLATE_VALUE:
        raise TooMuch(f"an expression made a value of {len(value):,} items or characters "
                      f"(at most {limits.MAX_TEMPLATE_VALUE:,})")
    return value


def _steps(iterable):
    """Loop over `iterable`, counting every iteration of every loop against one budget."""
    for item in iterable:
        _budget.steps += 1
        if _budget.steps > limits.MAX_TEMPLATE_STEPS:
            raise TooMuch(f"loops ran more than {limits.MAX_TEMPLATE_STEPS:,} iterations in all")
        yield item


def _check_arguments(name: str, args, kwargs, owner=None) -> None:
    for a in (*args, *kwargs.values()) if name in _SIZED else ():
        if isinstance(a, int) and not isinstance(a, bool) and abs(a) > limits.MAX_TEMPLATE_ARGUMENT:
            raise TooMuch(f"an argument of {a if abs(a) < 10**12 else 'more than 10**12'} "
                          f"(at most {limits.MAX_TEMPLATE_ARGUMENT:,})")
    for a in (*args, *kwargs.values(), owner):
        if isinstance(a, str) and ("%" in a or "{" in a) and _BIG_WIDTH.search(a):
            raise TooMuch("a format with a width of a million characters or more")


def _check_replace(value, old, new) -> None:
    if isinstance(value, str) and isinstance(new, str):
        count = value.count(old) if old else len(value) + 1
        if len(value) + count * max(len(new) - len(old or ""), 0) > limits.MAX_TEMPLATE_VALUE:
            raise TooMuch(f"a replace would make more than {limits.MAX_TEMPLATE_VALUE:,} characters")


def _guarded_filter(name, func):
    @functools.wraps(func)
    def guarded(*args, **kwargs):
        plain = [a for a in args if not isinstance(a, (nodes.EvalContext, jinja2.runtime.Context,
                                                         jinja2.Environment))]
        # the value filtered may be any size (an NPI is a big number); its arguments may not
        _check_arguments(name, plain[1:], kwargs, plain[0] if plain and isinstance(plain[0], str) else None)
        if name == "replace" and len(plain) >= 3:
            _check_replace(*plain[:3])
        return _value(func(*args, **kwargs))
    return guarded


class _Bounded(NodeTransformer):
    """Count loop iterations and check the length of concatenations (`~`)."""

    def visit_For(self, node):
        node = self.generic_visit(node)
        node.iter = nodes.Call(nodes.Name("__tpl_steps", "load"), [node.iter], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node):
        node = self.generic_visit(node)
        return nodes.Call(nodes.Name("__tpl_value", "load"), [node], [], None, None, lineno=node.lineno)


class _NoIncludes(jinja2.BaseLoader):
    def get_source(self, environment, template):
        raise jinja2.TemplateNotFound(template)


class _Environment(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def _parse(self, source, name, filename):
        return _Bounded().visit(super()._parse(source, name, filename))

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right * math.log2(abs(left)) > limits.MAX_TEMPLATE_POWER_BITS:
                raise TooMuch(f"a power too large to compute (over {limits.MAX_TEMPLATE_POWER_BITS} bits)")
        elif operator == "*":
            sizes = [len(v) for v in (left, right) if isinstance(v, (str, list, tuple))]
            counts = [v for v in (left, right) if isinstance(v, int)]
            if sizes and counts and sizes[0] * counts[0] > limits.MAX_TEMPLATE_VALUE:
                raise TooMuch(f"a repetition of more than {limits.MAX_TEMPLATE_VALUE:,} items or characters")
            if len(counts) == 2 and left.bit_length() + right.bit_length() > limits.MAX_TEMPLATE_POWER_BITS:
                raise TooMuch(f"a product too large to compute (over {limits.MAX_TEMPLATE_POWER_BITS} bits)")
        elif operator == "%" and isinstance(left, str):
            _check_arguments("%", (left,), {})
        return _value(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        _check_arguments(getattr(target, "__name__", ""), args, kwargs, owner if isinstance(owner, str) else None)
        if getattr(target, "__name__", "") == "replace" and isinstance(owner, str) and len(args) >= 2:
            _check_replace(owner, args[0], args[1])
        return _value(super().call(__context, __obj, *args, **kwargs))


_ENV = _Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
                    loader=_NoIncludes())
_ENV.filters = {name: _guarded_filter(name, f) for name, f in _ENV.filters.items()}
_ENV.globals.update(__tpl_steps=_steps, __tpl_value=_value)


class _Deadline:
    """A wall-clock backstop (main thread only): raises TooMuch from inside a long render."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")

    def _expired(self, signum, frame):
        raise TooMuch(f"rendering took more than {self.seconds:g} seconds")

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def _render(template, text: str, python: list[str], variables: dict) -> tuple[str, list[int]]:
    """The rendered text and, for each rendered line, the template line it came from. Text
    written in the template (a constant `yield` in the compiled code) is found in the
    template and advances the line at each break; an expression's value stays on its line."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    gen = template.root_render_func(template.new_context(variables))
    pieces, size, origin = [], 0, [1]
    for piece in gen:
        size += len(piece)
        if size > limits.MAX_TEMPLATE_OUTPUT:
            raise TooMuch(f"the template writes more than {limits.MAX_TEMPLATE_OUTPUT:,} characters",
                          template.get_corresponding_lineno(gen.gi_frame.f_lineno) if gen.gi_frame else None)
        frame = gen.gi_frame
        at = frame.f_lineno if frame is not None else 0
        line = min(max(template.get_corresponding_lineno(at) if at else origin[-1], 1), len(starts))
        static = 0 < at <= len(python) and python[at - 1].lstrip().startswith(("yield '", 'yield "'))
        found = text.find(piece, starts[line - 1]) if static else -1
        if found >= 0:
            line = bisect.bisect_right(starts, found)
        breaks = piece.count("\n")
        if breaks:
            origin.extend(line + i + 1 if found >= 0 else line for i in range(breaks))
        pieces.append(piece)
    return "".join(pieces), origin


def _template_line(exc: BaseException, template, name: str) -> int | None:
    line = getattr(exc, "lineno", None)
    if line:
        return line
    tb, found = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            found = tb.tb_lineno
        tb = tb.tb_next
    return template.get_corresponding_lineno(found) if found and template is not None else None


def _mover(rendered: str, origin: list[int], template_lines: list[str]) -> Mover:
    rendered_lines = split_lines(rendered)

    def move(line: int, column: int | None) -> tuple[int, int | None]:
        if not 1 <= line <= len(origin):
            return line, column
        source = origin[line - 1]
        same = (line <= len(rendered_lines) and source <= len(template_lines)
                and rendered_lines[line - 1] == template_lines[source - 1])
        return source, column if same else None
    return move


def _cut(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[:width] + "…"


def render_template(text: str, file: str, variables: dict) -> tuple[str, Mover | None, Diagnostic | None]:
    """Render `text`: the rendered text and how to move its lines back to the template's, or
    the diagnostic instead."""
    template = None

    def problem(code: str, message: str, line: int | None) -> tuple[str, None, Diagnostic]:
        return "", None, Diagnostic(file, line, None, code, Severity.ERROR, message, None)

    try:
        python = _ENV.compile(text, name=file, filename=file, raw=True)
        code = compile(python, file, "exec")
        template = _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None))
        _budget.steps = 0
        with _Deadline(limits.MAX_TEMPLATE_SECONDS):
            rendered, origin = _render(template, text, python.split("\n"), variables)
        return rendered, _mover(rendered, origin, split_lines(text)), None
    except jinja2.TemplateSyntaxError as exc:
        return problem("TPL001", f"template syntax error: {exc.message}", exc.lineno)
    except jinja2.UndefinedError as exc:
        return problem("TPL002", f"template uses an undefined variable: {exc.message} "
                       "(define it under the Organization's `vars:`)", _template_line(exc, template, file))
    except jinja2.TemplateNotFound as exc:
        return problem("TPL001", f"template error: cannot include or import {_cut(str(exc.name))!r}: templates "
                       "cannot include other files", _template_line(exc, template, file))
    except jinja2.TemplateError as exc:
        return problem("TPL001", f"template error: {_cut(exc.message or str(exc))}",
                       _template_line(exc, template, file))
    except TooMuch as exc:
        return problem("TPL003", f"template does too much work: {exc}; refusing to render it",
                       _template_line(exc, template, file))
    except (RecursionError, MemoryError) as exc:
        what = "recursion too deep (a macro calling itself without end?)" if isinstance(exc, RecursionError) \
            else "out of memory"
        return problem("TPL003", f"template does too much work: {what}; refusing to render it",
                       _template_line(exc, template, file))
    except Exception as exc:  # errors raised by expressions inside the template (e.g. 1/0)
        return problem("TPL001", f"template error: {type(exc).__name__}: {_cut(str(exc))}",
                       _template_line(exc, template, file))
