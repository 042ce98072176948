"""Who reads, for what: the purpose (and the staff member's roles) every read carries.

An :class:`Access` travels from the web route or CLI command into the services. It
decides which data categories a response may show (:meth:`Access.visible`: what the
purpose may touch, narrowed by what the roles may read) and asks
:func:`klaremont.purposes.decide.authorise` before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from klaremont.audit.events import ActionTag
from klaremont.customers.actions import CustomerAction
from klaremont.personal_reads import PersonalRead, announce
from klaremont.policy.purposes import Purpose
from klaremont.purposes.decide import actor_roles, authorise
from klaremont.purposes.register import categories_for, role_categories

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable

    from klaremont.platform import UnitOfWork
    from klaremont.policy.model import DataCategory
    from klaremont.purposes.decide import Person
    from klaremont.staff.permissions import Role


@dataclass(frozen=True, slots=True)
class Access:
    """The stated purpose, the acting staff member's roles (when known) and a channel."""

    purpose: Purpose
    roles: frozenset[Role] | None = None
    channel: str | None = None

    @classmethod
    def of(cls, purpose: Purpose | str, roles: Iterable[Role] | None = None) -> Access:
        """Build from a purpose name and optional roles."""
        return cls(Purpose(purpose), frozenset(roles) if roles is not None else None)

    def resolved(self, uow: UnitOfWork) -> Access:
        """This access with the actor's roles looked up when it is staff and none were given."""
        if self.roles is not None:
            return self
        return replace(self, roles=actor_roles(uow))

    def visible(self, uow: UnitOfWork) -> frozenset[DataCategory]:
        """The categories a response may show: the purpose's, narrowed by the roles'."""
        allowed = categories_for(self.purpose)
        roles = self.resolved(uow).roles
        return allowed if roles is None else allowed & role_categories(roles)

    def authorise(
        self, uow: UnitOfWork, subject: Person | uuid.UUID, categories: Iterable[DataCategory]
    ) -> None:
        """Refuse (audited) unless this access may process ``categories`` of ``subject``."""
        authorise(
            uow,
            subject=subject,
            purpose=self.purpose,
            categories=categories,
            actor_roles=self.roles,
            channel=self.channel,
        )


def audit_read(
    uow: UnitOfWork,
    access: Access,
    resource: str,
    categories: Iterable[DataCategory],
    action: ActionTag = CustomerAction.PERSONAL_DATA_READ,
    **details: Any,
) -> None:
    """Record a successful read of personal data: actor, purpose, resource, categories."""
    uow.audit(
        action,
        resource=resource,
        purpose=access.purpose.value,
        details={"categories": sorted(c.value for c in categories), **details},
    )


def announce_read(  # noqa: PLR0917 - who read, whose data, which record, what
    uow: UnitOfWork,
    access: Access,
    subject_id: uuid.UUID,
    reference: str,
    what: str,
    categories: Iterable[DataCategory],
) -> None:
    """Tell the ``personal_read`` watchers that one person's data was read (after the read
    was authorised and audited; incident response's "high alert")."""
    announce(
        uow,
        PersonalRead(
            subject_id=subject_id,
            reference=reference,
            what=what,
            purpose=access.purpose.value,
            categories=tuple(sorted(c.value for c in categories)),
        ),
    )
