"""Faults a test injects into a simulated host, as a bad board would produce them.

``DmaFaults`` makes one NIC's host-memory port answer chosen DMA accesses
with SLVERR: cocotbext-axi's ``AxiRam`` turns an exception raised by its
backing read or write into an SLVERR response for that beat (read) or burst
(write), which is what an AXI interconnect returns for a bad address. The
wrapper costs one Python comparison per beat and nothing when no rule is armed.

``StuckRegisters`` wraps a device's register bus so chosen bits of a
register always read as set: a PHY whose MDIO master never finishes
(``MDIO_CMD.BUSY`` stuck) is one such board.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cocotb.utils import get_sim_time

from iopkt.platform.base import RegisterBus
from nicdef import regs as R

# The kinds of DMA access a NIC makes, by engine, by which memory they touch
# (the driver's descriptor ring or a buffer) and by direction.
DMA_KINDS = {
    "tx_desc_fetch": ("tx", "ring", False),
    "tx_buffer_read": ("tx", "buffer", False),
    "tx_writeback": ("tx", "ring", True),
    "rx_desc_fetch": ("rx", "ring", False),
    "rx_buffer_write": ("rx", "buffer", True),
    "rx_writeback": ("rx", "ring", True),
}


class InjectedBusError(OSError):
    """What the memory model raises for an access a test chose to fail."""


@dataclass
class _Rule:
    name: str
    matches: Callable[[int, bool], bool]
    count: int  # accesses still to fail; -1: every one


@dataclass
class FiredFault:
    name: str
    addr: int
    write: bool
    time_ns: int


@dataclass
class DmaFaults:
    """SLVERR on chosen accesses of one NIC's DMA port (an ``AxiRam``)."""

    ram: object
    rules: list[_Rule] = field(default_factory=list)
    fired: list[FiredFault] = field(default_factory=list)

    def __post_init__(self):
        for ifc, attr, write in ((self.ram.read_if, "_read", False), (self.ram.write_if, "_write", True)):
            orig = getattr(ifc, attr)

            async def access(address, arg, _orig=orig, _write=write):
                if self.rules:
                    self._check(address, _write)
                return await _orig(address, arg)

            setattr(ifc, attr, access)

    def _check(self, addr: int, write: bool) -> None:
        for rule in self.rules:
            if rule.matches(addr, write):
                if rule.count > 0:
                    rule.count -= 1
                    if rule.count == 0:
                        self.rules.remove(rule)
                self.fired.append(FiredFault(rule.name, addr, write, int(get_sim_time("ns"))))
                raise InjectedBusError(f"injected bus error ({rule.name}) at {addr:#x}")

    def fail_range(self, lo: int, hi: int, count: int = -1) -> None:
        """Every access (or the next ``count``) in [lo, hi), either direction."""
        self.rules.append(_Rule(f"{lo:#x}..{hi:#x}", lambda a, w: lo <= a < hi, count))

    def fail_next(self, kind: str, tx_ring: tuple[int, int], rx_ring: tuple[int, int], count: int = 1) -> None:
        """The next ``count`` accesses of one kind (a key of ``DMA_KINDS``),
        told apart by the rings' (base, bytes): reads of the TX ring are
        descriptor fetches, writes to it write-backs, reads anywhere else
        transmit buffers (the receive engine reads only its ring), writes
        anywhere else receive buffers."""
        engine, where, write = DMA_KINDS[kind]
        rings = [tx_ring, rx_ring]
        own = tx_ring if engine == "tx" else rx_ring

        def in_ring(addr: int, ring: tuple[int, int]) -> bool:
            return ring[0] <= addr < ring[0] + ring[1]

        if where == "ring":
            def matches(addr, w):
                return w == write and in_ring(addr, own)
        else:
            def matches(addr, w):
                return w == write and not any(in_ring(addr, r) for r in rings)
        self.rules.append(_Rule(kind, matches, count))

    def clear(self) -> None:
        self.rules.clear()


class StuckRegisters(RegisterBus):
    """A register bus on which some bits always read as 1 (``stuck`` maps an
    offset to the bits). Writes pass through."""

    def __init__(self, regs: RegisterBus, stuck: dict[int, int]):
        self._regs = regs
        self.stuck = dict(stuck)

    async def read32(self, offset: int) -> int:
        return await self._regs.read32(offset) | self.stuck.get(offset, 0)

    async def write32(self, offset: int, value: int) -> None:
        await self._regs.write32(offset, value)


MDIO_BUSY_STUCK = {R.REG_MDIO_CMD: R.MDIO_CMD_BUSY}
