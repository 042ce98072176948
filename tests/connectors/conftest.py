"""Connector fixtures: external shop databases declared in a datasets folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from connectors_support import Shop, drop_shop, make_shop

from klaremont.connectors import demo_shop, service
from klaremont.platform import Platform


@pytest.fixture
def datasets_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder of dataset files this test declares (``KLAREMONT_DATASETS_FILE``)."""
    folder = tmp_path / "datasets"
    folder.mkdir()
    monkeypatch.setenv("KLAREMONT_DATASETS_FILE", str(folder))
    return folder


@pytest.fixture
def shops(
    datasets_dir: Path, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Shop]]:
    """Make and declare external shops; dropped (and their pools closed) afterwards."""
    made: list[Shop] = []

    def make(name: str = "shop", *, mask: bool = False, country: str = "GB") -> Shop:
        shop = make_shop(name, datasets_dir)
        made.append(shop)
        monkeypatch.setenv(shop.url_env, shop.url)
        (datasets_dir / f"{name}.toml").write_text(
            demo_shop.dataset_text(name, url_env=shop.url_env, mask=mask, country=country),
            encoding="utf-8",
        )
        return shop

    yield make
    service.stores(platform).dispose()
    for shop in made:
        drop_shop(shop)
