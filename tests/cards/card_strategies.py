"""Hypothesis strategies for card numbers of every brand and every spelling people use."""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from klaremont.detectors.pan import BRANDS, brand_of, luhn_complete

#: Between digit groups: what people and systems put there (the detector must see through all).
SEPARATORS = (
    "",
    " ",
    "-",
    ".",
    "/",
    "_",
    "  ",
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\n",
    "\t",
    "\r\n",
    "\u200b",  # zero-width space
    "\u00a0",  # no-break space
    " - ",
    ",",
)


@st.composite
def brand_numbers(draw: st.DrawFn, lengths: tuple[int, ...] = tuple(range(13, 20))) -> str:
    """A Luhn-valid number of some brand's prefix and length (Mastercard 2-series included)."""
    brand = draw(st.sampled_from([b for b in BRANDS if b.lengths & set(lengths)]))
    low, high = draw(st.sampled_from(brand.ranges))
    prefix = str(draw(st.integers(low, high)))
    length = draw(st.sampled_from(sorted(brand.lengths & set(lengths))))
    body = draw(
        st.text("0123456789", min_size=length - len(prefix) - 1, max_size=length - len(prefix) - 1)
    )
    number = luhn_complete(prefix + body)
    assume(brand_of(number) is not None)
    return number


def grouped(number: str, sep: str, size: int = 4) -> str:
    """``number`` in groups of ``size`` digits joined by ``sep``."""
    return sep.join(number[i : i + size] for i in range(0, len(number), size))
