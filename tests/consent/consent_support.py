"""Consent test helpers: people to record choices for."""

from __future__ import annotations

import uuid

from klaremont.audit.events import Actor, ActorType
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.testing.staff import STAFF_PASSWORD, make_staff  # noqa: F401 - re-exported for the tests

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")


def make_subject(platform: Platform) -> uuid.UUID:
    """A data subject with no personal values (consent rows need only the id)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = Subject(created_at=uow.clock.now())
        uow.session.add(subject)
        uow.session.flush()
        return subject.id


def set_state(platform: Platform, subject_id: uuid.UUID, **fields: object) -> None:
    """Set processing-state columns (restricted_at, marketing_objection_at, erased_at)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = uow.session.get(Subject, subject_id)
        assert subject is not None
        for name, value in fields.items():
            setattr(subject, name, value)


def staff_headers(client, username: str) -> dict[str, str]:
    """Sign a staff member in through the API; the anti-forgery header for unsafe requests."""
    response = client.post(
        "/api/auth/login", json={"username": username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}
