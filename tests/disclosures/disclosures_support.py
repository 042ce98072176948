"""Shared helpers of the disclosure tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from klaremont.audit.events import Actor, ActorType
from klaremont.disclosures import service
from klaremont.staff.models import StaffAccount
from klaremont.staff.permissions import Role
from klaremont.testing.staff import make_staff

if TYPE_CHECKING:
    from klaremont.platform import Platform


@dataclass(frozen=True)
class Cast:
    """The people who act in the tests."""

    dpo: Actor
    director: Actor
    other_director: Actor
    support: Actor


def actor_of(platform: Platform, username: str) -> Actor:
    """The staff actor of ``username``."""
    with platform.unit_of_work(actor=Actor(ActorType.SYSTEM, "test")) as uow:
        account_id = uow.session.scalar(
            select(StaffAccount.id).where(StaffAccount.username == username)
        )
    return Actor(ActorType.STAFF, str(account_id), username)


def make_cast(platform: Platform) -> Cast:
    """Create the staff and return their actors."""
    names = {
        "dpo": Role.DPO,
        "dirk": Role.DIRECTOR,
        "dina": Role.DIRECTOR,
        "sue": Role.SUPPORT_AGENT,
    }
    for name, role in names.items():
        make_staff(platform, name, role)
    return Cast(
        dpo=actor_of(platform, "dpo"),
        director=actor_of(platform, "dirk"),
        other_director=actor_of(platform, "dina"),
        support=actor_of(platform, "sue"),
    )


def police_request(
    customers: list[str],
    *,
    country: str = "GB",
    contact: str | None = "disclosures@police.example",
    basis_reference: str = "DPA 2018 Sch 2 para 2 (crime prevention)",
    categories: tuple[str, ...] = ("contact", "orders"),
    name: str = "Test Constabulary",
) -> service.NewDisclosure:
    """A police request for these customers."""
    return service.NewDisclosure(
        recipient_name=name,
        recipient_kind="police",
        recipient_country=country,
        customers=customers,
        categories=list(categories),
        basis_kind="statutory_obligation",
        basis_reference=basis_reference,
        reason="Suspected fraud on an order; the force asks who placed it.",
        recipient_contact=contact,
    )
