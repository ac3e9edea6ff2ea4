"""Render `.yaml.j2` files with Jinja2 before they are parsed.

Sandboxed, undefined names are errors, variables come from the Organization's `vars:`.
A problem is reported at the template's own line.
"""

from __future__ import annotations

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .diagnostics import Diagnostic, Severity

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def _template_line(exc: BaseException, name: str) -> int | None:
    line = getattr(exc, "lineno", None)
    if line:
        return line
    tb = exc.__traceback__
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            found = tb.tb_lineno
        tb = tb.tb_next
    return found


def render_template(text: str, file: str, variables: dict) -> tuple[str, Diagnostic | None]:
    """Render `text`; on failure return the diagnostic instead."""
    try:
        template = _ENV.from_string(text)
        template.filename = file
        return template.render(**variables), None
    except jinja2.TemplateSyntaxError as exc:
        return "", Diagnostic(file, exc.lineno, None, "TPL001", Severity.ERROR,
                              f"template syntax error: {exc.message}", None)
    except jinja2.UndefinedError as exc:
        return "", Diagnostic(file, _template_line(exc, file), None, "TPL002", Severity.ERROR,
                              f"template uses an undefined variable: {exc.message} "
                              "(define it under the Organization's `vars:`)", None)
    except jinja2.TemplateError as exc:
        return "", Diagnostic(file, _template_line(exc, file), None, "TPL001", Severity.ERROR,
                              f"template error: {exc.message or exc}", None)
    except Exception as exc:  # errors raised by expressions inside the template (e.g. 1/0)
        return "", Diagnostic(file, _template_line(exc, "<template>"), None, "TPL001", Severity.ERROR,
                              f"template error: {type(exc).__name__}: {exc}", None)
