"""The DMA permission checker of one simulated host: every DMA transaction of
each of its NICs against what the driver has handed that NIC, and the
driver's own actions against what the NIC owns (rules: ``nicsim.dma_ownership``,
from docs/datasheet.md). No real board has one; a driver that passes it
keeps the ownership contract the datasheet states.

It wakes only at events it already sees, never per clock: each register
access of the driver (through the platform's tap on each device's register bus),
each rise of a NIC's interrupt line, each driver access to a descriptor ring
in host memory, each mbuf or cluster freed, and ``finish()`` at the end of a
test. Each time it replays the host memory's C transaction log (port,
address, beats, the bytes a write strobed, response, simulated time) in time
order with the register writes it saw, so a TAIL write's hand-over applies
only after everything the NIC did before it.

The replay runs in C, beside the log (``hm_chk_run`` in
``rtl/tb/host_mem_axi.c``), because a flood makes about six DMA bursts per
frame and a Python check of each cost a third of a 64-byte Verilator flood.
Each ring's state (``Ring.c``: base, length, HEAD, TAIL, the flags, each owned
descriptor's buffer) is laid out where C reads it; Python still writes it at
every register write and hand-over. C accepts what the rules plainly allow
(a fetch or write-back of owned descriptors, a buffer access inside an owned
descriptor's buffer), advances HEAD at a write-back and names the
descriptors given back, which Python files (``Ring.file_released``). Anything
else, a breach included, it hands back whole to ``NicOwnership.dma``, the
reference rules, which decide and write the message: C never fails a
transaction itself, so no message comes from it. The driver's frees and
ring writes run the full rules only when a cheap test says they may hit
(a free: the 2 KiB granules Python indexes the owned buffers by; a ring
write: ``Ring.owns_any``). Those stay in Python: a call into C through
ctypes costs more than the few dictionary and integer tests they need.
nicsim/tests/test_dma_checker_fast_path.py holds C to the Python rules on
random streams.

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

import ctypes
import os

from iopkt.kern.mbuf import M_EXT, MCLBYTES, MLEN, MSIZE
from nicdef import regs as R
from nicsim import host_mem
from nicsim.dma_ownership import DESC, GRANULE_SHIFT, DmaPermissionError, NicOwnership

ENV = "NICSIM_DMA_CHECKER"
_FOREVER = (1 << 64) - 1  # no register write pending: replay to the log's end
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
        self.nics: dict[int, NicOwnership] = {}
        self.failure: DmaPermissionError | None = None
        self.raise_in_driver = True
        self.stopped = False
        self._events: list = []  # (time_ns, nic, offset, value): register writes not yet applied
        c = host_mem.lib()
        self._run = c.hm_chk_run
        # the replay state C reads and writes: the log cursor from now on, each NIC's rings
        self._state = host_mem.CheckerState()
        self._state.cursor = c.hm_log_head()
        self._state_ref = ctypes.byref(self._state)
        self._head = ctypes.c_uint64.from_address(c.hm_log_head_ptr())  # a plain load: anything new?
        for dev, port in zip(platform.devices, platform.dma_ports, strict=True):
            nic = NicOwnership(port, f"NIC {dev.name}", self.buffer_of)
            self.nics[port] = nic
            for k, ring in enumerate((nic.tx, nic.rx)):
                self._state.ring[port][k] = ctypes.addressof(ring.c)
            # told of every access through the platform's register tap: the log
            # drained before it, a read's value checked and a write applied once landed
            dev.regs.before.append(lambda write, offset, value: self.sync())
            dev.regs.after.append(self._reg_listener(nic))
            dev.irq.on_rise(self._on_irq)
        self._spans: list[tuple[int, int]] | None = None  # the rings' bytes, while no register write moves them
        self._hook_memory(platform)
        self._hook_pool(self.pool)

    @property
    def transactions(self) -> int:
        """DMA transactions of its NICs checked so far."""
        return self._state.checked

    # ------------------------------------------------------------ the timeline
    def sync(self) -> None:
        """Replay the log up to now against the register writes, in time order.
        Raises the first ``DmaPermissionError`` found (now or before)."""
        if self._state.cursor == self._head.value and not self._events and self.failure is None:
            return  # nothing new (a plain load of the C count): the common case, kept cheap
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

    def _driver_guard(self, nic: NicOwnership, check, *args) -> None:
        """``_guard`` for a driver-side check of ``nic`` (a free, a ring write).

        The replay waits at a write burst whose beats are still coming (a
        receive buffer being written, 1.5 us for a full frame), and with it
        every later burst of that NIC; one of those may have had an error
        response, which stopped its ring and gave its descriptors back to the
        driver (datasheet "DMA errors") before the driver acts on the DMA_ERR
        interrupt. A check that fails on the replayed state is tried again
        with each such ring taken as stopped, as it is by now; only a breach
        then too is one."""
        self._guard(self._check_as_stopped_by_now, nic, check, *args)

    def _check_as_stopped_by_now(self, nic: NicOwnership, check, *args) -> None:
        """``check(*args)``; if it fails, again with ``nic``'s rings that an unreplayed error
        response has stopped taken as stopped. The first breach is raised if both fail."""
        try:
            check(*args)
        except DmaPermissionError as first:
            rings = self._stopped_unreplayed(nic)
            if not rings:
                raise
            saved = [ring.stopped for ring in rings]
            for ring in rings:
                ring.stopped = True
            try:
                check(*args)
            except DmaPermissionError:
                pass
            else:
                return
            finally:
                for ring, was in zip(rings, saved, strict=True):
                    ring.stopped = was
            raise first

    def _stopped_unreplayed(self, nic: NicOwnership) -> list:
        """``nic``'s rings that a logged but not yet replayed burst with an error
        response has stopped by now (a ring by the address, else by the engine:
        writes are the receiver's, reads the transmitter's)."""
        c = host_mem.lib()
        cursor, lost = ctypes.c_uint64(self._state.cursor), ctypes.c_uint64(0)
        buf = (host_mem._Txn * 512)()
        now = self.platform.now_ns()
        hit = []
        while True:
            n = c.hm_log_read(ctypes.byref(cursor), buf, 512, ctypes.byref(lost))
            for t in buf[:n]:
                if t.port != nic.port or t.resp == 0 or t.time_ns > now:
                    continue
                lo, hi = t.addr, t.addr + ((t.len + 1) << t.size)
                ring = nic.tx if nic.tx.in_ring(lo, hi) else nic.rx if nic.rx.in_ring(lo, hi) else \
                    nic.rx if t.write else nic.tx
                if not any(ring is r for r in hit):
                    hit.append(ring)
            if n < 512:
                return hit

    def stop(self) -> None:
        """Check nothing more (the hooks stay, doing nothing)."""
        self.stopped = True

    def _replay(self, final: bool = False) -> None:
        st, events = self._state, self._events
        if st.cursor == self._head.value and not events:
            return  # nothing new: the common case of a driver's register access
        take_open = False  # a write whose beats never all came (a reset cut it) is taken as it is
        while True:
            code = self._run(self._state_ref, events[0][0] if events else _FOREVER, take_open)
            if st.nrel:
                self._file_released(st)
            if code == host_mem.CHK_DEFER:
                # not plainly allowed: the full rules decide, and name the breach
                self.nics[st.txn.port].dma(host_mem.transaction(st.txn))
            elif code == host_mem.CHK_FULL:
                continue
            elif code == host_mem.CHK_BLOCKED:
                blocked = st.txn.time_ns
                if final or self.platform.now_ns() - blocked > STUCK_WRITE_NS:
                    take_open = True
                elif events and events[0][0] < blocked:
                    self._apply(events.pop(0))
                else:
                    return
            elif events:  # CHK_END, CHK_TIME: everything up to the next register write is checked
                self._apply(events.pop(0))
            else:
                return

    def _file_released(self, st) -> None:
        # the descriptors the fast path gave back, in order: Python's bookkeeping (owned, released) follows
        nics = self.nics
        for v in st.rel[:st.nrel]:
            nic = nics[v >> 17]
            (nic.rx if v & 0x10000 else nic.tx).file_released(v & 0xFFFF)

    def _reg_listener(self, nic: NicOwnership):
        def after(write: bool, offset: int, value: int) -> None:
            if not write:
                if offset == R.REG_STATUS:  # the only read that changes what the NIC may do
                    self._guard(nic.reg_read, offset, value)
            elif offset in _OWNERSHIP_REGS:
                self.register_write(nic, offset, value)
        return after

    def register_write(self, nic: NicOwnership, offset: int, value: int) -> None:
        self._events.append((self.platform.now_ns(), nic, offset, value))
        self.sync()

    def _apply(self, ev) -> None:
        time_ns, nic, offset, value = ev
        self._spans = None
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
            ok = start in p.mbufs_live and addr + n <= start + MLEN
            return (start, MLEN) if ok else None
        return None

    # ------------------------------------------------------------ hooks
    def _touches_ring(self, addr: int, n: int) -> bool:
        # every driver access to host memory comes here: the rings' spans, made again after a register write
        spans = self._spans
        if spans is None:
            spans = self._spans = [(r.base, r.base + r.length * DESC) for nic in self.nics.values()
                                   for r in (nic.tx, nic.rx) if r.length > 0]
        end = addr + n
        for lo, hi in spans:
            if addr < hi and end > lo:
                return True
        return False

    def _hook_memory(self, platform) -> None:
        self._read = platform.ram.read  # the C buffer itself: the checker's own reads are not the driver's

        def checked_read(addr: int, length: int) -> None:
            if self._touches_ring(addr, length):
                self.sync()  # the driver looks at DD: what the NIC did so far counts first

        rings = [r for nic in self.nics.values() for r in (nic.tx, nic.rx)]

        def checked_write(addr: int, data: bytes) -> None:
            if self._touches_ring(addr, len(data)):
                self.sync()
                # the driver writes a slot at TAIL (its own) once a frame or two: only a slot the NIC
                # owns, of an engine that may move data, sends it to the rules (which name it)
                end = addr + len(data)
                for r in rings:  # a plain loop: a generator costs more than the test itself
                    if r.moving and r.owns_any(addr, end):
                        now = self.platform.now_ns()
                        for nic in self.nics.values():
                            self._driver_guard(nic, nic.driver_ring_write, addr, len(data), now)
                        break

        platform.memory_taps.before_read.append(checked_read)
        platform.memory_taps.before_write.append(checked_write)

    def _hook_pool(self, pool) -> None:
        free_one = pool.free_one
        rings = [r for nic in self.nics.values() for r in (nic.tx, nic.rx)]
        assert MLEN <= 1 << GRANULE_SHIFT and MCLBYTES == 1 << GRANULE_SHIFT

        def checked_free(m):
            if m in pool.live:
                self.sync()
                # a free per frame or two: only a 2 KiB granule an owned buffer touches, of an engine that
                # may move data, sends it to the rules (Ring.may_hold, inline: an mbuf's data area or a
                # cluster spans at most two granules)
                ext = m.m_flags & M_EXT
                k0, k1 = m._slot >> GRANULE_SHIFT, (m._slot + MLEN - 1) >> GRANULE_SHIFT
                c0, c1 = (m.ext_buf >> GRANULE_SHIFT, (m.ext_buf + MCLBYTES - 1) >> GRANULE_SHIFT) if ext else (-1, -1)
                if any(r.granules and (k0 in r.granules or k1 in r.granules or c0 in r.granules
                                       or c1 in r.granules) and r.moving for r in rings):
                    now = self.platform.now_ns()
                    for nic in self.nics.values():
                        if ext:
                            self._driver_guard(nic, nic.driver_free, m.ext_buf, MCLBYTES, now, "cluster")
                        self._driver_guard(nic, nic.driver_free, m._slot, MLEN, now, "mbuf")
            return free_one(m)

        pool.free_one = checked_free


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
