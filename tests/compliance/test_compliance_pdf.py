"""The compliance page as a PDF (the overview with its filters, one clause's drill-down),
and the drill-down's evidence: what each check reads and the records behind its answer."""

from __future__ import annotations

import pytest
from compliance_support import BROWSER, a_customer, overdue_request
from pdf_text import pdf_text

from klaremont.compliance import history, overview
from klaremont.compliance.pdf import plain
from klaremont.policy.live import (
    RECORDS_MAX,
    CheckResult,
    LiveContext,
    LiveRegistry,
    LiveStatus,
    live_check,
    staff_link,
)


def _pdf(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")
    return pdf_text(response.content)


@pytest.mark.policy("DP-LAW")
def test_the_overview_pdf_holds_each_clause_the_filters_keep(platform, signed_in):
    reference = overdue_request(platform, a_customer(platform))
    history.check_all(platform)
    dave = signed_in("dave")

    every = _pdf(dave, "/staff/compliance.pdf")
    assert "Klaremont compliance" in every
    assert "Showing: Every policy; live status any" in every
    for heading in overview.DOCUMENTS.values():
        assert heading in every
    for clause in ("PP-SRC", "DP-PROMPT", "IS-SENS-DEV", "SP-ISO"):
        assert clause in every
    assert reference in every  # the failing clause's reason
    assert "page 1 of" in every

    failing = _pdf(dave, "/staff/compliance.pdf?status=fails")
    assert "DP-PROMPT" in failing
    assert "Holds" not in failing.replace("Holds:", "")  # only the counts line says it
    assert "PP-SRC\n" not in failing

    security = _pdf(dave, "/staff/compliance.pdf?document=SP")
    assert "Showing: Security policy" in security
    assert "SP-ISO" in security
    assert "DP-PROMPT" not in security
    assert "Privacy policy" not in security


def test_an_unknown_filter_is_refused_naming_it(signed_in):
    refused = signed_in("dave").get("/staff/compliance.pdf?status=green", headers=BROWSER)
    assert refused.status_code == 422
    assert "Live status" in refused.text
    refused = signed_in("dave").get("/staff/compliance.pdf?document=XX", headers=BROWSER)
    assert refused.status_code == 422
    assert "Policy" in refused.text


def test_a_filter_nothing_matches_still_draws_a_pdf(signed_in):
    text = _pdf(signed_in("iris"), "/staff/compliance.pdf?status=holds")
    assert "No clause matches these filters." in text  # nothing ran: nothing holds yet


@pytest.mark.policy("DP-PROMPT")
def test_the_drill_down_shows_what_a_check_reads_and_links_the_overdue_request(platform, signed_in):
    reference = overdue_request(platform, a_customer(platform))
    dina = signed_in("dina")
    page = dina.get("/staff/compliance/DP-PROMPT", headers=BROWSER)
    assert page.status_code == 200
    assert "The query behind it" in page.text
    assert "every open data-subject request whose deadline" in page.text
    assert f'href="/staff/requests/{reference}"' in page.text
    assert "your roles do not open this record" not in page.text
    assert 'href="/staff/compliance/DP-PROMPT.pdf"' in page.text
    # the record's own page opens for the DPO
    assert dina.get(f"/staff/requests/{reference}", headers=BROWSER).status_code == 200

    text = _pdf(dina, "/staff/compliance/DP-PROMPT.pdf")
    assert "clause DP-PROMPT" in text
    assert "What it reads" in text
    assert f"Related records: {reference}" in text, text
    assert "History of its live status" in text


def test_a_record_the_viewer_cannot_open_is_named_not_linked(platform, signed_in):
    """A director sees the compliance view but may not read requests: the overdue request
    behind the answer is named, not linked to a page that would refuse them."""
    reference = overdue_request(platform, a_customer(platform))
    dave = signed_in("dave")
    page = dave.get("/staff/compliance/DP-PROMPT", headers=BROWSER)
    assert page.status_code == 200
    assert reference in page.text
    assert f'href="/staff/requests/{reference}"' not in page.text
    assert "your roles do not open this record" in page.text
    assert dave.get(f"/staff/requests/{reference}", headers=BROWSER).status_code == 403
    assert f"Related records: {reference}" in _pdf(dave, "/staff/compliance/DP-PROMPT.pdf")


def test_a_clause_without_a_check_or_history_still_draws(signed_in):
    text = _pdf(signed_in("dave"), "/staff/compliance/dp-law.pdf")
    assert "clause DP-LAW" in text
    assert "No test result recorded for this clause." in text
    assert "No status recorded yet." in text
    assert signed_in("dave").get("/staff/compliance/XX-NOPE.pdf").status_code == 404


def test_plain_keeps_what_the_core_font_has():
    assert plain("it\u2019s \u201cdone\u201d \u2013 \u00a3 5\u2026") == 'it\'s "done" - \u00a3 5...'
    assert plain("\u4e2d") == "?"


def test_each_check_answers_apart_with_its_records_and_what_it_reads():
    registry = LiveRegistry()

    @live_check("PP-SRC", registry=registry, reads="the collection channel of every record")
    def many(_ctx: LiveContext) -> CheckResult:
        """Docstring not shown when a check declares what it reads."""
        links = tuple(staff_link(f"R {n}", "requests", f"R {n}") for n in range(RECORDS_MAX + 5))
        return CheckResult(holds=False, detail="late", records=(*links, ("Outside", "https://x")))

    @live_check("PP-SRC", registry=registry)
    def broken(_ctx: LiveContext) -> CheckResult:
        """What it checks.

        More words, not shown."""
        raise RuntimeError("boom")

    @live_check("PP-SRC", registry=registry)
    def odd(_ctx: LiveContext) -> CheckResult:
        return "yes"  # type: ignore[return-value]

    runs = registry.run_each("PP-SRC", object())  # type: ignore[arg-type]
    assert [run.status for run in runs] == [LiveStatus.FAILS, LiveStatus.ERROR, LiveStatus.ERROR]
    assert len(runs[0].records) == RECORDS_MAX
    assert runs[0].records[0] == ("R 0", "/staff/requests/R%200")
    assert "boom" in runs[1].detail
    assert "returned str" in runs[2].detail
    assert registry.reads(many) == "the collection channel of every record"
    assert registry.reads(broken) == "What it checks."
    assert registry.reads(odd) == ""
    assert registry.run("PP-SRC", object()).status is LiveStatus.ERROR  # type: ignore[arg-type]
    assert registry.run("PP-DATA", object()).status is LiveStatus.NO_CHECK  # type: ignore[arg-type]

    shown = overview.check_view(
        runs[0].__class__(
            many, LiveStatus.FAILS, "late", (("Outside", "https://x"), ("In", "/staff/a"))
        )
    )
    assert shown.records == (("In", "/staff/a"),)  # only pages of the staff console
    assert shown.title == "Many"
    assert shown.status == "Fails"
