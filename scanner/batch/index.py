"""The batch index: `index.json` (a top-level `apps` list, one entry per app) and
`index.html` (the same rows as one escaped table linking to each app's report)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from scanner import __version__
from scanner.batch.app import AppRow

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>sellerscan batch: {{ rows|length }} app(s)</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.error{color:#a00}.findings{font-weight:bold}</style></head>
<body><h1>sellerscan batch: {{ rows|length }} app(s)</h1>
<p>{{ scanned }} scanned, {{ errors }} could not be scanned, {{ failing }} with violations
(sellerscan {{ version }}).</p>
<table><thead><tr><th>App</th><th>Status</th><th>Violations</th><th>By severity</th>
<th>PII kinds</th><th>Destinations</th><th>Files not analysed</th><th>Seconds</th>
<th>Error / notes</th></tr></thead><tbody>
{% for row in rows %}<tr>
<td>{% if row.status == "scanned" %}<a href="{{ row.reports.html }}">{{ row.name }}</a>
{%- else %}{{ row.name }}{% endif %}</td>
<td class="{{ row.status }}">{{ row.status }}</td>
<td class="findings">{{ row.findings }}</td>
<td>{% for k, n in row.severities.items() if n %}{{ k }}: {{ n }}<br>{% endfor %}</td>
<td>{% for k, n in row.pii_kinds.items() %}{{ k }}: {{ n }}<br>{% endfor %}</td>
<td>{% for k, n in row.destinations.items() %}{{ k }}: {{ n }}<br>{% endfor %}</td>
<td>{{ row.files_not_analysed }}</td><td>{{ row.scan_seconds }}</td>
<td>{% if row.error %}<span class="error">{{ row.error }}</span><br>{% endif %}
{%- for note in row.notes %}{{ note }}<br>{% endfor %}</td>
</tr>
{% endfor %}</tbody></table></body></html>
"""


def index_json(rows: Sequence[AppRow]) -> str:
    """`index.json`: the version, a summary and the `apps` list, in input order."""
    data = {
        "version": __version__,
        "summary": _summary(rows),
        "apps": [row.to_dict() for row in rows],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def index_html(rows: Sequence[AppRow]) -> str:
    """`index.html`: one table row per app; every value is escaped by jinja2."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(_TEMPLATE).render(rows=list(rows), version=__version__,
                                             **_summary(rows))


def _summary(rows: Sequence[AppRow]) -> dict[str, int]:
    return {
        "scanned": sum(r.status == "scanned" for r in rows),
        "errors": sum(r.status == "error" for r in rows),
        "failing": sum(r.findings > 0 for r in rows),
    }
