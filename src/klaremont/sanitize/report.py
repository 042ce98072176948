"""A run's report as JSON and as a standalone HTML page (no script, no inline style)."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, select_autoescape

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sanitised copy {{ r.reference }}</title></head>
<body>
<h1>Sanitised copy {{ r.reference }}</h1>
<p>From {{ r.source }} to {{ r.target }}, started {{ r.started_at }}, {{ r.seconds }} s,
{{ r.rows_written }} rows ({{ r.rows_per_second }} rows/s). Run key fingerprint
{{ r.key_fingerprint }}.</p>
{% set v = r.verification %}
<h2>Verification: {{ "passed" if v.passed else "FAILED (the copy was deleted)" }}</h2>
<ul>
<li>Foreign keys: {{ "all hold" if v.foreign_keys.holds
 else v.foreign_keys.problems|join(", ") }}</li>
<li>Live card data found by the scanner: {{ v.live_card_findings }}</li>
<li>Source personal values found in the copy: {{ v.source_values_found }}{% if
 v.source_values_found_in %} (in {{ v.source_values_found_in|join(", ") }}){% endif %}
 (coincidences with the run's own fakes: {{ v.coincidences_with_fakes }})</li>
<li>Fakes equal to their source: {{ v.fakes_equal_to_source|length }}</li>
</ul>
{% if r.stages %}<h2>Where the time went</h2>
<table><tr><th>Stage</th><th>Seconds</th></tr>
{% for name, seconds in r.stages.items() %}<tr><td>{{ stage_words.get(name, name) }}</td>
<td>{{ seconds }}</td></tr>{% endfor %}</table>{% endif %}
{% if r.transform_work %}{% set w = r.transform_work %}<p>The rules themselves took
{{ w.seconds }} s of work in {{ w.processes }} process{{ "es" if w.processes > 1 else "" }}:
{{ w.rows_per_second_on_those_cores }} rows/s on {{ w.processes }}
core{{ "s" if w.processes > 1 else "" }} (the stage above is the time the writing waited
for them; the rest of their work overlapped the writing).</p>{% endif %}
<h2>Unique columns</h2>
<table><tr><th>Table (columns)</th><th>Source</th><th>Copy</th></tr>
{% for name, u in v.unique_columns.items() %}<tr><td>{{ name }}</td><td>{{ u.source }}</td>
<td>{{ u["copy"] }}{% if not u.equal %} (differs){% endif %}</td></tr>
{% endfor %}</table>
<h2>Tables and rules</h2>
{% for t in r.tables %}<h3>{{ t.table }}{% if t.personal %} (personal data){% endif %}</h3>
{% if t.dropped %}<p>Not copied: {{ t.dropped }}.</p>{% else %}
<p>{{ t.rows_read }} read, {{ t.rows_left_out }} left out, {{ t.rows_written }} written.</p>
<table><tr><th>Column</th><th>Rule</th></tr>
{% for c, rule in t.columns.items() %}<tr><td>{{ c }}</td><td>{{ rule }}</td></tr>{% endfor %}
</table>{% endif %}
{% endfor %}
</body></html>
"""
_ENV = Environment(autoescape=select_autoescape(default=True))
#: the report's stages in words
STAGE_WORDS = {
    "prepare": "Making the copy's schema and keys",
    "keys": "Unwrapping production's keys for the worker processes",
    "read": "Reading the source (SQLite with workers: only where each batch begins)",
    "transform": "Applying the rules (waiting for the workers, which read SQLite's rows)",
    "write": "Writing rows and the copy's keys",
    "index": "Building indexes and constraints",
    "rank_and_other": "Ranking e-mails and user names, and the rest",
    "verify": "Verifying the copy",
}


def to_json(report: dict[str, Any]) -> str:
    """The report as JSON."""
    return json.dumps(report, indent=2, sort_keys=True)


def to_html(report: dict[str, Any]) -> str:
    """The report as a standalone HTML page."""
    return _ENV.from_string(_PAGE).render(r=report, stage_words=STAGE_WORDS)
