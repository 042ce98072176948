"""Dataset files: refused, naming the file, the field and the rule, when malformed; the
URL is never in the file; a kept row may not point at a deleted one."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from klaremont.connectors import datasets, demo_shop, graph
from klaremont.errors import ConfigurationError

GOOD_HEAD = 'name = "shop"\nurl_env = "SHOP_URL"\ncountry = "GB"\n'


def test_the_demo_declaration_parses():
    """The shipped shop declaration reads back as written."""
    found = datasets.parse(demo_shop.dataset_text("shop", url_env="SHOP_URL", mask=True), "f")
    assert found.tables["customers"].identity == datasets.Identity(
        "email", datasets.Match.EMAIL, casefold=True
    )
    assert found.tables["orders"].mask == {"shipping_name": "erased"}
    assert found.tables["customers"].mask["email"] is None
    assert found.tables["order_lines"].erasure is datasets.Erasure.KEEP


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD_HEAD.replace('url_env = "SHOP_URL"', 'url = "postgresql://u:p@h/db"'), "url_env"),
        (GOOD_HEAD + 'url = "postgresql://u:p@h/db"\n[tables.c]\nidentity={column="e"}', "url"),
        (GOOD_HEAD.replace('"GB"', '"Britain"'), "country"),
        (GOOD_HEAD + "[tables.c]\ncategory = 'identity'\n", "tables"),
        (GOOD_HEAD + "[tables.c]\nidentity = { column = 'e', match = 'phone' }\n", "match"),
        (GOOD_HEAD + "[tables.c]\nidentity = { column = 'e' }\nerasure = 'mask'\n", "mask"),
        (GOOD_HEAD + "[tables.c]\nidentity = { column = 'e' }\nerasure = 'shred'\n", "erasure"),
        (GOOD_HEAD + "[tables.c]\nidentity = { column = 'e' }\ncolour = 'red'\n", "colour"),
        ("name = [", "file"),
    ],
)
def test_malformed_files_are_refused_naming_the_field(text, field):
    """Each mistake names the file and the field."""
    with pytest.raises(ConfigurationError, match=field) as caught:
        datasets.parse(text, "shop.toml")
    assert "shop.toml" in str(caught.value)


def test_the_url_comes_from_the_environment_only(monkeypatch):
    """The file names a variable; an unset variable is named, not guessed."""
    found = datasets.parse(demo_shop.dataset_text("shop", url_env="KT_NOT_SET_URL"), "f")
    monkeypatch.delenv("KT_NOT_SET_URL", raising=False)
    with pytest.raises(ConfigurationError, match="KT_NOT_SET_URL"):
        found.url()
    monkeypatch.setenv("KT_NOT_SET_URL", "sqlite:///x.db")
    assert found.url() == "sqlite:///x.db"


def _build(tmp_path, text):
    engine = create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        with engine.begin() as conn:
            demo_shop.create(conn)
            return graph.build(datasets.parse(text, "shop.toml"), conn)
    finally:
        engine.dispose()


def test_erasure_order_is_derived_from_the_reflected_keys(tmp_path):
    """Children before parents, whatever order the file lists the tables in."""
    found = _build(tmp_path, demo_shop.dataset_text("shop", url_env="SHOP_URL"))
    order = found.order
    for child, parent in [
        ("order_lines", "orders"),
        ("orders", "customers"),
        ("orders", "addresses"),
        ("addresses", "customers"),
        ("loyalty", "customers"),
    ]:
        assert order.index(child) < order.index(parent), (child, parent)


def test_a_kept_row_may_not_point_at_a_deleted_parent(tmp_path):
    """Masked orders under deleted customers would break the key: refused, naming both."""
    text = demo_shop.dataset_text("shop", url_env="SHOP_URL", mask=True).replace(
        'erasure = "mask"\nmask = ["email", "name", "phone", "password_hash"]\n', ""
    )
    with pytest.raises(ConfigurationError, match=r"tables\.orders\.erasure.*customers"):
        _build(tmp_path, text)


def test_a_link_column_may_not_be_masked(tmp_path):
    """Masking a column that links rows would lose the trail: refused."""
    text = demo_shop.dataset_text("shop", url_env="SHOP_URL", mask=True).replace(
        'mask = { shipping_name = "erased" }', 'mask = ["shipping_name", "customer_id"]'
    )
    with pytest.raises(ConfigurationError, match="customer_id"):
        _build(tmp_path, text)
