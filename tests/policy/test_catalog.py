"""The clause catalog: 87 clauses, in step with CLAUSES.md, each with an honest status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from policyhelp import SHARED_CLAUSES

from klaremont.errors import NotFound, PolicyFileError
from klaremont.policy import catalog_gen

if TYPE_CHECKING:
    from pathlib import Path

from klaremont.policy.catalog import (
    EXPECTED_CLAUSES,
    UnknownClauseError,
    load_catalog,
    parse_catalog,
)

WAVE_ONE_ISSUES = {
    "foundation",
    "staff-identity-and-access",
    "customer-data-store",
    "card-handling",
    "data-subject-rights",
    "consent-and-cookies",
}
# Staff identity, customer store and cards, rights and consent (issues 3 to 5).
WAVE_ONE = {
    *("IS-PW-HASH", "IS-PW-UNIQUE", "IS-PW-60", "IS-PW-STRONG", "IS-PW-LOCK3", "IS-RA-CRYPTO"),
    *("IS-RA-2FA", "IS-USE-CRED", "IS-USE-LOCK", "IS-USE-SCAN", "IS-SENS-NEED", "IS-SENS-VET"),
    *("IS-AC-LEAVER", "IS-AC-REVIEW", "IS-AC-INACTIVE", "IS-AC-MAINT", "IS-AC-LOGIN-LOG"),
    *("DP-AWARE", "PP-SRC", "PP-DATA", "PP-COMBINE", "DP-FAIR", "DP-PURPOSE", "DP-CONTROLLER"),
    *("IS-SENS-CONSENT", "IS-SENS-TRACK", "IS-SENS-CVV", "IS-SENS-MASK", "IS-AC-CHD-LOG"),
    *("PP-R-ACCESS", "PP-R-ERASE", "PP-R-RECTIFY", "PP-R-OBJECT", "PP-R-RESTRICT", "PP-R-PORT"),
    *("PP-OPTOUT", "PP-COOKIE", "DP-PROMPT", "DP-ACCURATE", "DP-DPO", "IS-SENS-EMAIL"),
}
# Wave 2: incident response (issue "incident-response"; SP-ISO belongs to staff identity).
WAVE_TWO = {
    *("SP-ISO", "SP-REPORT", "SP-IRT", "SP-IRP-INVESTIGATE", "SP-IRP-LOSS", "SP-IRP-CONTAIN"),
    *("SP-IRP-EVIDENCE", "SP-IRP-NOTIFY", "SP-IRT-MEMBERS", "SP-IRT-REPORT"),
}
WAVE_TWO_ISSUES = {"incident-response"}
# Wave 2: the guest and staff wireless (issue "guest-wireless").
WIRELESS = {"IS-WIFI-GUEST", "IS-WIFI-STAFF", "IS-WIFI-ISOLATE", "IS-WIFI-HOURS"}
# Wave 2: the media inventory and disposal (issue "media-inventory", part of #16).
MEDIA = {"IS-MEDIA-DISPOSE", "IS-MEDIA-PROTECT", "IS-MEDIA-INVENTORY", "IS-MEDIA-WIPE"}
# Wave 2: retention (issue "retention", #16).
RETENTION = {"PP-KEEP"}
# Wave 2: processors and transfers (issue "processors-and-transfers", #17, in part).
PROCESSORS = {"DP-TRANSFER", "IS-SENS-PCI3P", "PP-SUPPORT", "PP-NOSHARE", "IS-USE-DISCLOSE"}
# Wave 2: sanitised development copies (issue "development-copies", #19, in part).
SANITISE = {"IS-SENS-DEV"}
# Wave 2: the compliance view (issue "compliance-view", #20, in part).
COMPLIANCE = {"DP-LAW", "DP-GUIDE", "DP-REVIEW"}
FOUNDATION = {
    "DP-RETAIN",
    "DP-SECURE",
    "IS-SENS-SAFE",
    "IS-AC-CLOCK",
    "IS-USE-MONITOR",
    "PP-UK",
    "IS-SENS-TLS",
    "IS-SENS-DISPOSE",
}
needs_shared = pytest.mark.skipif(
    not SHARED_CLAUSES.exists(), reason=f"{SHARED_CLAUSES} (the numbered source) is not mounted"
)


def test_catalog_holds_87_unique_clauses():
    """The catalog has exactly 87 clauses and no ID twice."""
    catalog = load_catalog()
    assert len(catalog) == EXPECTED_CLAUSES == 87
    assert len(set(catalog.ids)) == 87
    assert {clause.document for clause in catalog} == {"PP", "DP", "IS", "SP"}


@needs_shared
def test_catalog_ids_match_clauses_md():
    """Every ID, scope and text in CLAUSES.md is in the catalog, in the same order."""
    parsed = catalog_gen.parse_markdown(SHARED_CLAUSES.read_text("utf-8"))
    catalog = load_catalog()
    assert [clause.id for clause in parsed] == list(catalog.ids)
    for clause in parsed:
        entry = catalog.get(clause.id)
        assert (entry.scope, entry.text, entry.expected_control) == (
            clause.scope,
            clause.text,
            clause.expected_control,
        )


@needs_shared
def test_generator_check_reports_the_catalog_in_step():
    """``catalog_gen --check`` passes on the committed catalog."""
    assert catalog_gen.main([str(SHARED_CLAUSES), "--check"]) == 0


def test_generator_keeps_decisions_and_defaults_new_clauses(tmp_path: Path):
    """Regeneration keeps recorded decisions; a new clause is planned with a guessed issue."""
    markdown = tmp_path / "CLAUSES.md"
    markdown.write_text(
        "| ID | Clause | Scope | Expected control |\n|---|---|---|---|\n"
        "| PP-UK | All servers are in the UK | A | residency setting |\n"
        "| IS-WIFI-NEW | A new wireless rule | S | something |\n"
        "| IS-AC-PHYS | Physical controls | O | physical rule |\n",
        "utf-8",
    )
    text = catalog_gen.render(
        catalog_gen.parse_markdown(markdown.read_text("utf-8")),
        catalog_gen.read_decisions(catalog_gen.CATALOG_PATH),
    )
    catalog = parse_catalog(text, expected=3)
    assert catalog.get("PP-UK").status == "implemented"
    assert catalog.get("IS-WIFI-NEW").status == "planned"
    assert catalog.get("IS-WIFI-NEW").issue == "guest-wireless"
    assert catalog.get("IS-AC-PHYS").justification


def test_generator_check_fails_on_a_stale_catalog(tmp_path: Path):
    """``--check`` exits 1 when the catalog differs from what the Markdown gives."""
    markdown = tmp_path / "CLAUSES.md"
    markdown.write_text("| PP-UK | All servers are in the UK | A | residency setting |\n", "utf-8")
    stale = tmp_path / "clauses.toml"
    stale.write_text(catalog_gen.CATALOG_PATH.read_text("utf-8"), "utf-8")
    with pytest.raises(PolicyFileError, match="1 clauses, expected 87"):
        catalog_gen.main([str(markdown), "--catalog", str(stale), "--check"])


def test_unknown_clause_id_raises():
    """Asking for an ID the catalog does not hold raises UnknownClauseError (a NotFound)."""
    catalog = load_catalog()
    assert catalog.get("IS-PW-LOCK3").scope == "S"
    assert "IS-PW-LOCK3" in catalog
    assert "IS-PW-LOCK4" not in catalog
    with pytest.raises(UnknownClauseError, match="IS-PW-LOCK4") as caught:
        catalog.get("IS-PW-LOCK4")
    assert isinstance(caught.value, NotFound)


def test_only_delivered_clauses_are_implemented():
    """Exactly the clauses delivered so far are marked implemented, each with its controls."""
    catalog = load_catalog()
    implemented = catalog.with_status("implemented")
    delivered = (
        FOUNDATION
        | WAVE_ONE
        | WAVE_TWO
        | WIRELESS
        | MEDIA
        | RETENTION
        | PROCESSORS
        | SANITISE
        | COMPLIANCE
    )
    assert {clause.id for clause in implemented} == delivered
    for clause in implemented:
        assert clause.controls
        assert clause.issue in {
            *WAVE_ONE_ISSUES,
            *WAVE_TWO_ISSUES,
            "guest-wireless",
            "media-inventory",
            "retention",
            "processors-and-transfers",
            "development-copies",
            "compliance-view",
        }
    assert catalog.get("IS-WIFI-HOURS").status == "implemented"
    assert catalog.get("PP-KEEP").status == "implemented"


def test_organisational_clauses_are_justified_and_others_have_an_issue():
    """Scope O clauses say why no control exists; every other clause names its roadmap issue."""
    for clause in load_catalog():
        if clause.scope == "O":
            assert clause.status == "organisational"
            assert clause.justification
            assert not clause.controls
        else:
            assert clause.status in {"implemented", "planned"}
            assert clause.issue


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('scope = "O"', 'scope = "S"'), "status: 'organisational' exactly when scope is 'O'"),
        (('id = "IS-USE-AV"', 'id = "DP-USE-AV"'), "id: must start with its document"),
        (('controls = ["klaremont.clock:SystemClock"', 'controls = ["os.path"'), "module path"),
        (('status = "implemented"', 'status = "done"'), "status: must be 'implemented'"),
    ],
)
def test_invalid_catalog_entries_are_refused(change, message):
    """A catalog entry that breaks a rule is refused with its clause and field."""
    text = catalog_gen.CATALOG_PATH.read_text("utf-8").replace(*change, 1)
    with pytest.raises(PolicyFileError, match="clause catalog is not valid") as caught:
        parse_catalog(text)
    assert message in caught.value.detail
