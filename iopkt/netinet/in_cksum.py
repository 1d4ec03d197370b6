"""The Internet checksum (RFC 1071; NetBSD ``netinet/in_cksum.c``, ``in4_cksum.c``)."""

from __future__ import annotations

import sys

from ..kern.mbuf import Mbuf, m_copydata


def in_cksum_add(data: bytes, acc: int = 0) -> int:
    """Add ``data`` as big-endian 16-bit words to a running, unfolded sum.
    When chaining pieces, every piece but the last must have an even length."""
    if len(data) & 1:
        data = bytes(data) + b"\x00"
    s = sum(memoryview(data).cast("H"))
    if sys.byteorder == "little":
        # The sum of byte-swapped words, folded and swapped back, is the
        # big-endian sum (RFC 1071 section 2(B)); much faster than struct.unpack.
        s = _fold(s)
        s = ((s & 0xFF) << 8) | (s >> 8)
    return acc + s


def _fold(acc: int) -> int:
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def in_cksum_fold(acc: int) -> int:
    """One's complement of the folded sum: the value that goes in the header."""
    return ~_fold(acc) & 0xFFFF


def in_cksum(data: bytes) -> int:
    """Checksum of ``data``; 0 over data that includes a correct checksum field."""
    return in_cksum_fold(in_cksum_add(data))


def in_cksum_mbuf(m: Mbuf, off: int, length: int) -> int:
    return in_cksum(m_copydata(m, off, length))


def in4_pseudo_sum(src: int, dst: int, proto: int, length: int) -> int:
    """The unfolded sum of the IPv4 pseudo-header that UDP and TCP checksums cover."""
    return (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + proto + length


def in4_cksum(segment: bytes, proto: int, src: int, dst: int) -> int:
    """Checksum of a transport segment with its pseudo-header."""
    return in_cksum_fold(in_cksum_add(segment, in4_pseudo_sum(src, dst, proto, len(segment))))
