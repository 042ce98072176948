"""``KLAREMONT_JOB_INTERVALS``: ISO-8601 durations per job, refused clearly when wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from klaremont.errors import ConfigurationError
from klaremont.jobs.config import JobSettings, find_job, parse_intervals, scheduled_jobs
from klaremont.jobs.status import every_words

KNOWN = {"dsr-due-alert", "send-pending"}


def test_intervals_override_the_declared_ones(monkeypatch):
    monkeypatch.setenv("KLAREMONT_JOB_INTERVALS", "dsr-due-alert=PT2S, send-pending=PT30S")
    jobs = {job.name: job for job in scheduled_jobs()}
    assert jobs["dsr-due-alert"].every == timedelta(seconds=2)
    assert jobs["dsr-due-alert"].overridden
    assert jobs["send-pending"].every == timedelta(seconds=30)
    assert jobs["shred-due"].every == timedelta(days=1)
    assert not jobs["shred-due"].overridden


def test_empty_entries_are_ignored():
    assert parse_intervals(" , send-pending=P1D ,", KNOWN) == {"send-pending": timedelta(days=1)}
    assert parse_intervals("", KNOWN) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("send-pending", "'send-pending' is not job=duration"),
        ("=PT1S", "is not job=duration"),
        ("mail-send=PT30S", "no job called 'mail-send'"),
        ("send-pending=30s", "job 'send-pending': '30s' is not an ISO-8601 duration"),
        ("send-pending=P1M", "job 'send-pending': 'P1M' uses months or years"),
        ("send-pending=PT0S", "job 'send-pending': 'PT0S' must be at least one second"),
        ("send-pending=-PT5S", "job 'send-pending': '-PT5S' must be at least one second"),
    ],
)
def test_bad_intervals_are_refused_naming_the_setting_and_the_job(text, message):
    with pytest.raises(ConfigurationError, match="KLAREMONT_JOB_INTERVALS") as caught:
        parse_intervals(text, KNOWN)
    assert message in caught.value.detail


def test_find_job():
    assert find_job("shred-due", JobSettings()) is not None
    assert find_job("nope") is None


@pytest.mark.parametrize(
    ("every", "words"),
    [
        (timedelta(days=1), "every day"),
        (timedelta(days=14), "every 2 weeks"),
        (timedelta(minutes=5), "every 5 minutes"),
        (timedelta(hours=1), "every hour"),
        (timedelta(seconds=90), "every 90 seconds"),
        (timedelta(seconds=2.5), "every 2.5 seconds"),
        (timedelta(0), "continuously"),
    ],
)
def test_intervals_read_as_words(every, words):
    assert every_words(every) == words
