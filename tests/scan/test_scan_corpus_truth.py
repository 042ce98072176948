"""The bulk detector against the seeded corpus's ground truth (issue 18: what it must show).

A small corpus (``klaremont.testing.scan_corpus``, fixed seed) holds every card brand,
issuer range and length in every spelling, the published test numbers, track data, card
codes, secrets, UK personal data and decoys, in a log, a CSV, JSON lines and a gzipped
log. Each file is read as the scanner reads it and put through ``Detector`` once: every
card number is found on its line with its last four digits (100 % recall), every count
per kind is exact, no decoy line yields a finding, and no masked sample holds more of a
card number than its last four digits.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klaremont.detectors.bulk import Detector, Found
from klaremont.detectors.kinds import Kind
from klaremont.testing import scan_corpus
from klaremont.testing.scan_corpus import Manifest, generate
from klaremont.testing.scan_decoys import Decoys
from klaremont.testing.scan_values import (
    Values,
    issuer_table,
    luhn_completed,
    spell,
    spellings,
)

SEED = 1818
CARD_KINDS = (Kind.CARD, Kind.TEST_CARD)


def read(path: Path) -> bytes:
    """A corpus file as the scanner reads it: decompressed, ending with a line break."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data if data.endswith(b"\n") else data + b"\n"


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line an offset lies on."""
    return data.count(b"\n", 0, offset) + 1


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Manifest, dict[str, tuple[bytes, Found]]]:
    """The corpus (3 MB), and each file's bytes with what one full detector found in them."""
    folder = tmp_path_factory.mktemp("scan-corpus")
    manifest = generate(folder, seed=SEED, megabytes=3)
    detector = Detector()
    scanned = {}
    for name in manifest.files:
        data = read(folder / name)
        scanned[name] = (data, detector.scan(data))
    return manifest, scanned


def card_findings(
    scanned: dict[str, tuple[bytes, Found]], kinds: tuple[Kind, ...]
) -> set[tuple[str, int, str, str]]:
    """(file, line, last four, kind) of every card-data hit of ``kinds``."""
    return {
        (name, line_of(data, hit.start), hit.sample[-4:], hit.kind.value)
        for name, (data, found) in scanned.items()
        for hit in found.hits
        if hit.kind in kinds
    }


def test_the_corpus_holds_every_brand_range_length_and_spelling(corpus):
    """The generator itself: every (brand, length, spelling) of the issuer table is in the
    manifest as a live card, every published test number is in it, every decoy kind too."""
    manifest, _ = corpus
    brands, tests = issuer_table()
    wanted = {(b.name, n, s) for b in brands for n in b.lengths for s in spellings(n)}
    have = {(c.brand, c.length, c.spelling) for c in manifest.cards if c.kind == "card-number"}
    assert wanted <= have
    assert {c.number for c in manifest.cards if c.kind == "test-card-number"} == set(tests)
    assert {n for _, n, _ in wanted} == set(range(13, 20))
    assert len(manifest.decoys) == 16
    assert min(manifest.decoys.values()) >= 12
    live = [c.number for c in manifest.cards if c.kind == "card-number"]
    for brand in brands:
        for low, high in brand.ranges:
            width = len(str(low))
            assert any(low <= int(n[:width]) <= high for n in live), (brand.name, low, high)


@pytest.mark.policy("IS-SENS-MASK")
def test_every_card_number_is_found_on_its_line_with_its_last_four(corpus):
    """100 % recall for card numbers in every spelling and length, and nothing else."""
    manifest, scanned = corpus
    truth = {
        (c.file, c.line, c.last4, c.kind)
        for c in manifest.cards
        if c.kind in ("card-number", "test-card-number")
    }
    found = card_findings(scanned, CARD_KINDS)
    assert truth - found == set(), "missed"
    assert found - truth == set(), "found where nothing was inserted"
    lengths = Counter(c.length for c in manifest.cards if c.kind == "card-number")
    assert set(lengths) == set(range(13, 20))


@pytest.mark.policy("IS-SENS-MASK")
def test_brands_are_named_as_the_issuer_table_names_them(corpus):
    manifest, scanned = corpus
    where = {(c.file, c.line): c.brand for c in manifest.cards}
    for name, (data, found) in scanned.items():
        for hit in found.hits:
            if hit.kind in CARD_KINDS:
                assert hit.brand == where[name, line_of(data, hit.start)]


def test_published_test_numbers_are_reported_as_test_cards(corpus):
    manifest, scanned = corpus
    tests = {(c.file, c.line, c.last4) for c in manifest.cards if c.kind == "test-card-number"}
    as_test = {f[:3] for f in card_findings(scanned, (Kind.TEST_CARD,))}
    as_live = {f[:3] for f in card_findings(scanned, (Kind.CARD,))}
    assert tests == as_test
    assert not tests & as_live


