"""Sanitise fixtures (see sanitize_support)."""

from __future__ import annotations

from sanitize_support import pg_target, seeded

__all__ = ["pg_target", "seeded"]
