"""Prometheus metrics (prometheus-client): the scrape-time collector and multiprocess mode.

Values held in the database (the audit chain head, staff lockouts, the mail outbox) are
read when Prometheus scrapes, by :class:`PlatformCollector`: it asks every contribution to
the capability extension point ``"metrics"``, each a callable
``collect(platform) -> list[prometheus_client.core.Metric]`` declared in the contributing
capability's ``capability.py``. The foundation and the web shell name none of them.

Request metrics are counted in each server process. When ``PROMETHEUS_MULTIPROC_DIR`` is
set, prometheus-client keeps them in memory-mapped files in that directory and a scrape of
any process sums every process's files (:func:`exposition`); the serve command calls
:func:`prepare_multiprocess_dir` once, before starting the processes, to begin with an
empty directory. Labels never carry a raw path, an id or any personal data.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

import klaremont
from klaremont import capabilities
from klaremont.logging import get_logger

if TYPE_CHECKING:
    from klaremont.platform import Platform

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
log = get_logger("klaremont.metrics")


def multiprocess_dir() -> Path | None:
    """The multiprocess directory when multiprocess mode is on, else ``None``."""
    chosen = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return Path(chosen) if chosen else None


def prepare_multiprocess_dir(path: Path | None = None) -> Path | None:
    """Turn on multiprocess mode in a fresh, empty directory, before any server process starts.

    ``path`` (or ``PROMETHEUS_MULTIPROC_DIR`` when ``path`` is ``None``) is created with mode
    0700 and emptied of a previous run's files (their counts would be added to this run's),
    the variable is set for this process and the processes it starts, and metrics made from
    now on write to the directory. Without either, nothing changes and ``None`` is returned.
    """
    directory = path or multiprocess_dir()
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for entry in directory.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)
    # prometheus-client picks the value store when it is imported; pick again now.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call] # untyped in prometheus-client
    return directory


class PlatformCollector(Collector):
    """Read at scrape time: the platform's version and every ``"metrics"`` contribution.

    A contribution that fails is logged (its name and error type) and counted in
    ``klaremont_metrics_contribution_failures``; the others are still reported.
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: registering must not query the database."""
        return ()

    def collect(self) -> Iterator[Metric]:
        """Every contribution's metrics, then the collector's own."""
        info = InfoMetricFamily("klaremont", "The running Klaremont version.")
        info.add_metric([], {"version": klaremont.__version__})
        yield info
        failures = 0
        for contribute in capabilities.extensions("metrics"):
            try:
                found: list[Metric] = list(contribute(self.platform))
            except Exception as error:  # noqa: BLE001 - one broken contribution must not hide the rest
                failures += 1
                log.warning(
                    "metrics_contribution_failed",
                    contribution=getattr(contribute, "__module__", "?"),
                    error=type(error).__name__,
                )
                continue
            yield from found
        yield GaugeMetricFamily(
            "klaremont_metrics_contribution_failures",
            "Metrics contributions that failed during this scrape.",
            value=failures,
        )


def exposition(platform: Platform, process_metrics: Iterable[Any]) -> bytes:
    """The Prometheus text exposition of one scrape.

    ``process_metrics`` are this process's request metrics (prometheus-client metric
    objects); in multiprocess mode the files of every process are summed instead.
    """
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call] # untyped in prometheus-client
    else:
        for metric in process_metrics:
            registry.register(metric)
    registry.register(PlatformCollector(platform))
    return generate_latest(registry)