@pytest.mark.policy("IS-SENS-TRACK")
def test_every_piece_of_track_data_is_found_on_its_line(corpus):
    """Track 1 and 2 (sentinels or not, ``=`` or ``D``): found once each, the number in it
    not counted again as a card number."""
    manifest, scanned = corpus
    truth = {(c.file, c.line, c.last4, c.kind) for c in manifest.cards if c.kind == "track-data"}
    assert len(truth) >= 24
    assert card_findings(scanned, (Kind.TRACK,)) == truth


@pytest.mark.policy("IS-SENS-CVV")
def test_card_codes_are_counted_exactly_and_never_shown(corpus):
    manifest, scanned = corpus
    for name, (_, found) in scanned.items():
        assert found.counts.get(Kind.CARD_CODE, 0) == manifest.expected(name)["card-code"], name
        for hit in found.hits:
            if hit.kind is Kind.CARD_CODE:
                assert not re.search(r"\d{3}", hit.sample), hit.sample
    assert manifest.totals()["card-code"] >= 24


@pytest.mark.parametrize(
    "kind",
    [
        Kind.SECRET,
        Kind.EMAIL,
        Kind.PHONE,
        Kind.POSTCODE,
        Kind.BIRTH_DATE,
        Kind.NI_NUMBER,
        Kind.BANK_ACCOUNT,
        Kind.CARD,
        Kind.TEST_CARD,
        Kind.TRACK,
    ],
)
def test_counts_per_kind_and_file_are_exact(corpus, kind):
    manifest, scanned = corpus
    for name, (_, found) in scanned.items():
        assert found.counts.get(kind, 0) == manifest.expected(name)[kind.value], name
    assert manifest.totals()[kind.value] >= 12


def test_no_decoy_line_yields_a_finding(corpus):
    """Luhn-invalid and issuer-less numbers, long runs, UUIDs, hex digests, timestamps,
    order ids, IP addresses, glued and masked numbers, unkeyed dates, masked secrets ...:
    the lines holding them hold nothing a scan reports."""
    manifest, scanned = corpus
    hit_lines = {
        (name, line_of(data, hit.start))
        for name, (data, found) in scanned.items()
        for hit in found.hits
    }
    decoys = {(name, line) for name, line, _ in manifest.decoy_lines}
    assert len(decoys) >= 16 * 12
    assert not hit_lines & decoys


@pytest.mark.policy("IS-SENS-MASK")
def test_no_masked_sample_holds_a_full_number(corpus):
    """No sample of any kind holds an inserted card number or more than four digits of one;
    a card sample's digits are exactly its last four."""
    manifest, scanned = corpus
    numbers = manifest.numbers()
    assert len(numbers) > 500
    samples = [hit for _, found in scanned.values() for hit in found.hits]
    text = "\n".join(hit.sample for hit in samples)
    assert not any(number in text for number in numbers)
    assert not any(number[-5:] in text for number in numbers)
    for hit in samples:
        digits = re.sub(r"\D", "", hit.sample)
        assert len(digits) <= 4, hit
        if hit.kind in (Kind.CARD, Kind.TEST_CARD, Kind.TRACK):
            assert digits == hit.sample[-4:], hit


# --- properties: brands x lengths x spellings, and every decoy kind ---------------------

BRANDS, TESTS = issuer_table()
DETECTOR = Detector({Kind.CARD, Kind.TEST_CARD, Kind.TRACK})
FULL = Detector()


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, str, str]:
    """A live card number of any brand, range and length, and a spelling of it."""
    brand = draw(st.sampled_from(BRANDS))
    low_high = draw(st.sampled_from(brand.ranges))
    length = draw(st.sampled_from(brand.lengths))
    spelling = draw(st.sampled_from(spellings(length)))
    values = Values(random.Random(draw(st.integers(0, 2**32))))
    return values.card(low_high, length), spelling, brand.name


@pytest.mark.policy("IS-SENS-MASK")
@given(
    card=cards(),
    before=st.sampled_from(["card=", "pan: ", '{"card": "', "paid with ", "", "ref=x ", "(", "|"]),
    after=st.sampled_from(["", " exp=12/29", '"}', ")", ".", ",", " cvv=123", "\t"]),
)
def test_any_brand_length_and_spelling_is_found_with_its_last_four(card, before, after):
    number, spelling, _ = card
    text = f"{before}{spell(number, spelling)}{after}\n".encode()
    found = DETECTOR.scan(text)
    assert [(h.kind, h.sample[-4:]) for h in found.hits] == [(Kind.CARD, number[-4:])]
    hit = found.hits[0]
    assert re.sub(rb"\D", b"", text[hit.start : hit.end]).decode() == number


