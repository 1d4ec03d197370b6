"""Plain data types the NIC's programming model is written in.

Kept apart from the definition itself (``regs.py``) so the generators and the
driver see the same objects: a register is a name, an offset, an access kind
and a list of fields; a descriptor is a list of fields at byte offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int = 1
    doc: str = ""

    @property
    def mask(self) -> int:
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    """A 32-bit register. ``legal`` says which values software may write (or,
    for a read-only register, what it reads); ``outside`` what the NIC does
    with any other value, so every value has a defined behaviour (the
    datasheet's register reference prints both)."""

    name: str
    offset: int
    access: str  # "ro", "rw", "w1c", "wo" (write-only strobe), "rc" (read clears)
    doc: str
    reset: int = 0
    fields: tuple[Field, ...] = field(default_factory=tuple)
    legal: str = ""
    outside: str = ""


@dataclass(frozen=True)
class DescField:
    """A field of a DMA descriptor: ``width`` bits starting at bit ``lsb`` of
    the little-endian 128-bit descriptor (byte offset = lsb // 8). ``legal``
    and ``outside`` as for :class:`Register`: the values the driver may
    write, and what the NIC does with any other."""

    name: str
    lsb: int
    width: int
    doc: str
    flags: tuple[Field, ...] = field(default_factory=tuple)
    legal: str = ""
    outside: str = ""

    @property
    def byte_offset(self) -> int:
        return self.lsb // 8


@dataclass(frozen=True)
class Descriptor:
    name: str
    size: int
    doc: str
    fields: tuple[DescField, ...]
