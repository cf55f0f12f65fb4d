"""How many SMS segments a text takes, and in which encoding (GSM 03.38 7-bit, or UCS-2).

A text that fits the GSM 7-bit alphabet (with its extension table, whose characters take two
septets) holds 160 septets in one SMS, or 153 per segment when it is split; any other character
(Arabic, Ge'ez, Persian, Turkish ı and ş, an emoji) makes the whole text UCS-2: 70 UTF-16 code
units in one SMS, or 67 per segment. The codec is the ``gsm0338`` package's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

GSM7 = "GSM-7"
UCS2 = "UCS-2"


@dataclass(frozen=True)
class Segments:
    """The encoding, the number of units (septets or UTF-16 code units) and of segments."""

    encoding: str
    units: int
    count: int


def count(text: str) -> Segments:
    """The segments ``text`` takes as one SMS."""
    try:
        units = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-le")) // 2
        return Segments(UCS2, units, 1 if units <= 70 else math.ceil(units / 67))
    return Segments(GSM7, units, 1 if units <= 160 else math.ceil(units / 153))
