"""Presidio's analyzer on a slice of a file: run by bench/bench_scan.py inside .venv-peers.

Not part of Klaremont and never imported by it: Presidio is a peer the discovery benchmark
measures against, installed from requirements/bench-peers.lock into its own environment.
The analyzer runs with its no-NLP engine (``NoOpNlpEngine``: no language model is loaded
or downloaded) and only the pattern recognizers asked for: the card recognizer, or the card
recognizer with e-mail, phone (UK region), UK postcode and date.

The slice (whole lines, from the start of the file) is analysed in chunks of about 64 KiB of
whole lines; the time is the analyzer's alone (reading is done first). Prints one JSON
object: bytes, seconds, counts per entity and, for card numbers, the 1-based line and last
four digits of each (never a full number).

Run: .venv-peers/bin/python bench/_presidio_peer.py FILE --megabytes M --set cards|pii
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter

CHUNK = 64 * 1024


def analyzer(recognizers: str) -> tuple[object, list[str]]:
    """An analyzer engine on the no-NLP path with the chosen pattern recognizers."""
    os.environ.setdefault("TLDEXTRACT_CACHE", "/nonexistent")
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # noqa: PLC0415
    from presidio_analyzer.nlp_engine import NoOpNlpEngine  # noqa: PLC0415
    from presidio_analyzer.predefined_recognizers import (  # noqa: PLC0415
        CreditCardRecognizer,
        DateRecognizer,
        EmailRecognizer,
        PhoneRecognizer,
        UkPostcodeRecognizer,
    )

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.add_recognizer(CreditCardRecognizer())
    entities = ["CREDIT_CARD"]
    if recognizers == "pii":
        registry.add_recognizer(EmailRecognizer())
        registry.add_recognizer(PhoneRecognizer(supported_regions=("GB",)))
        registry.add_recognizer(UkPostcodeRecognizer())
        registry.add_recognizer(DateRecognizer())
        entities += ["EMAIL_ADDRESS", "PHONE_NUMBER", "UK_POSTCODE", "DATE_TIME"]
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    nlp.load()
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
    return engine, entities


def chunks(text: str) -> list[tuple[int, str]]:
    """``text`` in pieces of about CHUNK characters of whole lines, with each piece's first
    line number (1-based)."""
    pieces = []
    start, line = 0, 1
    while start < len(text):
        end = text.find("\n", min(len(text), start + CHUNK))
        end = len(text) if end < 0 else end + 1
        piece = text[start:end]
        pieces.append((line, piece))
        line += piece.count("\n")
        start = end
    return pieces


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--megabytes", type=float, required=True)
    parser.add_argument("--set", choices=["cards", "pii"], required=True)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the no-op engine and tldextract say so at length
    with open(args.file, "rb") as handle:  # noqa: PTH123 - a plain script in the peer venv
        raw = handle.read(int(args.megabytes * 1_000_000))
    raw = raw[: raw.rfind(b"\n") + 1]
    text = raw.decode("utf-8")
    engine, entities = analyzer(args.set)
    pieces = chunks(text)
    engine.analyze(text=pieces[0][1][:2000], language="en", entities=entities)  # warm-up
    counts: Counter[str] = Counter()
    cards: list[tuple[int, str]] = []
    started = time.perf_counter()
    cpu = time.process_time()
    for first_line, piece in pieces:
        for result in engine.analyze(text=piece, language="en", entities=entities):
            counts[result.entity_type] += 1
            if result.entity_type == "CREDIT_CARD":
                value = piece[result.start : result.end]
                digits = "".join(c for c in value if c.isdigit())
                cards.append((first_line + piece.count("\n", 0, result.start), digits[-4:]))
    seconds = time.perf_counter() - started
    json.dump(
        {
            "bytes": len(raw),
            "seconds": seconds,
            "cpu_seconds": time.process_time() - cpu,
            "counts": dict(counts),
            "cards": cards,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
