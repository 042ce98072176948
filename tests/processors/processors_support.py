"""Shared values of the processor tests."""

from __future__ import annotations

from klaremont.audit.events import Actor, ActorType

DPO = Actor(ActorType.STAFF, "dpo-test", "dpo-test")
