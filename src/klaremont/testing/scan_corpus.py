"""A seeded corpus for the discovery scan, with exact ground truth.

:func:`generate` writes four files into a folder -- an application log (``app.log``), an
orders export (``orders.csv``), an event stream (``events.jsonl``) and a rotated, gzipped
log (``archive.log.gz``) -- and returns (and writes as ``manifest.json``) what a scan must
find: exact counts per kind and file and, for card data, each inserted number's file, line
(1-based, in the decompressed text), last four digits, brand, length and spelling. Every
card brand, issuer range and length of the issuer table is inserted in every spelling the
detectors read, every published test number too; so is every decoy kind
(:mod:`klaremont.testing.scan_decoys`). Full card numbers stay in memory
(:attr:`CardRecord.number`) for tests that grep outputs; the manifest holds the last four.

:func:`write_log` writes one application log at a realistic density (most lines clean,
some personal data, a few card numbers) for the benchmark (``bench/bench_scan.py``).

Run: ``python -m klaremont.testing.scan_corpus OUT_DIR --seed N --megabytes M``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

from klaremont.testing.scan_decoys import CleanLines, Decoys, check_decoy
from klaremont.testing.scan_values import KINDS_ALL, Field, Values, issuer_table, spellings

Record = tuple[Field, ...]  # the fields written together on one line

APP_LOG: Final = "app.log"
CSV_FILE: Final = "orders.csv"
JSON_LINES: Final = "events.jsonl"
GZIP_LOG: Final = "archive.log.gz"
#: Each file's share of the corpus size (uncompressed).
SHARES: Final = {APP_LOG: 0.5, CSV_FILE: 0.15, JSON_LINES: 0.2, GZIP_LOG: 0.15}
_CSV_HEADER: Final = ("order_id", "placed_at", "status", "total_pence", "channel", "notes")


@dataclass(frozen=True, slots=True)
class CardRecord:
    """Where one piece of card data was written."""

    file: str
    line: int
    kind: str
    last4: str
    brand: str
    length: int
    spelling: str
    number: str = field(repr=False, compare=False)  # in memory only


@dataclass(slots=True)
class Manifest:
    """The ground truth of a corpus."""

    seed: int
    megabytes: float
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    cards: list[CardRecord] = field(default_factory=list)
    decoys: Counter[str] = field(default_factory=Counter)
    decoy_lines: list[tuple[str, int, str]] = field(default_factory=list)  # file, line, kind
    lines: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # file: kind: lines

    def totals(self) -> dict[str, int]:
        """Expected findings per kind over every file."""
        total: Counter[str] = Counter()
        for per_file in self.counts.values():
            total.update(per_file)
        return {kind: total[kind] for kind in KINDS_ALL}

    def expected(self, name: str) -> dict[str, int]:
        """Expected findings per kind in one file (every kind, zeros included)."""
        per_file = self.counts.get(name, Counter())
        return {kind: per_file[kind] for kind in KINDS_ALL}

    def numbers(self) -> frozenset[str]:
        """Every full card number written (live, test and inside track data)."""
        return frozenset(c.number for c in self.cards)

    def as_json(self) -> dict[str, object]:
        """The manifest as written to ``manifest.json`` (no full card number in it)."""
        return {
            "generator": __name__,
            "seed": self.seed,
            "megabytes": self.megabytes,
            "files": {
                name: {**info, "counts": self.expected(name)} for name, info in self.files.items()
            },
            "totals": self.totals(),
            "card_data": [
                {k: v for k, v in asdict(c).items() if k != "number"} for c in self.cards
            ],
            "decoys": dict(sorted(self.decoys.items())),
            "decoy_lines": [list(d) for d in self.decoy_lines],
            "lines": self.lines,
        }


@dataclass(frozen=True, slots=True)
class Density:
    """How many lines carry an insert, and the mix of inserts (relative weights)."""

    share: float
    weights: Mapping[str, float]


#: The corpus: dense, so a few megabytes hold everything many times over.
CORPUS: Final = Density(
    0.06,
    {"card": 4, "payment": 3, "test": 1, "track": 2, "code": 2, "secret": 3, "masked": 2}
    | {"email": 6, "phone": 6, "postcode": 6, "dob": 4, "ni": 3, "bank": 3, "profile": 4}
    | {"decoy": 16},
)
#: An application log as it is: most lines clean, some personal data, a few card numbers.
REALISTIC: Final = Density(
    0.012,
    {"card": 0.5, "payment": 0.5, "test": 0.3, "track": 0.1, "code": 0.3, "secret": 1}
    | {"masked": 2, "email": 30, "phone": 15, "postcode": 15, "dob": 5, "ni": 1, "bank": 1}
    | {"profile": 10, "decoy": 18},
)


class _Inserts:
    """Seeded records: every combination the corpus must hold, and random ones by weight."""

    def __init__(self, rng: random.Random) -> None:
        self.v = Values(rng)
        self.d = Decoys(self.v)
        self.rng = rng
        self.makers: dict[str, Callable[[], Record]] = {
            "card": lambda: (self.v.card_field(*self.v.any_card()),),
            "payment": self.payment,
            "test": self.test_card,
            "track": lambda: (self.v.track_field(),),
            "code": lambda: (self.v.card_code_field(),),
            "secret": lambda: (self.v.secret_field(),),
            "masked": lambda: (self.v.masked_secret_decoy(),),
            "email": lambda: (self.v.email_field(),),
            "phone": lambda: (self.v.phone_field(),),
            "postcode": lambda: (self.v.postcode_field(),),
            "dob": lambda: (self.v.birth_date_field(),),
            "ni": lambda: (self.v.ni_field(),),
            "bank": lambda: (self.v.bank_field(),),
            "profile": self.profile,
            "decoy": lambda: (self.decoy(self.rng.choice(self.d.all())),),
        }

    def decoy(self, make: Callable[[], Field]) -> Field:
        made = make()
        check_decoy(made)
        return made

    def payment(self) -> Record:
        """A card number, its expiry and (sometimes) its code on one line."""
        card = self.v.card_field(*self.v.any_card())
        expiry = Field("exp", f"{self.rng.randint(1, 12):02d}/{self.rng.randint(26, 31)}")
        if self.rng.random() < 0.5:  # noqa: PLR2004 - half the payment lines carry a code
            return (card, expiry, self.v.card_code_field())
        return (card, expiry)

    def test_card(self) -> Record:
        number = self.rng.choice(issuer_table()[1])
        return (self.v.card_field(number, self.rng.choice(spellings(len(number)))),)

    def profile(self) -> Record:
        """A customer's details on one line (e-mail, phone, postcode, maybe a birth date)."""
        fields = [self.v.email_field(), self.v.phone_field(), self.v.postcode_field()]
        if self.rng.random() < 0.5:  # noqa: PLR2004 - half the profiles carry a birth date
            fields.append(self.v.birth_date_field())
        return tuple(fields)

    def required(self) -> list[Record]:
        """Every brand x range x length x spelling, every test number in every spelling,
        and each other insert and decoy kind a few times."""
        records: list[Record] = []
        brands, tests = issuer_table()
        for brand in brands:
            for low_high in brand.ranges:
                for length in brand.lengths:
                    for spelling in spellings(length):
                        number = self.v.card(low_high, length)
                        records.append((self.v.card_field(number, spelling),))
        for number in tests:
            records += [(self.v.card_field(number, s),) for s in spellings(len(number))]
        for name in ("track", "code", "secret", "masked", "email", "phone", "postcode"):
            records += [self.makers[name]() for _ in range(24)]
        for name in ("dob", "ni", "bank", "profile", "payment"):
            records += [self.makers[name]() for _ in range(12)]
        for make in self.d.all():
            records += [(self.decoy(make),) for _ in range(12)]
        return records

    def random(self, density: Density, count: int) -> list[Record]:
        names = list(density.weights)
        chosen = self.rng.choices(names, weights=[density.weights[n] for n in names], k=count)
        return [self.makers[name]() for name in chosen]


