"""The processor register (IS-SENS-PCI3P), the record of processing (DP-LAW) and the live
checks, due list and Art. 15 information built from it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from processors_support import DPO
from rights_support import TEST_ACTOR, seed_person
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.processors import checks, my_work, ropa, service, share
from klaremont.processors.models import ProcessorShare
from klaremont.processors.permissions import ProcessorPermission
from klaremont.rights import access


@pytest.mark.policy("IS-SENS-PCI3P")
def test_card_data_to_a_processor_with_an_expired_attestation_is_refused(register, clock):
    """Valid attestation: shared. Expired: refused naming card_data and the expiry; audited;
    nothing recorded. A processor not recorded for card data is refused too."""
    asked = share.Share("thistle-payments", ["payment_cards"], "settlement file", card_data=True)
    with register.unit_of_work(actor=DPO) as uow:
        share.share(uow, asked)
    clock.advance(timedelta(days=30))  # the demo attestation expires in 21 days
    with register.unit_of_work(actor=DPO) as uow, pytest.raises(share.ShareRefused) as refused:
        share.share(uow, asked)
    problem = refused.value.problems[0]
    assert problem.field == "card_data"
    assert "expired" in problem.rule
    assert "IS-SENS-PCI3P" in problem.rule
    with register.unit_of_work(actor=DPO) as uow, pytest.raises(share.ShareRefused):
        share.share(uow, share.Share("emerald-mail", ["payment_cards"], "mistake"))
    with register.unit_of_work(actor=DPO) as uow:
        assert len(uow.session.scalars(select(ProcessorShare)).all()) == 1
        refusals = uow.session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "processor.share_refused")
        ).all()
        assert len(refusals) == 2
        assert all("IS-SENS-PCI3P" in d for d in refusals)


def _ctx(platform):
    return platform  # the platform is a live context with a database


class _NoDatabase:
    def __init__(self, platform):
        self.settings = platform.settings
        self.policy = platform.policy


@pytest.mark.policy("IS-SENS-PCI3P")
def test_live_check_fails_once_an_attestation_expires(register, clock):
    """Holds with the demo register; fails naming the processor once its AoC has expired."""
    assert checks.card_processors_hold_a_valid_attestation(_ctx(register)).holds
    clock.advance(timedelta(days=30))
    result = checks.card_processors_hold_a_valid_attestation(_ctx(register))
    assert not result.holds
    assert "Thistle Payments" in result.detail


@pytest.mark.policy("DP-TRANSFER")
def test_live_check_fails_for_a_transfer_without_a_risk_assessment(register):
    """Every processor abroad is covered in the demo register; clearing India's TRA fails it."""
    assert checks.every_transfer_has_adequacy_or_a_safeguard(_ctx(register)).holds
    with register.unit_of_work(actor=DPO) as uow:
        service.record_dates(uow, "sahyadri-it", {"tra_on": None})
    result = checks.every_transfer_has_adequacy_or_a_safeguard(_ctx(register))
    assert not result.holds
    assert "Sahyadri" in result.detail
    assert "transfer risk assessment" in result.detail


@pytest.mark.policy("DP-LAW")
def test_the_record_covers_every_category_and_exports(register, platform):
    """The Art. 30 record: a row per system with purposes, bases, retention and the transfer
    basis; CSV, JSON and HTML; the DP-LAW check fails on an empty record."""
    empty = checks.the_record_of_processing_covers_every_category(_NoDatabase(platform))
    assert (empty.holds, empty.unknown) == (False, True)  # no database: cannot tell, says so
    assert checks.the_record_of_processing_covers_every_category(_ctx(register)).holds
    with register.unit_of_work(actor=DPO) as uow:
        made = ropa.record(uow)
    rows = {row["system"]: row for row in made.rows}
    assert len(rows) == 6
    desk = rows["Support desk"]
    assert desk["country"] == "US"
    assert "partial UK adequacy" in desk["transfer"]
    assert "support (legitimate interest)" in desk["purposes"]
    assert "Queries and complaints: 24 months after contact resolved" in desk["retention"]
    assert "_" not in desk["retention"]  # categories and periods in words
    assert "IDTA" in rows["IT support partner"]["transfer"]
    assert ropa.to_csv(made).splitlines()[0].startswith("System,Run by")
    assert len(json.loads(ropa.to_json(made))["systems"]) == 6
    assert "<td>Support desk</td>" in ropa.to_html(made)


@pytest.mark.policy("DP-LAW")
def test_a_category_missing_from_the_record_fails_the_check(platform):
    """One system naming only identity: the check lists the categories with no system."""
    with platform.unit_of_work(actor=DPO) as uow:
        service.add_system(
            uow,
            service.NewSystem(
                "only",
                "Only",
                ["identity"],
                ["support"],
                "none",
                "here",
                "GB",
                "locks",
                "the customer",
            ),
        )
    result = checks.the_record_of_processing_covers_every_category(_ctx(platform))
    assert not result.holds
    assert "wifi_credentials" in result.detail


class _Principal:
    def __init__(self, *permissions):
        self.account_id = None
        self.permissions = frozenset(permissions)


def test_due_list_shows_expiring_contracts_and_attestations(register):
    """The DPO's my-work list: the attestation expiring in 21 days and the e-mail contract
    expiring in 45; nothing for a reader."""
    with register.unit_of_work(actor=DPO) as uow:
        dpo = my_work.items(uow, _Principal(ProcessorPermission.PROCESSORS_MANAGE))
        reader = my_work.items(uow, _Principal(ProcessorPermission.PROCESSORS_READ))
    titles = [item.title for item in dpo]
    assert "PCI DSS attestation: Thistle Payments Ltd" in titles
    assert "Contract: Emerald Mail Services Ltd" in titles
    assert titles[0] == "PCI DSS attestation: Thistle Payments Ltd"  # soonest first
    assert reader == []


@pytest.mark.policy("PP-R-ACCESS")
def test_access_copy_recipients_and_transfers_come_from_the_record(register):
    """The Art. 15 part names the processors holding the person's categories and each
    transfer outside the UK with its safeguard, not the fixed text."""
    alice = seed_person(register, "alice")
    with register.unit_of_work(actor=TEST_ACTOR) as uow:
        info = access.collect(uow, alice.subject_id).as_dict()["information"]
    who = {r["who"] for r in info["recipients"]}
    assert {"Northgate Hosting Ltd", "HelpHarbor Inc.", "Public authorities"} <= who
    transfers = {t["to"]: t for t in info["transfers_outside_the_uk"]}
    assert transfers["HelpHarbor Inc."]["country"] == "US"
    assert "IDTA" in transfers["Sahyadri IT Services Pvt Ltd"]["safeguard"]


def test_bad_input_names_the_field(platform):
    """Unknown country, category, mechanism for a UK processor, dates out of order."""
    cases = [
        ({"country": "UK"}, "country"),
        ({"categories": ["shoe_size"]}, "categories"),
        (
            {"dates": {"aoc_on": date(2026, 5, 1), "aoc_expires_on": date(2026, 4, 1)}},
            "aoc_expires_on",
        ),
        ({"key": "Bad Key"}, "key"),
    ]
    for change, field in cases:
        values = {"key": "x-1", "name": "X", "role": "r", "country": "GB",
                  "categories": ["identity"], "purposes": ["support"], "security": "s"}  # fmt: skip
        values.update(change)
        with platform.unit_of_work(actor=DPO) as uow, pytest.raises(Exception) as refused:
            service.add(uow, service.NewProcessor(**values))
        assert refused.value.problems[0].field == field, change
