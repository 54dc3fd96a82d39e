"""What a demo measured, which claims held, and which figures it wrote; and its text form."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Claim", "DemoReport", "Measurement", "format_report"]


@dataclass(frozen=True)
class Measurement:
    """One measured number (or short text) of a demo.

    Parameters
    ----------
    key : str
        A stable identifier, for programs (``"psnr_recovered"``).
    label : str
        What it is, for people (``"PSNR of the recovered image"``).
    value : float, int or str
        The measured value.
    unit : str
        Printed after the value (``"dB"``, ``"s"``, ``"bytes"``).

    Examples
    --------
    >>> from linop.demos import Measurement
    >>> Measurement("psnr", "PSNR of the result", 27.1, "dB").value
    27.1
    """

    key: str
    label: str
    value: float | int | str
    unit: str = ""

    def formatted(self) -> str:
        """The value as printed: floats with 4 significant digits, byte counts with a readable unit."""
        value = self.value
        if self.unit == "bytes" and isinstance(value, (int, float)):
            return _bytes_text(float(value))
        if isinstance(value, float):
            text = f"{value:.4g}"
        else:
            text = str(value)
        return f"{text} {self.unit}".rstrip()


def _bytes_text(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


@dataclass(frozen=True)
class Claim:
    """A statement the demo checks on its own numbers, and whether it held.

    Parameters
    ----------
    statement : str
        What the demo claims.
    holds : bool
        Whether it held on the numbers it measured.

    Examples
    --------
    >>> from linop.demos import Claim
    >>> Claim("lsqr improves the PSNR", holds=True)
    Claim(statement='lsqr improves the PSNR', holds=True)
    """

    statement: str
    holds: bool


@dataclass
class DemoReport:
    """Everything one run of a demo produced.

    Parameters
    ----------
    name : str
        The demo's name (its module and script name).
    title : str
        One line saying what the demo shows.
    measurements : list of Measurement
        The numbers measured, in the order printed.
    claims : list of Claim
        The statements checked on them.
    figures : list of Path
        The PNG files written.
    details : list of str
        Lines of text printed before the measurements (a matrix, a table of shapes).
    notes : list of str
        Remarks such as "figures skipped: matplotlib is not installed".

    Examples
    --------
    >>> from linop.demos import Claim, DemoReport, Measurement
    >>> report = DemoReport("example", "An example report")
    >>> report.measurements.append(Measurement("psnr", "PSNR of the result", 27.1, "dB"))
    >>> report.claims.append(Claim("the PSNR is above 20 dB", True))
    >>> report.ok
    True
    """

    name: str
    title: str
    measurements: list[Measurement] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def measure(self, key: str, label: str, value: Any, unit: str = "") -> Any:
        """Record a measurement and return its value."""
        if any(m.key == key for m in self.measurements):
            raise ValueError(f"measurement key {key!r} is already recorded")
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            value = value.item()
        self.measurements.append(Measurement(key, label, value, unit))
        return value

    def claim(self, statement: str, holds: bool) -> bool:
        """Record whether a claim holds; returns it."""
        self.claims.append(Claim(statement, bool(holds)))
        return bool(holds)

    def value(self, key: str) -> float | int | str:
        """The value of the measurement ``key``.

        Raises
        ------
        KeyError
            If no measurement has that key.
        """
        for m in self.measurements:
            if m.key == key:
                return m.value
        known = ", ".join(m.key for m in self.measurements)
        raise KeyError(f"no measurement {key!r}; recorded: {known}")

    @property
    def ok(self) -> bool:
        """Whether every claim held."""
        return all(c.holds for c in self.claims)


def format_report(report: DemoReport) -> str:
    """The report as text: title, details, one aligned line per measurement, claims, figures, notes.

    Parameters
    ----------
    report : DemoReport
        A demo's report.

    Returns
    -------
    str
        The text printed at the end of a demo.

    Examples
    --------
    >>> from linop.demos import Claim, DemoReport, Measurement, format_report
    >>> report = DemoReport("example", "An example report")
    >>> report.measurements.append(Measurement("psnr", "PSNR of the result", 27.1, "dB"))
    >>> report.claims.append(Claim("the PSNR is above 20 dB", True))
    >>> print(format_report(report))
    An example report
    <BLANKLINE>
      PSNR of the result  27.1 dB
    <BLANKLINE>
    claims:
      [ok] the PSNR is above 20 dB
    """
    width = max((len(m.label) for m in report.measurements), default=0)
    lines = [report.title, ""]
    if report.details:
        lines += [f"  {line}" for line in report.details] + [""]
    lines += [f"  {m.label:<{width}}  {m.formatted()}" for m in report.measurements]
    if report.claims:
        lines += ["", "claims:"]
        lines += [f"  [{'ok' if c.holds else 'FAILED'}] {c.statement}" for c in report.claims]
    if report.figures:
        lines += ["", "figures:"]
        lines += [f"  {path}" for path in report.figures]
    if report.notes:
        lines += [""] + [f"note: {note}" for note in report.notes]
    return "\n".join(lines)
