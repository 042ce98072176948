"""A scan's report: JSON (and back), SARIF 2.1.0 for CI, a standalone HTML page, a rich table.

Every format is built from the masked findings: no format can hold more of a value than
the masked sample (a card number's last four digits).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.table import Table

from klaremont.detectors.kinds import Kind, Severity
from klaremont.display import uk_datetime
from klaremont.scan.findings import Finding, ScanResult, SourceCounts

SCHEMA: Final = "klaremont-scan/1"
SHOWN: Final = 500  # findings listed on the HTML page
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_SARIF_LEVEL: Final = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.REVIEW: "warning",
    Severity.INFO: "note",
}
_FINDING_FIELDS: Final = (
    "line",
    "offset",
    "table",
    "column",
    "key",
    "brand",
    "note",
    "allowed",
)


def to_dict(result: ScanResult) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "schema": SCHEMA,
        "label": result.label,
        "started_at": result.started_at.isoformat(),
        "seconds": round(result.seconds, 3),
        "bytes": result.bytes,
        "kinds": sorted(k.value for k in result.kinds),
        "clean": result.clean,
        "counts": {k.value: n for k, n in sorted(result.counts().items())},
        "problems": list(result.problems),
        "sources": [
            {
                "source": s.source,
                "bytes": s.bytes,
                "counts": {k.value: n for k, n in sorted(s.counts.items())},
                "accepted": {k.value: n for k, n in sorted(s.allowed.items()) if n},
            }
            for s in result.sources.values()
        ],
        "findings": [
            {"kind": f.kind.value, "severity": f.severity.value, "source": f.source}
            | {"where": f.where, "sample": f.sample}
            | {name: getattr(f, name) for name in _FINDING_FIELDS if getattr(f, name) is not None}
            for f in result.findings
        ],
    }


def to_json(result: ScanResult) -> str:
    """The report as JSON."""
    return json.dumps(to_dict(result), indent=1, ensure_ascii=False)


def from_json(text: str) -> ScanResult:
    """A report read back from :func:`to_json` (for the console and the API)."""
    data = json.loads(text)
    result = ScanResult(
        label=data["label"],
        kinds=frozenset(Kind(k) for k in data["kinds"]),
        started_at=datetime.fromisoformat(data["started_at"]),
        problems=list(data["problems"]),
        seconds=float(data["seconds"]),
    )
    for item in data["sources"]:
        result.sources[item["source"]] = SourceCounts(
            item["source"],
            Counter({Kind(k): int(n) for k, n in item["counts"].items()}),
            Counter({Kind(k): int(n) for k, n in item.get("accepted", {}).items()}),
            int(item["bytes"]),
        )
    for item in data["findings"]:
        fields = {name: item[name] for name in _FINDING_FIELDS if name in item}
        result.findings.append(
            Finding(Kind(item["kind"]), item["source"], item["sample"], **fields)
        )
    return result


def to_sarif(result: ScanResult) -> str:
    """The report as SARIF 2.1.0: one rule per kind, one result per finding not accepted."""
    rules = [
        {
            "id": kind.value,
            "name": kind.label,
            "shortDescription": {"text": kind.label},
            "defaultConfiguration": {"level": _SARIF_LEVEL[kind.severity]},
        }
        for kind in sorted(result.kinds)
    ]
    results = []
    for finding in result.findings:
        location: dict[str, Any] = {"artifactLocation": {"uri": finding.source}}
        if finding.line is not None:
            location["region"] = {"startLine": finding.line}
        elif finding.offset is not None:
            location["region"] = {"byteOffset": finding.offset}
        entry: dict[str, Any] = {
            "ruleId": finding.kind.value,
            "level": _SARIF_LEVEL[finding.severity],
            "message": {"text": f"{finding.kind.label} at {finding.where}: {finding.sample}"},
            "locations": [{"physicalLocation": location}],
        }
        if finding.allowed is not None:
            entry["suppressions"] = [{"kind": "external", "justification": finding.allowed}]
        results.append(entry)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "klaremont-scan", "informationUri": "", "rules": rules}
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=1, ensure_ascii=False)


def to_html(result: ScanResult) -> str:
    """The report as one standalone, escaped HTML page."""

    def ranked(kinds: set[Kind]) -> list[Kind]:
        return sorted(kinds, key=lambda k: (list(Severity).index(k.severity), k.value))

    seen = {k for s in result.sources.values() for k, n in s.counts.items() if n}
    kinds = ranked(seen | {k for k in result.kinds if k.is_card_data})
    order = list(Severity)
    findings = sorted(result.findings, key=lambda f: (order.index(f.severity), f.source))
    return _ENV.get_template("scan_report.html").render(
        result=result,
        started=uk_datetime(result.started_at),
        looked_for=", ".join(k.label for k in ranked(set(result.kinds))),
        kinds=kinds,
        sources=list(result.sources.values()),
        findings=findings[:SHOWN],
        shown=min(SHOWN, len(findings)),
        total=len(findings),
        card_data=len(result.card_data()),
    )


def table(result: ScanResult, limit: int = 40) -> Table:
    """The findings as a rich table for the terminal (the first ``limit``)."""
    view = Table(title=f"Findings ({len(result.findings)})", title_justify="left")
    for name in ("What", "Where", "Sample", "Accepted"):
        view.add_column(name)
    order = list(Severity)
    shown = sorted(result.findings, key=lambda f: (order.index(f.severity), f.source))
    for finding in shown[:limit]:
        style = "bold red" if finding.severity is Severity.CRITICAL else None
        view.add_row(
            finding.kind.label,
            f"{finding.source} {finding.where}",
            finding.sample,
            finding.allowed or "",
            style=style,
        )
    return view


def counts_table(result: ScanResult) -> Table:
    """Exact counts per kind, found and accepted."""
    view = Table(title="Counts", title_justify="left")
    view.add_column("Kind")
    view.add_column("Found", justify="right")
    view.add_column("Accepted", justify="right")
    found = result.counts(remaining=False)
    left = result.counts()
    for kind in sorted(found, key=lambda k: (list(Severity).index(k.severity), k.value)):
        view.add_row(kind.label, f"{found[kind]:,}", f"{found[kind] - left.get(kind, 0):,}")
    return view
