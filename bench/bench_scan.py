"""Discovery scan: the bulk detector over a 200 MB application log, against ripgrep and Presidio.

Subject: ``klaremont.detectors.bulk.Detector`` (hyperscan candidates, each confirmed by the
one card detector: issuer table, Luhn, structured values set aside) over a log written by
``klaremont.testing.scan_corpus.write_log`` (seeded; realistic density: most lines clean,
some personal data, a few card numbers, decoys), read in 8 MiB chunks cut at line ends (the
file mapped, one copy per chunk), page cache warm, on one core:

* (a) cards: card numbers, test numbers, track data, card codes (``--detect cards``);
* (b) cards + e-mail, UK phone, UK postcode, date of birth.

Counts are checked against the generator's ground truth (exact, or the run says so).

Peers, same run, same file:

* the page cache read speed: the file read in 8 MiB chunks into one buffer (the limit);
* ripgrep (Debian package) for raw card candidates, no Luhn, no issuer check:
  ``rg --count-matches '[0-9](?:[ -]?[0-9]){12,18}'`` with ``-j1`` and at its default;
* Presidio (``presidio-analyzer`` with its no-NLP engine, pattern recognizers only) in its
  own environment ``.venv-peers`` made from ``requirements/bench-peers.lock`` (never a
  Klaremont dependency, no model downloaded): the card recognizer on a 20 MB slice, and the
  card recognizer with e-mail, phone, UK postcode and date on a 2 MB slice, scaled to MB/s;
  plus what it misses of every brand, range, length and spelling of card number.

Two cores: the file split into two byte ranges at a line end, one process each; the
speedup is against one process doing the whole file with the same code.

Targets: >= 450 MB/s (a), >= 250 MB/s (b), >= 1.8x on two cores.

Run: .venv/bin/python bench/bench_scan.py [--megabytes 200] [--seed 18] [--repeat 3]
     [--no-presidio]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from _common import record
from klaremont.detectors.bulk import Detector, kinds_of
from klaremont.detectors.bulk import detector as shared_detector
from klaremont.detectors.kinds import Group, Kind
from klaremont.scan import files
from klaremont.testing.scan_corpus import write_log
from klaremont.testing.scan_values import Values, issuer_table, spell, spellings

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 8 * 1024 * 1024
CARDS = kinds_of([Group.CARDS])
CARDS_PII = CARDS | {Kind.EMAIL, Kind.PHONE, Kind.POSTCODE, Kind.BIRTH_DATE}
SETS = {"cards": CARDS, "cards+pii": CARDS_PII}
PRESIDIO_OF = {"cards": "Presidio: cards", "cards+pii": "Presidio: cards + 4 PII"}
RG_PATTERN = r"[0-9](?:[ -]?[0-9]){12,18}"
PEERS = ROOT / ".venv-peers"
LOCK = ROOT / "requirements" / "bench-peers.lock"
console = Console(highlight=False, width=150)


def mb(size: float) -> float:
    return size / 1_000_000


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --- the log and its truth -------------------------------------------------------------------


def the_log(megabytes: float, seed: int) -> tuple[Path, dict[str, Any]]:
    """The benchmark log (made once, kept in the temp folder) and its manifest."""
    folder = Path(tempfile.gettempdir()) / "klaremont-bench-scan"
    path = folder / f"app-{seed}-{megabytes:g}MB.log"
    manifest = path.with_name(path.name + ".manifest.json")
    if not (path.exists() and manifest.exists()):
        console.print(f"writing a {megabytes:g} MB log (seed {seed}) ...")
        started = time.perf_counter()
        write_log(path, seed=seed, megabytes=megabytes)
        console.print(f"  written in {time.perf_counter() - started:.0f} s: {path}")
    return path, json.loads(manifest.read_text())


def truth_for(manifest: dict[str, Any], kinds: Iterable[Kind]) -> dict[str, int]:
    return {k.value: manifest["totals"][k.value] for k in sorted(kinds)}


def warm(path: Path) -> None:
    """Read the whole file twice so every page is cached."""
    for _ in range(2):
        with path.open("rb", buffering=0) as handle:
            while handle.read(CHUNK):
                pass


def page_cache_read(path: Path) -> float:
    """Seconds to read the file into one 8 MiB buffer, chunk after chunk."""
    buffer = bytearray(CHUNK)
    fd = os.open(path, os.O_RDONLY)
    try:
        started, pos = time.perf_counter(), 0
        while count := os.preadv(fd, [buffer], pos):
            pos += count
        return time.perf_counter() - started
    finally:
        os.close(fd)


# --- ours ------------------------------------------------------------------------------------


def scan_range(path: Path, start: int, end: int, kinds: frozenset[Kind]) -> Counter[str]:
    """Every count in bytes [start, end) of the file, read by the scanner's own file reader
    (``klaremont.scan.files``: one reused buffer filled in place, whole lines scanned)."""
    part = files.scan_range(str(path), start, end, kinds, 16)
    return Counter({kind.value: count for kind, count in part.counts.items()})


def memory_chunks(path: Path) -> Iterable[bytes]:
    """The file in chunks of about 8 MiB, each ending at a line end."""
    data = path.read_bytes()
    start = 0
    while start < len(data):
        end = data.rfind(b"\n", start, start + CHUNK) + 1
        end = len(data) if end <= start or start + CHUNK >= len(data) else end
        yield data[start:end]
        start = end


def _worker(job: tuple[Path, int, int, frozenset[Kind]], barrier: Any, out: Any) -> None:
    path, start, end, kinds = job
    shared_detector(kinds).scan(b"warm-up line 4111 1111 1111 1111\n")  # the reader's one
    barrier.wait()
    began, cpu = time.perf_counter(), time.process_time()
    counts = scan_range(path, start, end, kinds)
    out.put((began, time.perf_counter(), time.process_time() - cpu, dict(counts)))


def split_at_lines(path: Path, parts: int) -> list[tuple[int, int]]:
    return files.ranges(path, parts)


def run_processes(path: Path, kinds: frozenset[Kind], parts: int) -> dict[str, Any]:
    """Wall time (first start to last end) of ``parts`` processes each scanning its range."""
    context = mp.get_context("fork")
    barrier = context.Barrier(parts)
    out = context.Queue()
    procs = [
        context.Process(target=_worker, args=((path, s, e, kinds), barrier, out))
        for s, e in split_at_lines(path, parts)
    ]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    counts: Counter[str] = Counter()
    for *_, part in results:
        counts.update(part)
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    return {"wall": wall, "cpu": sum(r[2] for r in results), "counts": dict(counts)}


# --- ripgrep ---------------------------------------------------------------------------------


def ripgrep(path: Path, extra: list[str]) -> dict[str, Any]:
    """Wall seconds, CPU seconds and candidate count of one ripgrep run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - the Debian ripgrep binary, fixed arguments
        ["rg", "--no-config", "--count-matches", *extra, RG_PATTERN, str(path)],  # noqa: S607 - rg from PATH
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "candidates": int(done.stdout.strip() or 0)}


