"""Alembic environment: delegates to klaremont.db.migrate.run_env."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from alembic import context

from klaremont.db.migrate import run_env

if TYPE_CHECKING:
    from alembic.runtime.environment import EnvironmentContext

run_env(cast("EnvironmentContext", context))
