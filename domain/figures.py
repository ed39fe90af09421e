"""Fractions and how every figure shows them: in chat, in the chart and in the workbook alike.

A percentage is shown with one decimal and a Vietnamese decimal comma ("84,6%"), the decimal
dropped when it is zero ("90%"). When a figure is judged against a bar (attendance above 85%,
the quota, a target) the display never contradicts the verdict: if rounding would put the shown
figure on the other side of the bar, or on it, more decimals are shown until it does not
(85,04% is never "85,0%" beside "trên 85%: đạt").
"""

from __future__ import annotations

from fractions import Fraction

NO_DATA = "chưa có dữ liệu"
MAX_DECIMALS = 4


def fraction(part: int, whole: int, bar: Fraction | None = None) -> str:
    """`24/26 = 92,3%`; a zero denominator reads "chưa có dữ liệu", never a division error."""
    if whole <= 0:
        return NO_DATA
    return f"{part}/{whole} = {percent(part, whole, bar)}"


def percent(part: int, whole: int, bar: Fraction | None = None) -> str:
    """`part/whole` as a percentage; `bar` (a share, 0.85) is the threshold a verdict uses."""
    if whole <= 0:
        return NO_DATA
    if bar is None and part >= 0:
        # `share_percent` without a bar, in integers: one decimal, half up (a committee's summary
        # shows two hundred of these, and the Fractions were a tenth of its time).
        tenths = (2000 * part + whole) // (2 * whole)
        units, tenth = divmod(tenths, 10)
        return f"{units}%" if tenth == 0 else f"{units},{tenth}%"
    return share_percent(Fraction(part, whole), bar)


def share_percent(share: Fraction, bar: Fraction | None = None) -> str:
    """A share (0.846...) as "84,6%", on the same side of `bar` as the share itself."""
    value = share * 100
    for decimals in range(1, MAX_DECIMALS + 1):
        shown = _round(value, decimals)
        if bar is None or _side(shown, bar * 100) == _side(value, bar * 100):
            return _text(shown, decimals)
    return _text(_round(value, MAX_DECIMALS), MAX_DECIMALS)


def share_text(share: Fraction) -> str:
    """A setting such as the quota or a target, as people write it: "20%", "12,5%"."""
    return share_percent(share)


def thousands(number: int) -> str:
    """Vietnamese digit grouping: 3000 -> "3.000"."""
    return f"{number:,}".replace(",", ".")


def as_share(value: object) -> Fraction:
    """A share setting (0.2, "0.2", "20%", 20) as an exact fraction between 0 and 1."""
    text = str(value).strip().rstrip("%")
    share = Fraction(text)
    if share > 1 or str(value).strip().endswith("%"):
        share /= 100
    if not 0 <= share <= 1:
        raise ValueError(f"share out of range: {value!r}")
    return share


def _round(value: Fraction, decimals: int) -> Fraction:
    """Half up, exactly (no binary floating point on the way)."""
    scale = 10**decimals
    scaled = value * scale
    return Fraction(int(scaled + Fraction(1, 2)) if scaled >= 0 else -int(-scaled + Fraction(1, 2)), scale)


def _side(value: Fraction, bar: Fraction) -> int:
    return (value > bar) - (value < bar)


def _text(value: Fraction, decimals: int) -> str:
    if value.denominator == 1:
        return f"{value.numerator}%"
    whole, rest = divmod(abs(value.numerator) * 10**decimals // value.denominator, 10**decimals)
    digits = f"{rest:0{decimals}d}".rstrip("0")
    sign = "-" if value < 0 else ""
    return f"{sign}{whole},{digits}%"
