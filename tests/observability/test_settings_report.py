"""The settings report's edges, in process: refusals outside a field, rows when the
environment does not load, masking, and the multiprocess directory's preparation."""

from __future__ import annotations

import pytest
from prometheus_client import values
from pydantic import ValidationError
from pydantic_settings import SettingsError

from klaremont import metrics as platform_metrics
from klaremont import settings_report
from klaremont.config import Settings
from klaremont.errors import ConfigurationError


def test_a_refusal_outside_any_field_names_the_prefix() -> None:
    """A keyword no field has, and a parse error naming no field, still give one line."""
    with pytest.raises(ValidationError) as caught:
        Settings(no_such_field=1)  # type: ignore[call-arg] # the refusal under test
    assert settings_report.explain(Settings, caught.value) == [
        "KLAREMONT_*: Extra inputs are not permitted"
    ]
    assert settings_report.explain(Settings, SettingsError("bad source\nmore")) == [
        "KLAREMONT_*: bad source"
    ]


def test_rows_show_defaults_when_the_environment_does_not_load(monkeypatch) -> None:
    """A bad value elsewhere: the listing still shows every setting (defaults as current)."""
    monkeypatch.setenv("KLAREMONT_PORT", "not-a-port")
    monkeypatch.setenv("KLAREMONT_KEK", "c2VjcmV0")
    rows = {row.name: row for row in settings_report.rows()}
    assert rows["KLAREMONT_PORT"].current == "8000"
    assert rows["KLAREMONT_PORT"].from_environment
    assert rows["KLAREMONT_KEK"].current == settings_report.MASK
    assert rows["KLAREMONT_SECRET_KEY"].default == "(built-in development value)"
    assert rows["KLAREMONT_OFFICE_NETWORKS"].default == '["127.0.0.0/8", "::1/128"]'
    with pytest.raises(ConfigurationError, match="KLAREMONT_PORT"):
        settings_report.check_environment()


def test_a_url_password_is_masked_in_the_listing(monkeypatch) -> None:
    """The current value of a database URL hides its password."""
    monkeypatch.setenv("KLAREMONT_DATABASE_URL", "postgresql+psycopg://app:s3cret@db/k")
    rows = {row.name: row for row in settings_report.rows()}
    assert rows["KLAREMONT_DATABASE_URL"].current == "postgresql+psycopg://app:********@db/k"


def test_no_multiprocess_directory_changes_nothing(monkeypatch) -> None:
    """Without a path or the variable, multiprocess mode stays off."""
    monkeypatch.delenv(platform_metrics.MULTIPROC_ENV, raising=False)
    monkeypatch.delenv(platform_metrics.MULTIPROC_ENV.lower(), raising=False)
    assert platform_metrics.prepare_multiprocess_dir() is None
    assert platform_metrics.multiprocess_dir() is None


def test_preparing_a_directory_empties_it(tmp_path, monkeypatch) -> None:
    """A given path is created, emptied of files and folders, and becomes the variable."""
    directory = tmp_path / "metrics"
    (directory / "old").mkdir(parents=True)
    (directory / "gauge_1.db").write_bytes(b"x")
    monkeypatch.delenv(platform_metrics.MULTIPROC_ENV, raising=False)
    try:
        assert platform_metrics.prepare_multiprocess_dir(directory) == directory
        assert list(directory.iterdir()) == []
        assert platform_metrics.multiprocess_dir() == directory
    finally:
        monkeypatch.delenv(platform_metrics.MULTIPROC_ENV, raising=False)
        values.ValueClass = values.get_value_class()
