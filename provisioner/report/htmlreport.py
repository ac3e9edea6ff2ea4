"""The HTML report: one static file (styles, data and chart code inline; a content policy
that forbids the network) rendered from `htmldata.report_data` with Jinja2, escaped."""

from __future__ import annotations

import json

import jinja2
from markupsafe import Markup

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("provisioner", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "html.j2"]), undefined=jinja2.StrictUndefined)


def script_json(data: dict) -> str:
    """JSON safe inside a <script> element: no `</`, no HTML comment openers."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(data: dict) -> str:
    return _ENV.get_template("report.html.j2").render(d=data, data_json=Markup(script_json(data)))