# --- Presidio ---------------------------------------------------------------------------------


def peers_python() -> Path | None:
    """.venv-peers's interpreter, made from the hash-pinned lock when missing or stale."""
    python = PEERS / "bin" / "python"
    stamp = PEERS / "lock.sha256"
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    console.print("making .venv-peers from requirements/bench-peers.lock ...")
    shutil.rmtree(PEERS, ignore_errors=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)  # noqa: S603 - our interpreter
        subprocess.run(  # noqa: S603 - pip in the new environment, hash-checked lock
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--no-deps",
                "--require-hashes",
                "-r",
                str(LOCK),
            ],
            check=True,
        )
    except subprocess.CalledProcessError as error:
        console.print(f"[red]could not make .venv-peers ({error}); Presidio is not measured[/]")
        return None
    stamp.write_text(digest + "\n")
    return python


def presidio(python: Path, path: Path, megabytes: float, recognizers: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - the peer script in the peer environment
        [
            str(python),
            str(ROOT / "bench" / "_presidio_peer.py"),
            str(path),
            "--megabytes",
            str(megabytes),
            "--set",
            recognizers,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _versus(counts: dict[str, int], truth: dict[str, int]) -> str:
    """Presidio's counts of the personal-data kinds beside the slice's ground truth."""
    pairs = (
        ("e-mail", "EMAIL_ADDRESS", "email"),
        ("phone", "PHONE_NUMBER", "uk-phone"),
        ("postcode", "UK_POSTCODE", "uk-postcode"),
        ("dates", "DATE_TIME", "date-of-birth"),
    )
    return "".join(f"; {n} {counts.get(p, 0)} (truth {truth.get(t, 0)})" for n, p, t in pairs)


def every_card_file(seed: int) -> tuple[Path, list[dict[str, Any]]]:
    """A file with one line per brand x range x length x spelling (and each test number in
    each spelling), for what a peer misses."""
    values = Values(random.Random(seed))
    brands, tests = issuer_table()
    rows: list[dict[str, Any]] = []
    for brand in brands:
        for low_high in brand.ranges:
            for length in brand.lengths:
                for spelling in spellings(length):
                    number = values.card(low_high, length)
                    rows.append(
                        {
                            "number": number,
                            "brand": brand.name,
                            "length": length,
                            "spelling": spelling,
                        }
                    )
    rows += [
        {"number": n, "brand": "test", "length": len(n), "spelling": s}
        for n in tests
        for s in spellings(len(n))
    ]
    path = Path(tempfile.gettempdir()) / "klaremont-bench-scan" / f"every-card-{seed}.txt"
    lines = (f"INFO payment card {spell(r['number'], r['spelling'])} exp 12/29" for r in rows)
    path.write_text("\n".join(lines) + "\n")
    return path, rows


def misses(rows: list[dict[str, Any]], found: set[int]) -> dict[str, Any]:
    """What a peer missed of ``rows`` (found: 1-based lines it reported a card on)."""
    missed = [r for i, r in enumerate(rows, 1) if i not in found]

    def share(pick: Any) -> str:
        group = [r for r in rows if pick(r)]
        lost = [r for r in missed if pick(r)]
        return f"{len(lost)}/{len(group)}"

    return {
        "missed": f"{len(missed)}/{len(rows)}",
        "18-19 digits": share(lambda r: r["length"] >= 18),
        "mastercard 2-series": share(
            lambda r: r["brand"] == "mastercard" and r["number"][0] == "2"
        ),
        "grouped 13 digits": share(lambda r: r["length"] == 13 and r["spelling"] != "plain"),
        "others": share(
            lambda r: (
                r["length"] < 18
                and r["number"][0] != "2"
                and not (r["length"] == 13 and r["spelling"] != "plain")
            )
        ),
    }


# --- the run ---------------------------------------------------------------------------------


def median_of(repeat: int, measure: Callable[[], dict[str, Any]]) -> tuple[float, list[Any]]:
    """The median wall time of ``repeat`` runs, and the runs."""
    runs = [measure() for _ in range(repeat)]
    return statistics.median(r["wall"] for r in runs), runs


@dataclass
class Run:
    """One benchmark run: the log, its truth, and what was measured so far."""

    path: Path
    manifest: dict[str, Any]
    repeat: int
    results: dict[str, Any] = field(default_factory=dict)
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    ours: dict[str, float] = field(default_factory=dict)
    two: dict[str, float] = field(default_factory=dict)
    rg: dict[str, float] = field(default_factory=dict)
    limit: float = 0.0

    @property
    def size(self) -> float:
        """The log's size in MB."""
        return mb(self.path.stat().st_size)

    def page_cache(self) -> None:
        wall, _ = median_of(self.repeat, lambda: {"wall": page_cache_read(self.path)})
        self.limit = self.size / wall
        self.results["page_cache_mb_s"] = round(self.limit)
        self.rows.append(
            ("page cache read (8 MiB chunks)", f"{self.limit:,.0f}", "", "", "the limit")
        )

    def ours_on(self, cores: int) -> None:
        for name, kinds in SETS.items():
            wall, runs = median_of(self.repeat, lambda k=kinds: run_processes(self.path, k, cores))
            cpu = statistics.median(r["cpu"] for r in runs)
            want = truth_for(self.manifest, kinds)
            exact = all(r["counts"] == {k: v for k, v in want.items() if v} for r in runs)
            speed = self.size / wall
            key = f"ours_{name}" if cores == 1 else f"ours_two_cores_{name}"
            self.results[key] = {
                "mb_s": round(speed),
                "best_mb_s": round(self.size / min(r["wall"] for r in runs)),
                "cpu_mb_s": round(self.size / cpu),
                "seconds": round(wall, 3),
                "counts": {k: runs[0]["counts"].get(k, 0) for k in want},
                "truth": want,
                "exact": exact,
            }
            note = ", ".join(f"{k} {v}" for k, v in want.items())
            if cores == 1:
                self.ours[name] = speed
            else:
                self.two[name] = speed / self.ours[name]
                self.results[key]["speedup"] = round(self.two[name], 2)
                note = f"speedup {self.two[name]:.2f}x"
            verdict = "exact" if exact else "MISMATCH"
            label = f"ours, {'one core' if cores == 1 else 'two cores'}: {name}"
            self.rows.append((label, f"{speed:,.0f}", f"{self.size / cpu:,.0f}", verdict, note))

    def in_memory(self) -> None:
        """The detector alone: the same chunks already in memory (no read, no slicing)."""
        chunks = list(memory_chunks(self.path))
        for name, kinds in SETS.items():
            detector = Detector(kinds)
            detector.scan(chunks[0])
            walls, cpus = [], []
            for _ in range(self.repeat):
                began, cpu = time.perf_counter(), time.process_time()
                for chunk in chunks:
                    detector.scan(chunk, detail=16)
                walls.append(time.perf_counter() - began)
                cpus.append(time.process_time() - cpu)
            speed, cpu_speed = (
                self.size / statistics.median(walls),
                self.size / statistics.median(cpus),
            )
            self.results[f"ours_in_memory_{name}"] = {
                "mb_s": round(speed),
                "cpu_mb_s": round(cpu_speed),
            }
            label = f"ours, one core, chunks in memory: {name}"
            self.rows.append(
                (label, f"{speed:,.0f}", f"{cpu_speed:,.0f}", "", "the detector alone")
            )

    def ripgrep(self) -> None:
        for label, extra in (("ripgrep -j1", ["-j1"]), ("ripgrep (default threads)", [])):
            wall, runs = median_of(self.repeat, lambda x=extra: ripgrep(self.path, x))
            self.rg[label] = self.size / wall
            cpu = statistics.median(r["cpu"] for r in runs)
            found = runs[0]["candidates"]
            self.results[label] = {
                "mb_s": round(self.rg[label]),
                "best_mb_s": round(self.size / min(r["wall"] for r in runs)),
                "cpu_mb_s": round(self.size / cpu),
                "candidates": found,
            }
            self.rows.append(
                (
                    f"{label}: raw card candidates",
                    f"{self.rg[label]:,.0f}",
                    f"{self.size / cpu:,.0f}",
                    f"{found:,} candidates",
                    "no Luhn, no issuer check",
                )
            )

    def presidio(self, python: Path, cards_mb: float, pii_mb: float, seed: int) -> None:
        card_lines = {
            (c["line"], c["last4"]) for c in self.manifest["card_data"] if c["kind"] != "track-data"
        }
        for label, recognizers, slice_mb, set_name in (
            ("Presidio: cards", "cards", cards_mb, "cards"),
            ("Presidio: cards + 4 PII", "pii", pii_mb, "cards+pii"),
        ):
            peer = presidio(python, self.path, slice_mb, recognizers)
            size = mb(peer["bytes"])
            speed, cpu_speed = size / peer["seconds"], size / peer["cpu_seconds"]
            with self.path.open("rb") as handle:
                last_line = handle.read(peer["bytes"]).count(b"\n")
            truth_cards = {c for c in card_lines if c[0] <= last_line}
            truth = {
                kind: sum(1 for line in lines if line <= last_line)
                for kind, lines in self.manifest["lines"][self.path.name].items()
            }
            found = {(line, last4) for line, last4 in peer["cards"]}
            self.results[label] = {
                "slice_mb": round(size, 1),
                "mb_s": round(speed, 2),
                "cpu_mb_s": round(cpu_speed, 2),
                "counts": peer["counts"],
                "slice_truth": truth,
                "cards_found_of_truth": f"{len(found & truth_cards)}/{len(truth_cards)}",
                "cards_not_in_truth": len(found - truth_cards),
                "ours_times_faster": round(self.ours[set_name] / speed, 1),
            }
            self.rows.append(
                (
                    f"{label} ({size:.0f} MB slice)",
                    f"{speed:,.2f}",
                    f"{cpu_speed:,.2f}",
                    f"cards {len(found & truth_cards)}/{len(truth_cards)} of truth"
                    + ("" if recognizers == "cards" else _versus(peer["counts"], truth)),
                    f"ours {self.ours[set_name] / speed:,.0f}x faster",
                )
            )
        every, every_rows = every_card_file(seed)
        peer = presidio(python, every, 10, "cards")
        self.results["presidio_misses"] = misses(every_rows, {line for line, _ in peer["cards"]})
        data = every.read_bytes()
        ours = {data.count(b"\n", 0, h.start) + 1 for h in Detector(CARDS).scan(data).hits}
        self.results["ours_misses"] = misses(every_rows, ours)

    def report(self) -> None:
        table = Table(title=f"Discovery scan: {self.size:.0f} MB application log, page cache warm")
        for column in ("measured", "MB/s (wall)", "MB/s (CPU)", "counts", "note"):
            table.add_column(column, justify="right" if "MB/s" in column else "left")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)
        for name in SETS:
            share = self.ours[name] / self.limit
            console.print(
                f"ours {name}: {self.ours[name]:,.0f} MB/s ({share:.0%} of the page cache read),"
                f" two cores {self.two[name]:.2f}x"
            )
            for label, speed in self.rg.items():
                console.print(f"  vs {label}: {self.ours[name] / speed:.2f}x")
            peer = PRESIDIO_OF[name]
            if peer in self.results:
                console.print(f"  vs {peer}: {self.results[peer]['ours_times_faster']:,.0f}x")
        if "presidio_misses" in self.results:
            missed = self.results["presidio_misses"]
            console.print(f"Presidio misses (every brand, range, length, spelling): {missed}")
            console.print(f"ours misses of the same: {self.results['ours_misses']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=float, default=200)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--presidio-cards-mb", type=float, default=20)
    parser.add_argument("--presidio-pii-mb", type=float, default=2)
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args()
    load_before = load()
    path, manifest = the_log(args.megabytes, args.seed)
    warm(path)
    run = Run(path, manifest, args.repeat)
    run.results |= {"file_mb": round(run.size, 1), "seed": args.seed, "load_before": load_before}
    run.page_cache()
    run.ours_on(1)
    run.in_memory()
    run.ours_on(2)
    run.ripgrep()
    python = None if args.no_presidio else peers_python()
    if python is not None:
        run.presidio(python, args.presidio_cards_mb, args.presidio_pii_mb, args.seed)
    run.results["load_after"] = load()
    run.report()
    cpus = os.cpu_count()
    console.print(f"load average {load_before} -> {run.results['load_after']} on {cpus} CPUs")
    name = "scan" if args.megabytes == 200 else f"scan-{args.megabytes:g}MB"
    console.print(f"results: {record(name, run.results)}")


if __name__ == "__main__":
    main()
