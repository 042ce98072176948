"""The transfer guard (DP-TRANSFER): adequacy as dated data, partial adequacy for certified
recipients only, safeguards with a transfer risk assessment; refused on every path."""

from __future__ import annotations

from datetime import date

import pytest
from processors_support import DPO
from rights_support import TEST_ACTOR, Receiver, seed_person
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.policy.loader import load_policy
from klaremont.processors import service, share
from klaremont.processors.models import ProcessorShare
from klaremont.rights import fulfil, intake
from klaremont.rights.models import Transmission
from klaremont.rights.states import RequestKind
from klaremont.rights.transmit import TRANSMITTER_EXTRA, Transmitter
from klaremont.transfers import Mechanism, Safeguard, TransferRefused, assess

TODAY = date(2026, 12, 7)


def _policy():
    return load_policy(None).transfers


@pytest.mark.policy("DP-TRANSFER")
def test_adequacy_is_data_with_effective_dates():
    """Korea is adequate from 19/12/2022, not before; the US DPF extension from 12/10/2023
    and for certified organisations only; the UK itself is no transfer at all."""
    policy = _policy()
    assert assess(policy, "GB", TODAY, []).allowed
    assert assess(policy, "IE", TODAY, []).allowed
    assert assess(policy, "KR", date(2023, 1, 1), []).allowed
    assert not assess(policy, "KR", date(2022, 12, 1), []).allowed
    certified = [Safeguard("helpharbor", "US", Mechanism.PARTIAL_ADEQUACY)]
    assert assess(policy, "US", TODAY, certified).allowed
    assert not assess(policy, "US", date(2023, 9, 1), certified).allowed
    refused = assess(policy, "US", TODAY, [])
    assert not refused.allowed
    assert "Data Privacy Framework" in refused.missing


@pytest.mark.policy("DP-TRANSFER")
def test_a_non_adequate_country_needs_an_idta_with_a_risk_assessment():
    """India: refused bare, refused with an IDTA but no TRA, allowed with both."""
    policy = _policy()
    bare = assess(policy, "IN", TODAY, [])
    assert not bare.allowed
    assert "IN has no UK adequacy" in bare.missing
    idta = Safeguard("sahyadri-it", "IN", Mechanism.IDTA, signed_on=date(2026, 1, 5))
    no_tra = assess(policy, "IN", TODAY, [idta])
    assert not no_tra.allowed
    assert "transfer risk assessment" in no_tra.missing
    with_tra = Safeguard("sahyadri-it", "IN", Mechanism.IDTA, date(2026, 1, 5), date(2026, 1, 8))
    allowed = assess(policy, "IN", TODAY, [with_tra])
    assert allowed.allowed
    assert "IDTA" in allowed.basis


def _new(key: str, country: str, mechanism: Mechanism, **dates: date) -> service.NewProcessor:
    return service.NewProcessor(
        key=key, name=key.title(), role="test processor", country=country,
        categories=["identity", "contact"], purposes=["support"], security="test",
        mechanism=mechanism, host=f"{key}.example.org",
        dates={"dpa_signed_on": date(2026, 1, 1), **dates},
    )  # fmt: skip


@pytest.mark.policy("DP-TRANSFER")
def test_processor_share_to_a_non_adequate_country_is_refused_then_allowed_with_an_idta(platform):
    """The share service asks the guard: refused (problem naming the field, the country and
    what is missing; audited; nothing recorded), then allowed once an IDTA and TRA are recorded."""
    with platform.unit_of_work(actor=DPO) as uow:
        service.add(uow, _new("brazil-help", "BR", Mechanism.IDTA))
    asked = share.Share("brazil-help", ["identity"], "ticket 42: login fault")
    with platform.unit_of_work(actor=DPO) as uow, pytest.raises(TransferRefused) as refused:
        share.share(uow, asked)
    problem = refused.value.problems[0]
    assert problem.field == "processor"
    assert "BR" in problem.rule
    assert "DP-TRANSFER" in problem.rule
    assert "IDTA" in problem.rule
    with platform.unit_of_work(actor=DPO) as uow:
        assert uow.session.scalars(select(ProcessorShare)).all() == []
        events = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "transfer.refused")
        ).all()
        assert len(events) == 1
        assert '"path":"processor_share"' in events[0].details
        service.record_dates(
            uow,
            "brazil-help",
            {"safeguard_signed_on": date(2026, 11, 1), "tra_on": date(2026, 11, 2)},
        )
    with platform.unit_of_work(actor=DPO) as uow:
        made = share.share(uow, asked)
        assert "IDTA" in made.basis


@pytest.fixture
def receiver():
    """A local HTTPS server standing for the other organisation."""
    server = Receiver()
    yield server
    server.close()


def _portability(platform, person, **kwargs):
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        made = intake.submit_signed_in(uow, person.identity, RequestKind.PORTABILITY)
        return fulfil.fulfil(uow, made.id, **kwargs)


@pytest.mark.policy("DP-TRANSFER")
def test_portability_transmission_to_a_non_adequate_country_is_refused(platform, receiver):
    """A recipient in India without a safeguard: refused before anything is sent, naming
    recipient_country; nothing sent, no transmission recorded; audited."""
    platform.extras[TRANSMITTER_EXTRA] = Transmitter(
        context=receiver.client_context, allow_private=True, timeout=5
    )
    alice = seed_person(platform, "alice")
    with pytest.raises(TransferRefused) as refused:
        _portability(platform, alice, recipient_url=receiver.url, recipient_country="IN")
    assert refused.value.problems[0].field == "recipient_country"
    assert "IN" in refused.value.problems[0].rule
    assert receiver.received == []
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalars(select(Transmission)).all() == []
        assert uow.session.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "transfer.refused")
        )


@pytest.mark.policy("DP-TRANSFER")
def test_portability_needs_the_country_and_is_allowed_with_a_recorded_idta(platform, receiver):
    """No country: refused naming the field. A recipient host recorded with an IDTA and a
    TRA: sent, and the basis is in the outcome."""
    platform.extras[TRANSMITTER_EXTRA] = Transmitter(
        context=receiver.client_context, allow_private=True, timeout=5
    )
    alice = seed_person(platform, "alice")
    with pytest.raises(Exception) as missing:
        _portability(platform, alice, recipient_url=receiver.url)
    assert missing.value.problems[0].field == "recipient_country"
    with platform.unit_of_work(actor=DPO) as uow:
        new = _new("indian-shop", "IN", Mechanism.IDTA, safeguard_signed_on=date(2026, 1, 1),
                   tra_on=date(2026, 1, 2))  # fmt: skip
        service.add(uow, new)
        found = service.find(uow, "indian-shop")
        found.host = "127.0.0.1"
    done = _portability(platform, alice, recipient_url=receiver.url, recipient_country="IN")
    assert done.outcome["transmission"]["outcome"] == "delivered"
    assert "IDTA" in done.outcome["transmission"]["transfer_basis"]
    assert len(receiver.received) == 1
