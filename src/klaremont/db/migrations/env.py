"""Alembic environment: delegates to klaremont.db.migrate.run_env."""

from alembic import context

from klaremont.db.migrate import run_env

run_env(context)
