"""Generates ``clauses.toml`` from ``CLAUSES.md``, keeping the decisions already recorded.

The text columns (ID, document, scope, clause, expected control) come from the Markdown
tables. The decisions (status, controls, issue, justification, note) are edited by hand in
``clauses.toml``; regeneration keeps them. A clause new to the Markdown gets ``planned`` (or
``organisational`` for scope O) and an issue guessed from its ID prefix.

    python -m klaremont.policy.catalog_gen /work/shared/policy/CLAUSES.md          # rewrite
    python -m klaremont.policy.catalog_gen /work/shared/policy/CLAUSES.md --check  # CI
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from klaremont.policy.catalog import CATALOG_NAME, parse_catalog

CATALOG_PATH = Path(__file__).with_name(CATALOG_NAME)
_ROW = re.compile(r"\|\s*(?P<id>(?:PP|DP|IS|SP)(?:-[A-Z0-9]+)+)\s*\|(?P<rest>.*)\|\s*$")

# First matching prefix wins; only used for clauses not yet in clauses.toml.
DEFAULT_ISSUES: tuple[tuple[str, str], ...] = (
    ("PP-R-", "data-subject-rights"),
    ("PP-COOKIE", "consent-and-cookies"),
    ("PP-OPTOUT", "consent-and-cookies"),
    ("PP-KEEP", "retention"),
    ("PP-SUPPORT", "processors-and-transfers"),
    ("PP-NOSHARE", "processors-and-transfers"),
    ("PP-", "customer-data-store"),
    ("DP-TRANSFER", "processors-and-transfers"),
    ("DP-", "compliance-view"),
    ("IS-WIFI-", "guest-wireless"),
    ("IS-MEDIA-", "media-inventory"),
    ("IS-SENS-DEV", "development-copies"),
    ("IS-SENS-TRACK", "card-handling"),
    ("IS-SENS-CVV", "card-handling"),
    ("IS-SENS-MASK", "card-handling"),
    ("IS-AC-CHD-LOG", "card-handling"),
    ("IS-", "staff-identity-and-access"),
    ("SP-", "incident-response"),
)
DECISION_KEYS = ("status", "controls", "issue", "justification", "note")


@dataclass(frozen=True, slots=True)
class ParsedClause:
    """One row of a CLAUSES.md table."""

    id: str
    document: str
    scope: str
    text: str
    expected_control: str


def parse_markdown(text: str) -> list[ParsedClause]:
    """Every clause row of the Markdown tables, in document order."""
    clauses: list[ParsedClause] = []
    for line in text.splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        cells = [cell.strip() for cell in match["rest"].split("|")]
        if len(cells) != 3:  # noqa: PLR2004 - clause, scope, expected control
            raise ValueError(f"{match['id']}: expected 4 columns, found {len(cells) + 1}")
        clause_text, scope, control = cells
        clauses.append(
            ParsedClause(
                id=match["id"],
                document=match["id"].split("-", 1)[0],
                scope=scope,
                text=clause_text,
                expected_control=control,
            )
        )
    return clauses


def default_issue(clause_id: str) -> str:
    """The roadmap capability guessed from the clause ID prefix."""
    for prefix, issue in DEFAULT_ISSUES:
        if clause_id.startswith(prefix):
            return issue
    return "unassigned"


def render(parsed: list[ParsedClause], decisions: dict[str, dict[str, Any]]) -> str:
    """The catalog TOML: text from ``parsed``, decisions kept from ``decisions`` by ID."""
    out = [
        "# Klaremont clause catalog, generated from policy/CLAUSES.md by",
        "# `python -m klaremont.policy.catalog_gen`. Text columns come from the Markdown;",
        "# status, controls, issue, justification and note are decisions edited here by",
        "# hand and kept on regeneration.",
        "#   status: implemented (control and tests exist) | planned (issue delivers it)",
        "#           | organisational (scope O: no system control; justification says why)",
    ]
    for clause in parsed:
        kept = decisions.get(clause.id, {})
        organisational = clause.scope == "O"
        status = kept.get("status") or ("organisational" if organisational else "planned")
        issue = kept.get("issue", "" if organisational else default_issue(clause.id))
        fields: list[tuple[str, Any]] = [
            ("id", clause.id),
            ("document", clause.document),
            ("scope", clause.scope),
            ("text", clause.text),
            ("expected_control", clause.expected_control),
            ("status", status),
            ("controls", list(kept.get("controls", []))),
            ("issue", issue),
            ("justification", kept.get("justification", "")),
            ("note", kept.get("note", "")),
        ]
        out.append("")
        out.append("[[clause]]")
        out.extend(f"{key} = {_toml_value(value)}" for key, value in fields)
    return "\n".join(out) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    # A JSON string is a valid TOML basic string for the text this catalog holds.
    return json.dumps(str(value), ensure_ascii=False)


def read_decisions(path: Path) -> dict[str, dict[str, Any]]:
    """The decision fields already recorded in ``path`` (empty when it does not exist)."""
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        entry["id"]: {key: entry[key] for key in DECISION_KEYS if key in entry}
        for entry in data.get("clause", [])
    }


def generate(markdown: Path, catalog: Path = CATALOG_PATH) -> str:
    """The catalog text for ``markdown``, validated, keeping ``catalog``'s decisions."""
    text = render(parse_markdown(markdown.read_text(encoding="utf-8")), read_decisions(catalog))
    parse_catalog(text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Rewrite the catalog, or with ``--check`` exit 1 when it is out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", type=Path, help="path to policy/CLAUSES.md")
    parser.add_argument("--catalog", type=Path, default=CATALOG_PATH)
    parser.add_argument("--check", action="store_true", help="fail when the catalog is stale")
    args = parser.parse_args(argv)
    text = generate(args.markdown, args.catalog)
    current = args.catalog.read_text(encoding="utf-8") if args.catalog.exists() else ""
    if args.check:
        if text != current:
            sys.stderr.write(f"{args.catalog} is out of date with {args.markdown}\n")
            return 1
        return 0
    args.catalog.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
