"""The register and interrupt log: what the driver and the NIC did, in
simulated time, named as the datasheet names it.

One :class:`EventLog` per simulation, any number of hosts attached
(:meth:`EventLog.attach`). It records, each line naming host and device:

- every register access once it has landed, by register name, its value
  decoded by the register's fields from ``nicdef`` (``w INT_MASK_SET =
  RX_DONE|TX_DONE``; statistics counters as decimal numbers, registers
  without fields in hex);
- every edge of each NIC's interrupt line, rise and fall, at the simulated
  time it happened (the line is watched on both edges while a log is attached:
  one wake-up per edge, none per clock);
- the kernel entering the ISRs of a line, ``InterruptMask``/``Unmask``,
  each process-function pass and its return, each ``enable()`` (io-pkt's
  interrupt observers, ``iopkt.kern.intr``);
- every descriptor the driver writes into a ring (``post``, decoded by
  ``nicdef``'s descriptor fields: slot, ADDR, LEN, CMD/STA flags; a write of
  zeros over several slots is one ``zero`` line) and every descriptor the
  NIC writes back (``done``: a completed NIC write burst into a ring, from
  the host memory's C transaction log, decoded from memory before the driver
  can read or reuse the slot).

Rings are learnt from the driver's writes of ``*_BASE_LO/HI`` and ``*_LEN``.
Records are kept raw (numbers and bytes) and formatted only by
:meth:`EventLog.lines`/:meth:`EventLog.write`; only the last ``limit`` are
kept (the header says how many went before). Off in the bench
(``build_hosts(dut, event_log=False)``) and with ``NICSIM_EVENT_LOG=0``.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import NamedTuple

from nicdef import regs as R
from nicdef.desc import decode
from nicsim import host_mem
from nicsim.host_platform import format_fields

ENV = "NICSIM_EVENT_LOG"
DEFAULT_LIMIT = 50_000  # events kept; a ping is about 60, a 1000-frame flood about 20,000

__all__ = ["Event", "EventLog", "describe_register", "enabled_by_default"]

_BY_OFFSET = {r.offset: r for r in R.REGISTERS}
_RING_REGS = {R.REG_TX_BASE_LO: ("TX", "lo"), R.REG_TX_BASE_HI: ("TX", "hi"), R.REG_TX_LEN: ("TX", "len"),
              R.REG_RX_BASE_LO: ("RX", "lo"), R.REG_RX_BASE_HI: ("RX", "hi"), R.REG_RX_LEN: ("RX", "len")}
_DESC = {"TX": R.TX_DESC, "RX": R.RX_DESC}
_KERNEL_KINDS = {"isr": "isr", "mask": "mask", "unmask": "unmask", "process": "process", "enable": "enable"}

HEADER = """\
# Register and interrupt log (nicsim.event_log), in simulated time.
# columns: time_ns  host  device  event  detail
#   r / w    a register access, at the time the NIC answered it: NAME = value by nicdef's fields
#            (NAME=n for a wider field, hex for bits no field names; STAT_* counters in decimal). A write
#            takes effect a clock or two before its answer, so an irq edge it causes may be listed first
#   irq      the device's interrupt line rising or falling
#   isr      the kernel entering the ISRs attached to irq N (after its 200 ns entry cost)
#   mask / unmask   InterruptMask / InterruptUnmask of irq N
#   process  a pass of io-pkt's interrupt run queue: the entry's process function and what it returned
#   enable   io-pkt calling the entry's enable() after a pass that returned non-zero
#   post     the driver writing a descriptor into a ring: RING[slot] and its fields (the descriptors a
#            ring already holds when its *_LEN is written are listed then, at that write)
#   zero     the driver zeroing descriptors RING[first..last]
#   done     the NIC writing a descriptor back (its DMA write burst into the ring), decoded from memory
"""


def enabled_by_default() -> bool:
    """True unless ``NICSIM_EVENT_LOG`` is ``0`` (or ``off``/``no``/``false``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "no", "false")


def describe_register(offset: int, value: int) -> str:
    """``NAME = value`` for a register access, by ``nicdef``'s definition:
    set fields by name (``RX_DONE|TX_DONE``; a wider field as ``NAME=n``),
    counters in decimal, a register without fields in hex; an offset no
    register has as ``0x...``."""
    reg = _BY_OFFSET.get(offset)
    if reg is None:
        return f"{offset:#05x} = {value:#x}"
    if reg.name.startswith("STAT_"):
        return f"{reg.name} = {value}"
    if reg.fields:
        return f"{reg.name} = {format_fields(reg.fields, value)}"
    return f"{reg.name} = {value:#x}"


def describe_descriptor(ring: str, raw: bytes) -> str:
    """A descriptor's fields (``nicdef.desc.decode``): ADDR in hex, LEN in
    decimal, flag fields by name, other non-zero fields as numbers."""
    desc = _DESC[ring]
    values = decode(desc, raw)
    out = []
    for df in desc.fields:
        v = values[df.name]
        if df.name == "ADDR":
            out.append(f"ADDR={v:#x}")
        elif df.name == "LEN":
            out.append(f"LEN={v}")
        elif df.flags:
            out.append(f"{df.name}={format_fields(df.flags, v)}")
        elif v:
            out.append(f"{df.name}={v:#x}")
    return " ".join(out)