@pytest.mark.policy("IS-SENS-MASK")
@given(number=st.sampled_from(TESTS), data=st.data())
def test_any_test_number_in_any_spelling_is_a_test_card(number, data):
    spelling = data.draw(st.sampled_from(spellings(len(number))))
    found = DETECTOR.scan(f"card={spell(number, spelling)}\n".encode())
    assert [(h.kind, h.sample[-4:]) for h in found.hits] == [(Kind.TEST_CARD, number[-4:])]


@given(seed=st.integers(0, 2**32), which=st.integers(0, 15))
def test_every_decoy_kind_is_rejected(seed, which):
    decoys = Decoys(Values(random.Random(seed)))
    field = decoys.all()[which]()
    for text in (f"{field.key}={field.value}\n", f'{{"{field.key}": "{field.value}"}}\n'):
        assert FULL.scan(text.encode()).hits == [], (field.decoy, text)


# --- detector behaviour the corpus keeps clear of (reported to the lead) -----------------


def _mastercard_2_series_tail(expiry: str) -> str:
    """Expiry, service code and discretionary data that together make a Luhn-valid
    16-digit Mastercard 2-series number (cards expiring 2022-2027 start 22-27)."""
    return luhn_completed(expiry + "2011143804" + "4")


@pytest.mark.policy("IS-SENS-TRACK")
def test_track_data_is_one_finding_whatever_its_discretionary_data():
    tail = _mastercard_2_series_tail("2512")
    for line in (f"track2=;4761739001010119={tail}?", f"t1=%B4761739001010119^SMITH/JANE^{tail}?"):
        found = Detector().scan(f"{line}\n".encode())
        assert [h.kind for h in found.hits] == [Kind.TRACK], line


@pytest.mark.policy("IS-SENS-MASK")
def test_a_grouped_number_is_read_whole_like_a_plain_one():
    first16 = luhn_completed("400012345678901")
    longer = first16 + "072"
    assert longer[-1] != luhn_completed(longer[:-1])[-1]
    plain = Detector().scan(f"ref={longer}\n".encode())
    grouped = Detector().scan(f"ref={spell(longer, 'spaces-4')}\n".encode())
    assert plain.hits == []
    assert grouped.hits == []


@pytest.mark.policy("IS-SENS-CVV")
def test_a_correlation_or_record_id_is_not_a_card_code_but_a_named_one_is():
    found = Detector().scan(b"cid=1234 req=ok\ncard_id: 7391\nAmex CID: 7391\nCVC2=918\n")
    assert [(h.kind, h.sample) for h in found.hits] == [
        (Kind.CARD_CODE, "amex cid=\u2022\u2022\u2022"),
        (Kind.CARD_CODE, "cvc2=\u2022\u2022\u2022"),
    ]


# --- the command line and the benchmark's log ----------------------------------------------


def test_the_command_writes_the_corpus_and_a_manifest_without_full_numbers(tmp_path, capsys):
    assert scan_corpus.main([str(tmp_path), "--seed", "5", "--megabytes", "0.4"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "app.log",
        "archive.log.gz",
        "events.jsonl",
        "manifest.json",
        "orders.csv",
    ]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "card-number" in capsys.readouterr().out
    again = generate(tmp_path / "again", seed=5, megabytes=0.4)
    assert again.as_json() == manifest
    text = (tmp_path / "manifest.json").read_text()
    assert manifest["card_data"]
    assert not any(number in text for number in again.numbers())
    assert (tmp_path / "app.log").read_bytes() == (tmp_path / "again" / "app.log").read_bytes()


@pytest.mark.policy("IS-SENS-MASK")
def test_the_benchmark_log_has_exact_ground_truth(tmp_path):
    """The realistic log (mostly clean lines) the benchmark scans: counts and card lines exact."""
    path = tmp_path / "bench.log"
    manifest = scan_corpus.write_log(path, seed=11, megabytes=1.5)
    data = read(path)
    found = FULL.scan(data)
    assert manifest.expected("bench.log") == {k.value: found.counts.get(k, 0) for k in Kind}
    assert manifest.totals()["email"] > 20
    truth = {(c.line, c.last4) for c in manifest.cards}
    where = {
        (line_of(data, h.start), h.sample[-4:])
        for h in found.hits
        if h.kind in (*CARD_KINDS, Kind.TRACK)
    }
    assert where == truth
    assert json.loads((tmp_path / "bench.log.manifest.json").read_text())["totals"]["email"] > 20


def test_every_finding_of_every_kind_is_on_the_line_it_was_written(corpus):
    manifest, scanned = corpus
    for name, (data, found) in scanned.items():
        where = Counter((hit.kind.value, line_of(data, hit.start)) for hit in found.hits)
        truth = Counter(
            (kind, line) for kind, lines in manifest.lines[name].items() for line in lines
        )
        assert where == truth, name