# --- writing ------------------------------------------------------------------------------


def _kv(item: Field, rng: random.Random) -> str:
    if item.prose:
        return f"{item.key} {item.value}"
    return f"{item.key}{rng.choice(['=', '=', ': '])}{item.value}"


class _FileWriter:
    """Writes one corpus file line by line and records the truth of each insert."""

    def __init__(self, path: Path, out: TextIO, clean: CleanLines, manifest: Manifest) -> None:
        self.name, self.out, self.clean, self.manifest = path.name, out, clean, manifest
        self.form = path.suffix if path.suffix in {".csv", ".jsonl"} else ".log"
        self.rng = clean.values.rng
        self.line = 0
        self.bytes = 0
        self.counts = manifest.counts.setdefault(self.name, Counter())
        self.lines = manifest.lines.setdefault(self.name, {})
        self.csv = csv.writer(buffer := io.StringIO(), lineterminator="\n")
        self.buffer = buffer
        if self.form == ".csv":
            self._write(",".join(_CSV_HEADER))

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.line += 1
        self.bytes += len(text) + 1

    def _csv_row(self, notes: str) -> str:
        r = self.rng
        self.buffer.seek(0)
        self.buffer.truncate()
        self.csv.writerow(
            (
                f"KM-{r.randint(10_000_000, 99_999_999)}",
                self.clean.prefix()[:24],
                r.choice(["placed", "paid", "dispatched", "delivered", "refunded"]),
                r.randint(199, 250_000),
                r.choice(["web", "store", "phone-order", "marketplace"]),
                notes,
            )
        )
        return self.buffer.getvalue()[:-1]

    def write(self, record: Record = ()) -> None:
        """Write a clean line, or a line holding ``record``'s fields."""
        if self.form == ".jsonl":
            event: dict[str, object] = {
                "ts": self.clean.prefix()[:24],
                "level": self.rng.choice(["info", "debug", "warning"]),
                "msg": self.clean.message(),
            }
            for item in record:
                key = item.key if item.key not in event else f"{item.key}_2"
                event[key] = item.value
            self._write(json.dumps(event))
        elif self.form == ".csv":
            self._write(self._csv_row(" ".join(_kv(item, self.rng) for item in record)))
        else:
            self._write(self.clean.log_line(" ".join(_kv(item, self.rng) for item in record)))
        self._record(record)

    def _record(self, record: Record) -> None:
        for item in record:
            if item.decoy:
                self.manifest.decoys[item.decoy] += 1
                self.manifest.decoy_lines.append((self.name, self.line, item.decoy))
            for truth in item.truths:
                self.counts[truth.kind] += 1
                self.lines.setdefault(truth.kind, []).append(self.line)
                if truth.number:
                    self.manifest.cards.append(
                        CardRecord(
                            self.name,
                            self.line,
                            truth.kind,
                            truth.last4,
                            truth.brand,
                            len(truth.number),
                            truth.spelling,
                            truth.number,
                        )
                    )

    def fill(self, records: Sequence[Record], target_bytes: int) -> None:
        """Clean lines up to ``target_bytes`` with ``records`` spread evenly among them."""
        queue = list(records)
        self.rng.shuffle(queue)
        while self.bytes < target_bytes or queue:
            if queue and self.bytes >= target_bytes:
                self.write(queue.pop())
                continue
            average = self.bytes / self.line if self.line else 150.0
            lines_left = max(1.0, (target_bytes - self.bytes) / average)
            if queue and self.rng.random() < len(queue) / lines_left:
                self.write(queue.pop())
            else:
                self.write()
        self.manifest.files[self.name] = {
            "bytes": self.bytes,
            "lines": self.line,
            "compressed": self.name.endswith(".gz"),
        }


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        raw = gzip.GzipFile(path, "wb", mtime=0)
        return io.TextIOWrapper(raw, encoding="ascii", newline="")
    return path.open("w", encoding="ascii", newline="")