class Event(NamedTuple):
    """One line of the log, formatted: ``kind`` is the event column (``r``,
    ``w``, ``irq``, ``isr``, ...), ``detail`` the rest."""

    time_ns: int
    host: str
    device: str
    kind: str
    detail: str


class _Ring:
    __slots__ = ("base", "length")

    def __init__(self):
        self.base = 0
        self.length = 0


class _Nic:
    """What the log knows of one NIC: its name, DMA port and rings."""

    def __init__(self, host: str, name: str, port: int | None):
        self.host, self.name, self.port = host, name, port
        self.rings = {"TX": _Ring(), "RX": _Ring()}
        self.spans: list[tuple[int, int, str, _Ring]] = []  # (first byte, end, kind, ring) of each live ring

    def rings_changed(self) -> None:
        self.spans = [(r.base, r.base + r.length * R.DESC_SIZE, kind, r) for kind, r in self.rings.items()
                      if r.length]

    def ring_at(self, addr: int, end: int):
        # every driver access to host memory asks: a plain loop over at most two spans
        for lo, hi, kind, ring in self.spans:
            if addr < hi and end > lo:
                return kind, ring
        return None


class EventLog:
    """The log of one simulation. ``now_ns``: the simulated clock (a callable);
    ``limit``: records kept (the oldest go first)."""

    def __init__(self, now_ns, limit: int = DEFAULT_LIMIT):
        self.now_ns = now_ns
        self.records: deque = deque(maxlen=limit)
        self.total = 0
        self._hosts: list[tuple[str, object, host_mem.DmaLog | None, list[_Nic]]] = []

    # ------------------------------------------------------------ recording
    def _add(self, rec: tuple) -> None:
        self.total += 1
        self.records.append(rec)

    def register(self, host: str, device: str, write: bool, offset: int, value: int) -> None:
        """Record a register access that has landed (used by the platform taps and by ``NicHarness``)."""
        self._add((self.now_ns(), host, device, "w" if write else "r", offset, value))

    def irq_edge(self, host: str, device: str, rising: bool) -> None:
        self._add((self.now_ns(), host, device, "irq", "rise" if rising else "fall", None))

    def attach(self, host: str, platform, iopkt=None) -> None:
        """Watch ``host``'s ``platform`` (a ``CocotbPlatform``: its register and
        memory taps, its interrupt lines, its DMA log) and, given one, its
        io-pkt's interrupt kernel. Any time before the events of interest."""
        dma = host_mem.DmaLog(platform.dma_ports)
        nics = []
        for i, dev in enumerate(platform.devices):
            nic = _Nic(host, dev.name, platform.dma_ports[i] if i < len(platform.dma_ports) else None)
            nics.append(nic)
            dev.regs.before.append(lambda *_: self._sync_dma(dma, nics, platform))
            dev.regs.after.append(self._reg_listener(nic, platform))
            dev.irq.on_rise(lambda nic=nic: self._edge(dma, nics, platform, nic, True))
            dev.irq.on_fall(lambda nic=nic: self._edge(dma, nics, platform, nic, False))
        taps = platform.memory_taps
        taps.before_read.append(lambda addr, n: self._ring_read(dma, nics, platform, addr, n))
        taps.before_write.append(lambda addr, data: self._ring_write(dma, nics, platform, addr, data))
        if iopkt is not None:
            irq_dev = {dev.irq_number: dev.name for dev in platform.devices}
            iopkt.kernel.observers.append(
                lambda event, irq, name: self._add((self.now_ns(), host, irq_dev.get(irq, "io-pkt"),
                                                    _KERNEL_KINDS[event], irq, name)))
        self._hosts.append((host, platform, dma, nics))

    def _reg_listener(self, nic: _Nic, platform=None):
        host, name = nic.host, nic.name
        rings = nic.rings

        def known(kind: str, ring) -> None:
            # a driver writes its descriptors before it tells the NIC where the ring is (devnp-nic's bring-up
            # fills every RX slot, then writes BASE and LEN): the ones already there are logged now
            if platform is None or not ring.length or ring.length > 4096:
                return
            try:
                raw = platform.ram.read(ring.base, ring.length * R.DESC_SIZE)
            except IndexError:
                return  # a ring outside host memory: the NIC will say so (DECERR), there is nothing to list
            now = self.now_ns()
            for slot in range(ring.length):
                d = raw[slot * R.DESC_SIZE:(slot + 1) * R.DESC_SIZE]
                if any(d):
                    self._add((now, host, name, "post", kind, (slot, bytes(d))))

        def after(write: bool, offset: int, value: int) -> None:
            self._add((self.now_ns(), host, name, "w" if write else "r", offset, value))
            if write:
                which = _RING_REGS.get(offset)
                if which is not None:
                    ring = rings[which[0]]
                    if which[1] == "lo":
                        ring.base = (ring.base & ~0xFFFFFFFF) | (value & 0xFFFFFFF0)
                    elif which[1] == "hi":
                        ring.base = (ring.base & 0xFFFFFFFF) | (value << 32)
                    else:
                        ring.length = value & 0xFFFF
                    nic.rings_changed()
                    if which[1] == "len":
                        known(which[0], ring)
                elif offset == R.REG_CTRL and value & R.CTRL_RST:
                    for ring in rings.values():
                        ring.base = ring.length = 0
                    nic.rings_changed()
        return after

    def _edge(self, dma, nics, platform, nic: _Nic, rising: bool) -> None:
        self._sync_dma(dma, nics, platform)
        self._add((self.now_ns(), nic.host, nic.name, "irq", "rise" if rising else "fall", None))

    def _ring_read(self, dma, nics, platform, addr: int, n: int) -> None:
        for nic in nics:
            if nic.ring_at(addr, addr + n):
                self._sync_dma(dma, nics, platform)  # the driver looks at DD: what the NIC wrote comes first
                return

    def _ring_write(self, dma, nics, platform, addr: int, data: bytes) -> None:
        end = addr + len(data)
        for nic in nics:
            hit = nic.ring_at(addr, end)
            if hit is None:
                continue
            self._sync_dma(dma, nics, platform)
            kind, ring = hit
            first = max(addr, ring.base) - ring.base
            last = min(end, ring.base + ring.length * R.DESC_SIZE) - 1 - ring.base
            s0, s1 = first // R.DESC_SIZE, last // R.DESC_SIZE
            now = self.now_ns()
            if s1 > s0 and not any(data):
                self._add((now, nic.host, nic.name, "zero", kind, (s0, s1)))
                continue
            for slot in range(s0, s1 + 1):
                at = ring.base + slot * R.DESC_SIZE
                lo, hi = max(at, addr), min(at + R.DESC_SIZE, end)
                if hi - lo == R.DESC_SIZE:  # the usual case: a whole descriptor written
                    raw = bytes(data[lo - addr:hi - addr])
                else:  # part of one: what memory will hold after the write
                    buf = bytearray(platform.ram.read(at, R.DESC_SIZE))
                    buf[lo - at:hi - at] = data[lo - addr:hi - addr]
                    raw = bytes(buf)
                self._add((now, nic.host, nic.name, "post", kind, (slot, raw)))

    def _sync_dma(self, dma, nics, platform) -> None:
        """Descriptor write-backs from the host's DMA log since the last look (a plain load when nothing is new)."""
        if dma is None:
            return
        for t in dma.drain(complete=True):
            if not t.write or t.resp != host_mem.RESP_OKAY:
                continue
            for nic in nics:
                if nic.port != t.port:
                    continue
                lo, hi = t.strobed if t.strobed is not None else (t.addr, t.addr + t.nbytes)
                hit = nic.ring_at(lo, hi)
                if hit is None:
                    continue
                kind, ring = hit
                s0 = (max(lo, ring.base) - ring.base) // R.DESC_SIZE
                s1 = (min(hi, ring.base + ring.length * R.DESC_SIZE) - 1 - ring.base) // R.DESC_SIZE
                for slot in range(s0, s1 + 1):
                    raw = platform.ram.read(ring.base + slot * R.DESC_SIZE, R.DESC_SIZE)
                    self._add((t.time_ns, nic.host, nic.name, "done", kind, (slot, raw)))

    def sync(self) -> None:
        """Take in everything the DMA logs hold now (``lines`` and ``write`` do it first)."""
        for _, platform, dma, nics in self._hosts:
            self._sync_dma(dma, nics, platform)

    # ------------------------------------------------------------ reading
    def events(self) -> list[Event]:
        """The kept records, formatted, oldest first (write-backs, read from the
        DMA log later, are put in their place by time)."""
        self.sync()
        out = []
        for rec in sorted(self.records, key=lambda r: r[0]):
            t, host, dev, kind, a, b = rec
            if kind in ("r", "w"):
                detail = describe_register(a, b)
            elif kind == "irq":
                detail = a
            elif kind in ("isr", "mask", "unmask"):
                detail = f"irq {a} ({b})" if b else f"irq {a}"
            elif kind in ("process", "enable"):
                detail = b
            elif kind == "zero":
                detail = f"{a}[{b[0]}..{b[1]}]"
            else:  # post, done
                detail = f"{a}[{b[0]}] {describe_descriptor(a, b[1])}"
            out.append(Event(t, host, dev, kind, detail))
        return out

    def lines(self) -> list[str]:
        """The log as text lines, header first."""
        dropped = self.total - len(self.records)
        head = HEADER.splitlines()
        if dropped:
            head.append(f"# the first {dropped} events are not kept (the last {len(self.records)} are)")
        rows = [f"{e.time_ns:>12} {e.host:<6} {e.device:<11} {e.kind:<7} {e.detail}" for e in self.events()]
        return head + rows

    def write(self, path: Path | str) -> Path:
        """Write the log to ``path`` (a text file); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines()) + "\n")
        return path
