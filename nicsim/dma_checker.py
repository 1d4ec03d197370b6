"""The DMA permission checker of one simulated host: every DMA transaction of
each of its NICs against what the driver has handed that NIC, and the
driver's own actions against what the NIC owns (rules: ``nicsim.dma_ownership``,
from docs/datasheet.md). No real board has one; a driver that passes it
keeps the ownership contract the datasheet states.

It wakes only at events it already sees, never per clock: each register
access of the driver (through the platform's tap on each device's register bus),
each rise of a NIC's interrupt line, each driver access to a descriptor ring
in host memory, each mbuf or cluster freed, and ``finish()`` at the end of a
test. Each time it reads the host memory's C transaction log
(``nicsim.host_mem.DmaLog``: port, address, beats, the bytes a write strobed,
response, simulated time) and replays it in time order with the register
writes it saw, so a TAIL write's hand-over applies only after everything the
NIC did before it.

A breach raises ``DmaPermissionError`` (an ``AssertionError``) where it is
seen: in the driver's register access, memory access or free, so the test
fails there with the message. A breach found from an interrupt callback is
kept and raised at the next of those points (the watcher of the line must
not die) and by ``finish()``; once one is found every later point raises it
again, so no error handling of the stack can swallow it for good.

Off with ``NICSIM_DMA_CHECKER=0`` in the environment, or ``build_hosts(dut,
dma_checker=False)``.
"""

from __future__ import annotations

import os

from iopkt.kern.mbuf import M_EXT, MCLBYTES, MLEN, MSIZE
from nicdef import regs as R
from nicsim import host_mem
from nicsim.dma_ownership import DESC, DmaPermissionError, NicOwnership

ENV = "NICSIM_DMA_CHECKER"
STUCK_WRITE_NS = 100_000  # no write burst takes this long: its missing beats will never come

__all__ = ["DmaChecker", "DmaPermissionError", "attach_dma_checker", "enabled_by_default"]

# register writes that change ownership (the others cost nothing more than a log drain)
_OWNERSHIP_REGS = {R.REG_TX_TAIL, R.REG_TX_LEN, R.REG_TX_BASE_LO, R.REG_TX_BASE_HI, R.REG_RX_TAIL, R.REG_RX_LEN,
                   R.REG_RX_BASE_LO, R.REG_RX_BASE_HI, R.REG_RX_BUF_SIZE, R.REG_CTRL}


