"""Helpers for the policy tests: the shipped policy as a mutable document, settings, contexts."""

from __future__ import annotations

import copy
import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from klaremont.clock import ManualClock
from klaremont.config import Environment, Settings
from klaremont.policy.live import StaticContext
from klaremont.policy.loader import load_policy

SHARED_CLAUSES = Path("/work/shared/policy/CLAUSES.md")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def shipped_text() -> str:
    """The shipped policy file's text."""
    return resources.files("klaremont.policy").joinpath("klaremont.toml").read_text("utf-8")


_SHIPPED = tomllib.loads(shipped_text())


def set_key(document: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.0.c`` in a parsed TOML document."""
    *parents, last = dotted.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def drop_key(document: dict[str, Any], dotted: str) -> None:
    """Remove ``a.b.c`` from a parsed TOML document."""
    *parents, last = dotted.split(".")
    node: Any = document
    for part in parents:
        node = node[part]
    del node[last]


def shipped_document() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped policy document."""
    return copy.deepcopy(_SHIPPED)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings under ``tmp_path`` with ``overrides``."""
    return Settings(var_dir=tmp_path / "var", **overrides)


def production_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings that pass every production check unless ``overrides`` break one."""
    values: dict[str, Any] = {
        "environment": Environment.PRODUCTION,
        "secret_key": "x" * 48,
        "database_url": "postgresql+psycopg://app@db.internal/klaremont",
        "keystore_url": "postgresql+psycopg://keys@keys.internal/keystore",
        "public_url": "https://shop.klaremont.example",
        "storage_region": "uk-london",
        "time_source": None,
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


def live_context(settings: Settings, *, clock: ManualClock | None = None) -> StaticContext:
    """A live context with the shipped policy and a manual clock at :data:`NOW`."""
    return StaticContext(
        settings=settings, policy=load_policy(None), clock=clock or ManualClock(NOW)
    )
