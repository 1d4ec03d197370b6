"""Faults a test injects into a simulated host, as a bad board would produce them.

Two ways to make one NIC's host-memory port answer chosen DMA accesses with
SLVERR (what an AXI interconnect returns for a bad access), with one API
(``fail_next``, ``fail_range``, ``fired``, ``clear``):

- ``PortDmaFaults``, for a ``host_mem_axi`` slave (``nic_pair_tb``, through
  ``CocotbPlatform`` and ``NicHarness``): the rules live in C
  (``rtl/tb/host_mem_axi.c``) and the slave checks them once per burst, at
  its address handshake; a matching burst gets SLVERR on every beat (read)
  or in its B response (write) and moves no data. No Python runs per burst.
- ``DmaFaults``, for cocotbext-axi's ``AxiRam`` (the single-NIC benches on
  toplevel ``nic``, ``nic_harness.NicHarness``): ``AxiRam`` turns an
  exception raised by its backing read or write into an SLVERR response for
  that beat (read) or burst (write). The wrapper costs one Python comparison
  per beat and nothing when no rule is armed.

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
    """One access a rule failed: the rule's name (a ``DMA_KINDS`` key, or
    ``"lo..hi"`` for a range), the address (``AxiRam``: the beat's;
    ``host_mem_axi``: the burst's AxADDR), the direction, and the simulated
    time in ns."""

    name: str
    addr: int
    write: bool
    time_ns: int


def _kind(kind: str, tx_ring: tuple[int, int], rx_ring: tuple[int, int]):
    """(where, write, own ring) of a ``DMA_KINDS`` access: where is "ring" or "buffer"."""
    engine, where, write = DMA_KINDS[kind]
    return where, write, tx_ring if engine == "tx" else rx_ring


@dataclass
class DmaFaults:
    """SLVERR on chosen accesses of one NIC's DMA port served by an ``AxiRam``
    (per beat; see ``PortDmaFaults`` for ``host_mem_axi``)."""

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
        where, write, own = _kind(kind, tx_ring, rx_ring)
        rings = [tx_ring, rx_ring]

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


# rule kinds of host_mem_axi.c (HM_MATCH_*)
_MATCH_RANGE, _MATCH_RING, _MATCH_BUFFER = 0, 1, 2


class PortDmaFaults:
    """SLVERR on chosen bursts of one ``host_mem_axi`` port (``port``: its PORT
    parameter; ``nic_pair_tb``: 0 for NIC A, 1 for NIC B).

    Rules are kept in C, at most 32 per port, and checked by the slave once
    per burst in the order they were added; the first that matches fails the
    burst and counts down (``count`` -1: every matching burst). A burst
    matches by the bytes its beats cover (bus-aligned words). Rules and
    ``fired`` start empty whenever a memory is attached to the port (each
    ``CocotbPlatform``/``NicHarness`` does). Raises ``RuntimeError`` when the
    port's rule table is full, ``KeyError`` for an unknown kind."""

    def __init__(self, port: int):
        from nicsim import host_mem  # only inside a simulation that has the library

        self._hm = host_mem
        self._c = host_mem.lib()
        self.port = port
        self._names: dict[int, str] = {}
        self._fired: list[FiredFault] = []

    def _add(self, name: str, match: int, write: bool | None, count: int, lo: int = 0, hi: int = 0,
             rings: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))) -> None:
        if count == 0:
            return
        tag = len(self._names) + 1
        self._names[tag] = name
        (r0, n0), (r1, n1) = rings
        if self._c.hm_rule_add(self.port, tag, match, -1 if write is None else int(write), count, lo, hi,
                               r0, r0 + n0, r1, r1 + n1) != 0:
            raise RuntimeError(f"host memory port {self.port}: no room for another fault rule ({name})")

    def fail_range(self, lo: int, hi: int, count: int = -1) -> None:
        """Every burst (or the next ``count``) touching [lo, hi), either direction."""
        self._add(f"{lo:#x}..{hi:#x}", _MATCH_RANGE, None, count, lo, hi)

    def fail_next(self, kind: str, tx_ring: tuple[int, int], rx_ring: tuple[int, int], count: int = 1) -> None:
        """The next ``count`` bursts of one kind (a key of ``DMA_KINDS``), told
        apart by the rings' (base, bytes) as ``DmaFaults.fail_next`` does:
        reads of the TX ring are descriptor fetches, writes to it write-backs,
        reads touching no ring transmit buffers, writes touching no ring
        receive buffers."""
        where, write, own = _kind(kind, tx_ring, rx_ring)
        if where == "ring":
            self._add(kind, _MATCH_RING, write, count, own[0], own[0] + own[1])
        else:
            self._add(kind, _MATCH_BUFFER, write, count, rings=(tx_ring, rx_ring))

    @property
    def fired(self) -> list[FiredFault]:
        """Every burst a rule failed since the memory was attached, oldest first (the first 4096)."""
        for tag, write, addr, time_ns in self._hm.fired_records(self.port, len(self._fired)):
            self._fired.append(FiredFault(self._names.get(tag, f"rule {tag}"), addr, write, time_ns))
        return list(self._fired)

    @property
    def armed(self) -> int:
        """Rules still waiting to fire."""
        return self._c.hm_rule_count(self.port)

    def clear(self) -> None:
        """Drop every rule not yet used up (``fired`` is kept)."""
        self._c.hm_rules_clear(self.port)


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
