"""Publishing, acknowledging and reviewing policy documents, the overdue lists, the work
list and the weekly reminders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from klaremont.audit.models import AuditEvent
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.mail.models import OutboxMessage
from klaremont.policydocs import library, my_work, overdue, reminders, service
from klaremont.policydocs.models import PolicyDocumentVersion
from klaremont.work import Urgency


def _actions(uow, action: str) -> list[dict]:
    rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    return [json.loads(r.details) for r in rows]


class _Who:
    def __init__(self, username: str, permissions: set[str]) -> None:
        self.username = username
        self.permissions = permissions
        self.account_id = None


def test_the_shipped_text_is_split_into_documents_and_numbered_sections():
    dp = library.shipped("DP")
    assert dp.title == "Data Protection Policy"
    assert [s.number for s in dp.sections] == ["DP.0", "DP.1", "DP.2"]
    assert "reviewing data protection procedures" in dp.sections[1].text
    security = library.shipped("IS")
    assert [s.heading for s in security.sections][:2] == [
        "Acceptable Use and Ethics",
        "Password Policy",
    ]
    assert len(library.shipped("SP").sections) == 4
    assert dp.content_hash == library.content_hash(dp.to_json())
    assert library.from_json(dp.to_json()) == dp


def test_a_malformed_document_file_is_refused_by_name():
    with pytest.raises(ValidationFailed, match="title"):
        library.parse("XX", "no title here")
    with pytest.raises(ValidationFailed, match="no sections"):
        library.parse("XX", "title: Empty")
    with pytest.raises(ValidationFailed, match="number, a heading and an owner"):
        library.parse("XX", "title: T\n== X.1 | heading only")
    with pytest.raises(ValidationFailed, match="document"):
        library.shipped("ZZ")


@pytest.mark.policy("DP-GUIDE", "DP-REVIEW")
def test_publishing_records_a_hashed_version_and_the_section_register(platform, staff):
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        done = service.publish(uow, "dp", "2026.1", by="Dina")
        assert done.document == "DP"
        assert done.new_sections == 3
        version = service.current(uow, "DP")
        assert version is not None
        assert version.content_hash == library.shipped("DP").content_hash
        assert service.version_document(version) == library.shipped("DP")
        register = service.sections(uow, "DP")
        interval = timedelta(days=platform.policy.review.policy_review_interval_days)
        assert {s.next_review_on for s in register} == {version.effective_on + interval}
        assert {s.owner_role for s in register} == {"dpo"}
        [audited] = _actions(uow, "policydoc.published")
        assert audited["content_hash"] == version.content_hash
        assert audited["version"] == "2026.1"


def test_publishing_refuses_bad_input_naming_the_field(platform, staff):
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        with pytest.raises(ValidationFailed) as bad_label:
            service.publish(uow, "DP", "no spaces allowed", by="Dina")
        assert bad_label.value.problems[0].field == "version"
        with pytest.raises(ValidationFailed) as bad_doc:
            service.publish(uow, "XX", "1", by="Dina")
        assert bad_doc.value.problems[0].field == "document"
        with pytest.raises(ValidationFailed) as nobody:
            service.publish(uow, "DP", "1", by="  ")
        assert nobody.value.problems[0].field == "by"
        with pytest.raises(ValidationFailed) as old:
            service.publish(
                uow, "DP", "1", by="Dina", effective_on=uow.clock.now().date() - timedelta(days=400)
            )
        assert old.value.problems[0].field == "effective"
        service.publish(uow, "DP", "1", by="Dina")
        with pytest.raises(Conflict):
            service.publish(uow, "DP", "1", by="Dina")


def test_a_version_is_current_from_its_effective_date(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        today = uow.clock.now().date()
        service.publish(uow, "DP", "2027.1", by="Dina", effective_on=today + timedelta(days=10))
        current = service.current(uow, "DP")
        assert current is not None
        assert current.label == "2026.1"
        assert service.get_version(uow, "DP", "2027.1").effective_on > today
        with pytest.raises(NotFound):
            service.get_version(uow, "DP", "1999.1")
    platform.clock.advance(timedelta(days=10))
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        current = service.current(uow, "DP")
        assert current is not None
        assert current.label == "2027.1"


def test_stored_text_altered_after_publication_is_refused(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        row = uow.session.scalars(
            select(PolicyDocumentVersion).where(PolicyDocumentVersion.document == "PP")
        ).one()
        row.content = row.content.replace("Klaremont", "Someone")
        with pytest.raises(Conflict, match="does not match its hash"):
            service.version_document(row)


@pytest.mark.policy("DP-AWARE")
def test_acknowledging_records_who_which_version_and_when_once(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["sal"]) as uow:
        first = service.acknowledge(uow, "DP", "sal", "2026.1")
        again = service.acknowledge(uow, "dp", "sal")
        assert again.id == first.id
        assert first.acknowledged_at == uow.clock.now()
        [audited] = _actions(uow, "policydoc.acknowledged")
        assert audited["document"] == "DP"
        assert audited["version"] == "2026.1"
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        service.publish(uow, "DP", "2026.2", by="Dina")
    with platform.unit_of_work(actor=staff["sal"]) as uow:
        # the page showed 2026.1; 2026.2 replaced it meanwhile
        with pytest.raises(ValidationFailed) as stale:
            service.acknowledge(uow, "DP", "sal", "2026.1")
        assert stale.value.problems[0].field == "version"
        with pytest.raises(ValidationFailed):
            service.acknowledge(uow, "DP", " ", "2026.2")


def test_nothing_to_acknowledge_before_a_version_is_in_force(platform, staff):
    with platform.unit_of_work(actor=staff["sal"]) as uow, pytest.raises(NotFound):
        service.acknowledge(uow, "DP", "sal")


@pytest.mark.policy("DP-AWARE")
def test_who_has_not_acknowledged_becomes_overdue_after_thirty_days(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        for key in library.DOCUMENT_KEYS:
            for name in staff:
                if name != "sal" or key != "IS":
                    service.acknowledge(uow, key, name)
        waiting = overdue.outstanding(uow)
        assert [(o.username, o.document, o.overdue) for o in waiting] == [("sal", "IS", False)]
        assert overdue.overdue_acknowledgements(uow) == []
    platform.clock.advance(timedelta(days=overdue.ACK_DAYS + 1))
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        [late] = overdue.overdue_acknowledgements(uow)
        assert (late.username, late.document, late.label) == ("sal", "IS", "2026.1")
        service.acknowledge(uow, "IS", "sal")
        assert overdue.overdue_acknowledgements(uow) == []


@pytest.mark.policy("DP-REVIEW")
def test_a_review_moves_the_next_review_a_year_on(platform, staff, published):
    del published
    platform.clock.advance(timedelta(days=366))
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        late = overdue.overdue_reviews(uow)
        assert len(late) == len(service.sections(uow))
        row = service.record_review(uow, "is.2", by="Iris", note="Checked against the login rules")
        assert row.last_reviewed_by == "Iris"
        assert row.next_review_on == uow.clock.now().date() + timedelta(days=365)
        assert "IS.2" not in {s.number for s in overdue.overdue_reviews(uow)}
        [audited] = _actions(uow, "policydoc.reviewed")
        assert audited["section"] == "IS.2"
        soon = overdue.reviews_due_soon(uow, 400)
        assert [s.number for s in soon] == ["IS.2"]


def test_a_review_refuses_bad_input_naming_the_field(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        today = uow.clock.now().date()
        cases = {
            "section": {"number": "IS.99", "by": "Iris"},
            "by": {"number": "IS.1", "by": ""},
            "reviewed_on": {"number": "IS.1", "by": "Iris", "reviewed_on": today + timedelta(1)},
            "note": {"number": "IS.1", "by": "Iris", "note": "x" * 501},
        }
        for field, kwargs in cases.items():
            number = kwargs.pop("number")
            with pytest.raises(ValidationFailed) as refused:
                service.record_review(uow, number, **kwargs)
            assert refused.value.problems[0].field == field


@pytest.mark.policy("DP-REVIEW")
def test_a_review_dated_before_the_last_one_cannot_replace_it(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["iris"]) as uow:
        today = uow.clock.now().date()
        service.record_review(uow, "IS.1", by="Iris", reviewed_on=today - timedelta(10))
        with pytest.raises(ValidationFailed) as refused:
            service.record_review(uow, "IS.1", by="Iris", reviewed_on=today - timedelta(400))
        assert refused.value.problems[0].field == "reviewed_on"
        assert "before the section's last review" in refused.value.problems[0].rule
        kept = service.record_review(uow, "IS.1", by="Iris", reviewed_on=today - timedelta(10))
        assert kept.last_reviewed_on == today - timedelta(10)


@pytest.mark.policy("DP-AWARE", "DP-REVIEW")
def test_reminders_go_once_a_week_to_who_is_overdue(platform, staff, published):
    del published
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        for key in library.DOCUMENT_KEYS:
            for name in staff:
                if name != "eve":
                    service.acknowledge(uow, key, name)
    platform.clock.advance(timedelta(days=367))
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        sent = reminders.send(uow)
        assert sent.acknowledgement_notices == 1
        assert sent.review_notices == 2  # the DPO's sections and the ISO's
        mail = list(uow.session.scalars(select(OutboxMessage)))
        to = sorted(m.to_address for m in mail)
        assert to == ["dina@klaremont.example", "eve@klaremont.example", "iris@klaremont.example"]
        eve = next(m for m in mail if m.to_address.startswith("eve"))
        assert "Information Security Policy, version 2026.1" in eve.body
        iris = next(m for m in mail if m.to_address.startswith("iris"))
        assert "IS.1 Acceptable Use and Ethics" in iris.body
        assert _actions(uow, "policydoc.reminded")[0]["messages"] == 3
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        again = reminders.send(uow)
        assert (again.acknowledgement_notices, again.review_notices, again.messages) == (0, 0, 0)
    platform.clock.advance(timedelta(days=7))
    assert "1 acknowledgement and 2 review notice(s), 3 message(s)" in reminders.run(platform)


def test_the_work_list_says_what_waits_for_each_person(platform, staff, published):
    del published
    reader = {"policies:read"}
    manager = reader | {"policies:manage"}
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        mine = my_work.items(uow, _Who("sal", reader))
        assert len(mine) == len(library.DOCUMENT_KEYS)
        assert {i.urgency for i in mine} == {Urgency.DUE}
        assert my_work.items(uow, _Who("sal", set())) == []
        for key in library.DOCUMENT_KEYS:
            service.acknowledge(uow, key, "dina")
        # nobody is overdue yet and every review is in date: nothing for the DPO to chase
        assert my_work.items(uow, _Who("dina", manager)) == []
    platform.clock.advance(timedelta(days=366))
    with platform.unit_of_work(actor=staff["dina"]) as uow:
        chased = {i.title: i for i in my_work.items(uow, _Who("dina", manager))}
        assert chased["Staff overdue on acknowledging a policy"].count == len(staff) - 1
        assert chased["Policy sections overdue for review"].urgency is Urgency.OVERDUE
        overdue_mine = my_work.items(uow, _Who("sal", reader))
        assert {i.urgency for i in overdue_mine} == {Urgency.OVERDUE}
