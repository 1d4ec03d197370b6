"""Numbers from text with explicit ranges: NetBSD's ``strtoi(3)``
(``common/lib/libc/stdlib/strtoi.c``, built into the kernel and libc alike)
and the same for decimal fractions.

Every number a utility or an options string takes goes through here, so a
value is either a finite number of the right type inside its range or a
``NumberError`` naming the text and why, never an ``OverflowError``, a NaN
or a Unicode digit that ``int()`` would have accepted.

``strtoi(text, lo, hi, base=10) -> int``
    ASCII digits with an optional sign; ``base`` 10, 16 (``0x`` optional) or
    0 (C's rules: ``0x`` hex, a leading ``0`` octal, else decimal).
``strtod_range(text, lo, hi) -> float``
    A decimal like ``strtod``'s (``1``, ``.5``, ``2.``, ``1e-3``), finite;
    no ``inf``, ``nan``, hex floats or ``_`` separators.

The reasons are ``strtonum(3)``'s: ``"invalid"``, ``"too small"``,
``"too large"``.
"""

from __future__ import annotations

import math
import re

_DECIMAL = re.compile(r"[+-]?[0-9]+\Z")
_HEX = re.compile(r"[+-]?(0[xX])?[0-9a-fA-F]+\Z")
_OCTAL = re.compile(r"[+-]?0[0-7]*\Z")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")

# Longer than any 64-bit value in any base: decide by the sign instead of
# converting (int() refuses strings of thousands of digits).
_MAX_DIGITS = 70


class NumberError(ValueError):
    """``text`` is not a number in ``lo..hi``; ``reason`` says which way."""

    def __init__(self, text: str, reason: str, lo, hi):
        super().__init__(f"{text}: {reason}")
        self.text = text
        self.reason = reason
        self.lo = lo
        self.hi = hi


def _in_range(value, text: str, lo, hi):
    if value < lo:
        raise NumberError(text, "too small", lo, hi)
    if value > hi:
        raise NumberError(text, "too large", lo, hi)
    return value


def strtoi(text, lo: int, hi: int, base: int = 10) -> int:
    """``text`` as an integer in ``lo..hi`` or ``NumberError``."""
    if not isinstance(text, str) or not text.isascii():
        raise NumberError(str(text), "invalid", lo, hi)
    if base == 0:
        body = text.lstrip("+-")
        if body[:2] in ("0x", "0X"):
            base = 16
        elif len(body) > 1 and body[0] == "0":
            base = 8
        else:
            base = 10
    pattern = {10: _DECIMAL, 16: _HEX, 8: _OCTAL}.get(base)
    if pattern is None:
        raise ValueError(f"strtoi: base {base} is not supported")
    if not pattern.match(text):
        raise NumberError(text, "invalid", lo, hi)
    if len(text) > _MAX_DIGITS:
        raise NumberError(text, "too small" if text[0] == "-" else "too large", lo, hi)
    return _in_range(int(text, base), text, lo, hi)


def strtod_range(text, lo: float, hi: float) -> float:
    """``text`` as a finite decimal number in ``lo..hi`` or ``NumberError``."""
    if not isinstance(text, str) or not text.isascii() or not _FLOAT.match(text):
        raise NumberError(str(text), "invalid", lo, hi)
    value = float(text)  # an exponent too big for a double gives inf: too large
    if math.isinf(value):
        raise NumberError(text, "too small" if value < 0 else "too large", lo, hi)
    return _in_range(value, text, lo, hi)
