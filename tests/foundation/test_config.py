"""Settings: safe defaults for development, refusal of unsafe production settings."""

from __future__ import annotations

import pytest

from klaremont.config import Environment, Settings
from klaremont.errors import ConfigurationError

GOOD_PRODUCTION = {
    "environment": Environment.PRODUCTION,
    "database_url": "postgresql://klaremont@db/klaremont",
    "keystore_url": "postgresql://klaremont@keys/keystore",
    "secret_key": "x" * 48,
    "public_url": "https://privacy.klaremont.example",
}


def test_development_defaults_live_under_var(tmp_path) -> None:
    """The embedded default keeps the database, keystore and keys under the var directory."""
    settings = Settings(var_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'klaremont.db'}"
    assert settings.keystore_url == f"sqlite:///{tmp_path / 'keystore.db'}"
    assert settings.key_file == tmp_path / "keys" / "kek.json"
    settings.check()  # development never refuses


def test_production_with_safe_settings_starts() -> None:
    """Production settings with a real secret, PostgreSQL and https pass the check."""
    Settings(**GOOD_PRODUCTION).check()


@pytest.mark.policy("IS-SENS-TLS")
@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"secret_key": "dev-only-secret-never-use-in-production"}, "KLAREMONT_SECRET_KEY"),
        ({"secret_key": "short"}, "KLAREMONT_SECRET_KEY"),
        ({"database_url": "sqlite:///var/k.db"}, "KLAREMONT_DATABASE_URL"),
        ({"keystore_url": "postgresql://klaremont@db/klaremont"}, "KLAREMONT_KEYSTORE_URL"),
        ({"public_url": "http://privacy.klaremont.example"}, "KLAREMONT_PUBLIC_URL"),
    ],
)
def test_production_refuses_unsafe_setting(override, named) -> None:
    """Each unsafe production setting stops start-up with a message naming the setting."""
    settings = Settings(**{**GOOD_PRODUCTION, **override})
    with pytest.raises(ConfigurationError, match=named):
        settings.check()


@pytest.mark.policy("PP-UK")
def test_production_refuses_storage_outside_the_uk() -> None:
    """A storage region outside the UK is refused in production (all servers are in the UK)."""
    settings = Settings(**{**GOOD_PRODUCTION, "storage_region": "eu-west-1"})
    with pytest.raises(ConfigurationError, match="outside the UK"):
        settings.check()


def test_refusal_lists_every_problem_at_once() -> None:
    """All problems are reported together, so an operator fixes them in one pass."""
    settings = Settings(environment=Environment.PRODUCTION)
    problems = settings.production_problems()
    assert len(problems) >= 4
    assert not any("dev-only-secret" in p for p in problems)  # the secret itself is never echoed


def test_bad_office_network_is_refused() -> None:
    """An office network that is not a CIDR is refused with the setting's name."""
    with pytest.raises(ValueError, match="office_networks"):
        Settings(office_networks=["not-a-network"])


def test_environment_variables_are_read(monkeypatch, tmp_path) -> None:
    """Settings come from KLAREMONT_-prefixed environment variables."""
    monkeypatch.setenv("KLAREMONT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("KLAREMONT_PORT", "9123")
    settings = Settings()
    assert settings.port == 9123
    assert settings.var_dir == tmp_path
