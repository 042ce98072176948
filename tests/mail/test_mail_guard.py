"""Mail bodies carry a code, a reference or a link only: never personal data (IS-SENS-EMAIL)."""

from __future__ import annotations

import pytest
from mail_support import TEST_ACTOR, make_subject
from sqlalchemy import func, select

from klaremont.errors import ValidationFailed
from klaremont.mail.models import OutboxMessage
from klaremont.mail.service import enqueue
from klaremont.mail.templates import (
    BreachNotice,
    DownloadReady,
    PersonalDataInMail,
    RequestPaused,
    RequestReceived,
    RequestResumed,
    RequestUpdated,
    VerificationCode,
    check_body,
)

PUBLIC = "https://klaremont.example"


@pytest.mark.policy("IS-SENS-EMAIL")
@pytest.mark.parametrize(
    "mail",
    [
        VerificationCode(code="12345678", valid_minutes=60),
        RequestReceived(reference="DSR-ABCD2345", path="/privacy/requests/abc"),
        RequestUpdated(reference="DSR-ABCD2345"),
        RequestPaused(reference="DSR-ABCD2345", need="clarification"),
        RequestPaused(reference="DSR-ABCD2345", need="identification", path="/privacy/requests/a"),
        RequestPaused(reference="DSR-ABCD2345", need="other"),
        RequestResumed(reference="DSR-ABCD2345", path="/privacy/requests/abc"),
        DownloadReady(
            reference="DSR-ABCD2345",
            path="/privacy/requests/0b9f6a6e-5a2d-4d43-9a43-111111111111/download?token=Zx_9-a",
        ),
        BreachNotice(
            reference="INC-2026-0012",
            nature="A file of customer accounts was copied from a web server.",
            consequences="You may receive convincing fake messages that claim to be from us.",
            measures="We closed the gap and reset every session; never share your password.",
            dpo_name="Dana O'Neill",
        ),
    ],
)
def test_every_template_passes_the_guard(mail):
    """Each template renders a body with no address, no long number and only its own link."""
    rendered = mail.render(PUBLIC)
    check_body(rendered.body, recipient="ada@example.com", safe_values=rendered.safe_values)
    assert "@" not in rendered.body
    assert all(v in rendered.body for v in rendered.safe_values)


@pytest.mark.policy("IS-SENS-EMAIL")
@pytest.mark.parametrize(
    ("body", "values"),
    [
        ("Your code is 1234 - sent to ada@example.com", ()),
        ("Call us back on 07700 900123", ()),
        ("Card 4111 1111 1111 1111 is on file", ()),
        ("Here is your data: https://evil.example/steal", ()),
        ("Hello Ada Lovelace, here is your code", ("Ada Lovelace",)),
        ("Your address 12 Station Road is wrong", ("12 Station Road",)),
    ],
)
def test_guard_refuses_personal_data(body, values):
    """The guard refuses addresses, phone and card numbers, foreign links and personal values."""
    with pytest.raises(PersonalDataInMail):
        check_body(body, recipient="ada@example.com", personal_values=values)


@pytest.mark.policy("IS-SENS-EMAIL")
def test_templates_refuse_values_that_are_not_a_code_reference_or_link():
    """A template field that is not a code, a reference or a privacy-centre path is refused."""
    with pytest.raises(ValidationFailed):
        VerificationCode(code="ada@example.com", valid_minutes=5).render(PUBLIC)
    with pytest.raises(ValidationFailed):
        RequestReceived(reference="Ada Lovelace").render(PUBLIC)
    with pytest.raises(ValidationFailed):
        DownloadReady(reference="DSR-ABCD2345", path="https://evil.example/x").render(PUBLIC)
    with pytest.raises(ValidationFailed):
        RequestUpdated(reference="DSR-ABCD2345", path="/privacy/../staff/").render(PUBLIC)
    with pytest.raises(ValidationFailed):  # what is needed is a fixed sentence, never a note
        RequestPaused(reference="DSR-ABCD2345", need="send your passport to x@y.z").render(PUBLIC)
    notice = {"nature": "Copied from a server.", "consequences": "Fake messages may come."}
    with pytest.raises(ValidationFailed):  # the DPO is a name, not an address
        BreachNotice(
            "INC-2026-0012", **notice, measures="Sessions reset.", dpo_name="x@y.z"
        ).render(PUBLIC)
    with pytest.raises(ValidationFailed):  # each text is plain words of a sensible length
        BreachNotice("INC-2026-0012", **notice, measures="-", dpo_name="Dana").render(PUBLIC)


@pytest.mark.policy("IS-SENS-EMAIL")
def test_enqueue_refuses_and_stores_nothing(platform):
    """Enqueueing a message that would carry a personal value stores nothing at all."""
    subject_id = make_subject(platform)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow, pytest.raises(PersonalDataInMail):
        enqueue(
            uow,
            subject_id=subject_id,
            to_address="ada@example.com",
            mail=RequestReceived(reference="LOVELACE-ADA"),
            personal_values=["Lovelace"],
        )
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
