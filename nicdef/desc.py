"""Descriptors as bytes: the one codec the driver and the test benches share.

``encode(TX_DESC, ADDR=..., LEN=..., CMD=...)`` packs fields by their
definition in ``regs.py`` (bit ``lsb`` of the little-endian descriptor);
``decode(RX_DESC, raw)`` unpacks every field. A value wider than its field
raises ``ValueError`` rather than spilling into the next one.
"""

from __future__ import annotations

from .model import Descriptor
from .regs import DESC_SIZE, RX_DESC, TX_DESC


def encode(desc: Descriptor, **values: int) -> bytes:
    """``desc.size`` bytes with the named fields set and every other bit 0."""
    word = 0
    fields = {df.name: df for df in desc.fields}
    for name, value in values.items():
        df = fields.get(name)
        if df is None:
            raise ValueError(f"{desc.name} has no field {name}")
        if not 0 <= value < 1 << df.width:
            raise ValueError(f"{desc.name}.{name} = {value:#x} does not fit {df.width} bits")
        word |= value << df.lsb
    return word.to_bytes(desc.size, "little")


def decode(desc: Descriptor, raw: bytes) -> dict[str, int]:
    """Every field of ``desc`` from its ``desc.size`` bytes."""
    if len(raw) != desc.size:
        raise ValueError(f"{desc.name} is {desc.size} bytes, not {len(raw)}")
    word = int.from_bytes(raw, "little")
    return {df.name: (word >> df.lsb) & ((1 << df.width) - 1) for df in desc.fields}


def tx_desc(addr: int, length: int, cmd: int) -> bytes:
    """A transmit descriptor as a driver writes it (STA and RSVD zero)."""
    return encode(TX_DESC, ADDR=addr, LEN=length, CMD=cmd)


def rx_desc(addr: int) -> bytes:
    """A receive descriptor as a driver posts it: the buffer address, the rest zero."""
    return encode(RX_DESC, ADDR=addr)


assert TX_DESC.size == RX_DESC.size == DESC_SIZE
