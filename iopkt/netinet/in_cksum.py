"""The Internet checksum (RFC 1071; NetBSD ``netinet/in_cksum.c``, ``in4_cksum.c``)."""

from __future__ import annotations

from ..kern.mbuf import Mbuf, m_copydata


def in_cksum_add(data: bytes, acc: int = 0) -> int:
    """Add ``data`` as big-endian 16-bit words to a running, unfolded sum.
    When chaining pieces, every piece but the last must have an even length.

    The words' one's-complement sum is their sum modulo 0xFFFF (2**16 is 1
    modulo 0xFFFF, so the end-around carry of RFC 1071 section 2(A) is that
    reduction), except that a nonzero sum of 0 modulo 0xFFFF folds to
    0xFFFF. Read as one big-endian integer, ``data`` is the sum of its words
    times powers of 2**16, hence the same residue: one C-speed conversion
    and one modulo instead of a Python-level sum of 750 words per full
    frame (4.5 against 15 µs at 1472 bytes, 0.6 against 1.6 at 64)."""
    if len(data) & 1:
        data = bytes(data) + b"\x00"
    whole = int.from_bytes(data, "big")
    s = whole % 0xFFFF
    if s == 0 and whole:
        s = 0xFFFF
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