def _estimated_lines(path: Path, size: int) -> int:
    return size // {".csv": 80, ".jsonl": 260}.get(path.suffix, 200)


def _write_files(
    sizes: dict[Path, int],
    rng: random.Random,
    manifest: Manifest,
    density: Density,
    required: Iterable[Record] = (),
) -> None:
    inserts = _Inserts(rng)
    paths = list(sizes)
    assigned: dict[Path, list[Record]] = {path: [] for path in paths}
    for record in required:
        assigned[rng.choices(paths, weights=[sizes[p] for p in paths])[0]].append(record)
    for path, size in sizes.items():
        count = int(density.share * _estimated_lines(path, size))
        records = assigned[path] + inserts.random(density, count)
        clean = CleanLines(inserts.v, datetime(2026, 12, 1, tzinfo=UTC))
        with _open(path) as out:
            _FileWriter(path, out, clean, manifest).fill(records, size)


def generate(out_dir: Path, *, seed: int, megabytes: float) -> Manifest:
    """Write the four-file corpus (about ``megabytes`` MB uncompressed) and its manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - a seeded corpus, not a secret
    manifest = Manifest(seed, megabytes)
    size = megabytes * 1_000_000
    sizes = {out_dir / name: int(size * share) for name, share in SHARES.items()}
    _write_files(sizes, rng, manifest, CORPUS, _Inserts(rng).required())
    (out_dir / "manifest.json").write_text(json.dumps(manifest.as_json(), indent=1) + "\n")
    return manifest


def write_log(path: Path, *, seed: int, megabytes: float, density: Density = REALISTIC) -> Manifest:
    """One application log of about ``megabytes`` MB at ``density``, and its ground truth
    (returned, and written beside the log as ``<name>.manifest.json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(seed, megabytes)
    _write_files({path: int(megabytes * 1_000_000)}, random.Random(seed), manifest, density)  # noqa: S311 - seeded
    target = path.with_name(path.name + ".manifest.json")
    target.write_text(json.dumps(manifest.as_json(), indent=1) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m klaremont.testing.scan_corpus OUT_DIR --seed N --megabytes M``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--megabytes", type=float, default=300.0)
    args = parser.parse_args(argv)
    manifest = generate(args.out_dir, seed=args.seed, megabytes=args.megabytes)
    totals = ", ".join(f"{k} {v}" for k, v in manifest.totals().items())
    sys.stdout.write(f"{args.out_dir}: {totals}; {sum(manifest.decoys.values())} decoys\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
