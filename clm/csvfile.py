"""The one CSV writer clm uses: cells a spreadsheet would run as formulas are neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``@SUM(...)``,
``-2+3+cmd|...``); a counterparty name, an order line's description or an imported file's
name is text someone else chose. Such a cell gets a leading apostrophe, which spreadsheets
show as text and do not display (OWASP "CSV Injection"). A plain number (``-120.00``,
``+5``) is left as it is: it is no formula, and finance reads credit notes as negative amounts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

#: What a spreadsheet treats as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet: a formula-looking text gets a leading apostrophe."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


class Writer:
    """``csv.writer`` with every cell neutralised; ``lineterminator`` is "\\n" as everywhere in clm."""

    def __init__(self, handle: IO[str], *, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(handle, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class DictWriter:
    """``csv.DictWriter`` (extra keys ignored) with every cell neutralised."""

    def __init__(self, handle: IO[str], fieldnames: Sequence[str], *, lineterminator: str = "\n") -> None:
        self._writer = csv.DictWriter(handle, fieldnames=list(fieldnames), extrasaction="ignore",
                                      lineterminator=lineterminator)

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({key: neutralise(value) for key, value in row.items()})


def writer(handle: IO[str]) -> Writer:
    """Return a formula-safe CSV writer on ``handle``."""
    return Writer(handle)