def enabled_by_default() -> bool:
    """True unless ``NICSIM_DMA_CHECKER`` is ``0`` (or ``off``/``no``/``false``)."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "no", "false")


class DmaChecker:
    """The checker of one host (``platform``: a ``CocotbPlatform``; ``iopkt``: its
    io-pkt, whose mbuf pool holds every buffer a driver may hand over). Made by
    :func:`attach_dma_checker` before the driver is mounted."""

    def __init__(self, platform, iopkt):
        self.platform = platform
        self.pool = iopkt.mbufs
        self.log = host_mem.DmaLog(platform.dma_ports)
        self.nics: dict[int, NicOwnership] = {}
        self.failure: DmaPermissionError | None = None
        self.raise_in_driver = True
        self.transactions = 0  # DMA transactions checked so far
        self.stopped = False
        self._entries: list = []
        self._events: list = []  # (time_ns, nic, offset, value): register writes not yet applied
        self._live_mbufs = {m._slot for m in self.pool.live}
        for dev, port in zip(platform.devices, platform.dma_ports, strict=True):
            nic = NicOwnership(port, f"NIC {dev.name}", self.buffer_of)
            self.nics[port] = nic
            # told of every access through the platform's register tap: the log
            # drained before it, a read's value checked and a write applied once landed
            dev.regs.before.append(lambda write, offset, value: self.sync())
            dev.regs.after.append(self._reg_listener(nic))
            dev.irq.on_rise(self._on_irq)
        self._hook_memory(platform)
        self._hook_pool(self.pool)

    # ------------------------------------------------------------ the timeline
    def sync(self) -> None:
        """Replay the log up to now against the register writes, in time order.
        Raises the first ``DmaPermissionError`` found (now or before)."""
        self._guard(self._replay)

    def _guard(self, check, *args) -> None:
        """Run one check; a breach is kept in ``failure`` and raised (unless ``raise_in_driver``
        is False: a test of the checker itself then reads ``failure``)."""
        if self.stopped:
            return
        if self.failure is None:
            try:
                check(*args)
                return
            except DmaPermissionError as err:
                self.failure = err
        if self.raise_in_driver:
            raise self.failure

    def stop(self) -> None:
        """Check nothing more (the hooks stay, doing nothing)."""
        self.stopped = True

    def _replay(self, final: bool = False) -> None:
        self._entries.extend(self.log.drain(complete=True))
        blocked = self.log.waiting
        if blocked is not None and (final or self.platform.now_ns() - blocked > STUCK_WRITE_NS):
            # a write whose beats never all came (a reset cut it): take it as it is
            self._entries.extend(self.log.drain())
            blocked = None
        entries, events = self._entries, self._events
        i = 0
        try:
            while True:
                e = entries[i] if i < len(entries) else None
                ev = events[0] if events else None
                if e is not None and (ev is None or e.time_ns <= ev[0]):
                    i += 1
                    nic = self.nics.get(e.port)
                    if nic is not None:
                        self.transactions += 1
                        nic.dma(e)
                elif ev is not None and (blocked is None or ev[0] < blocked):
                    events.pop(0)
                    self._apply(ev)
                else:
                    break
        finally:
            del entries[:i]

    def _reg_listener(self, nic: NicOwnership):
        def after(write: bool, offset: int, value: int) -> None:
            if not write:
                self._guard(nic.reg_read, offset, value)
            elif offset in _OWNERSHIP_REGS:
                self.register_write(nic, offset, value)
        return after

    def register_write(self, nic: NicOwnership, offset: int, value: int) -> None:
        self._events.append((self.platform.now_ns(), nic, offset, value))
        self.sync()

    def _apply(self, ev) -> None:
        time_ns, nic, offset, value = ev
        nic.reg_write(offset, value, time_ns, self._ring_bytes)

    def _ring_bytes(self, ring) -> bytes:
        return self._read(ring.base, ring.length * DESC)

    def _on_irq(self) -> None:
        try:
            self.sync()
        except DmaPermissionError:
            pass  # kept in self.failure: raised at the driver's next step (the line's watcher must live)

    def finish(self) -> None:
        """The end of a test: everything logged is checked. Raises the first breach
        (whatever ``raise_in_driver`` says)."""
        self._guard(self._replay, True)
        if self.failure is not None and not self.stopped:
            raise self.failure

    # ------------------------------------------------------------ what is live
    def buffer_of(self, addr: int, n: int) -> tuple[int, int] | None:
        """The live mbuf data area or cluster holding [addr, addr + n), as (start, size), or None."""
        p = self.pool
        if p._cl_base <= addr < p._cl_base + p.nclusters * MCLBYTES:
            start = p._cl_base + (addr - p._cl_base) // MCLBYTES * MCLBYTES
            ok = start in p.clusters_live and addr + n <= start + MCLBYTES
            return (start, MCLBYTES) if ok else None
        if p._mbuf_base <= addr < p._mbuf_base + p.nmbufs * MSIZE:
            start = p._mbuf_base + (addr - p._mbuf_base) // MSIZE * MSIZE
            ok = start in self._live_mbufs and addr + n <= start + MLEN
            return (start, MLEN) if ok else None
        return None

    # ------------------------------------------------------------ hooks
    def _touches_ring(self, addr: int, n: int) -> bool:
        # every driver access to host memory comes here: a plain loop, no generator
        end = addr + n
        for nic in self.nics.values():
            if nic.tx.in_ring(addr, end) or nic.rx.in_ring(addr, end):
                return True
        return False

    def _hook_memory(self, platform) -> None:
        self._read = platform.ram.read  # the C buffer itself: the checker's own reads are not the driver's

        def checked_read(addr: int, length: int) -> None:
            if self._touches_ring(addr, length):
                self.sync()  # the driver looks at DD: what the NIC did so far counts first

        def checked_write(addr: int, data: bytes) -> None:
            if self._touches_ring(addr, len(data)):
                self.sync()
                now = self.platform.now_ns()
                for nic in self.nics.values():
                    self._guard(nic.driver_ring_write, addr, len(data), now)

        platform.memory_taps.before_read.append(checked_read)
        platform.memory_taps.before_write.append(checked_write)

    def _hook_pool(self, pool) -> None:
        get, free_one = pool.get, pool.free_one

        def checked_get(*args, **kwargs):
            m = get(*args, **kwargs)
            if m is not None:
                self._live_mbufs.add(m._slot)
            return m

        def checked_free(m):
            if m in pool.live:
                self.sync()
                now = self.platform.now_ns()
                for nic in self.nics.values():
                    if m.m_flags & M_EXT:
                        self._guard(nic.driver_free, m.ext_buf, MCLBYTES, now, "cluster")
                    self._guard(nic.driver_free, m._slot, MLEN, now, "mbuf")
                self._live_mbufs.discard(m._slot)
            return free_one(m)

        pool.get, pool.free_one = checked_get, checked_free


def attach_dma_checker(platform, iopkt, enabled: bool | None = None) -> DmaChecker | None:
    """Watch ``platform``'s NICs for ``iopkt``'s driver (before the driver is
    mounted: it wraps each device's register bus). ``enabled`` None: on unless
    ``NICSIM_DMA_CHECKER=0``. Returns the checker (also ``platform.dma_checker``),
    or None when off."""
    if enabled is None:
        enabled = enabled_by_default()
    checker = DmaChecker(platform, iopkt) if enabled else None
    platform.dma_checker = checker
    return checker
