"""What one NIC may touch in host memory, and what its driver may not: the
ownership rules of docs/datasheet.md, kept from the driver's register writes
and the NIC's DMA transactions.

No simulator here: :class:`NicOwnership` is fed register accesses
(``reg_write``, ``reg_read``, each with the ring's bytes at that moment) and
DMA transactions (``dma``, ``nicsim.host_mem.DmaTransaction``) in time order
by ``nicsim.dma_checker``, and plain pytest feeds it synthetic ones. A
breach raises :class:`DmaPermissionError`. These are the reference rules:
the checker's C fast path (``rtl/tb/host_mem_axi.c``, ``hm_chk_*``) reads
each :class:`Ring`'s state where this module keeps it, accepts only what
they plainly allow and hands everything else here.

The rules, each from the datasheet:

- *Descriptor rings*: the NIC owns the descriptors from HEAD up to, not
  including, TAIL; writing ``*_LEN`` or ``*_BASE_*`` returns HEAD to 0; it
  never reads or writes a descriptor outside HEAD..TAIL. A TAIL write hands
  over the descriptors between the old and the new TAIL: each is snapshot
  then (buffer address; TX: ``LEN`` bytes, RX: ``RX_BUF_SIZE`` bytes).
- *Transmit*: only an RS descriptor is written back (DD), so a write-back of
  slot *s* shows HEAD has passed every descriptor up to *s*: all of them are
  released. *Receive*: each descriptor is written back; the same rule.
- *DMA*: buffers may start at any byte and have any length, partial beats use
  write strobes, so a buffer write must strobe only the buffer's bytes (the
  host memory's log gives the first and last strobed byte); a read carries
  whole beats, so a read may cover the bus words that hold the buffer.
- *Clocking and reset*: ``CTRL.RST`` returns every register and ring pointer
  to reset and stops both engines.
- *DMA, Stopping the transmitter/receiver*: with ``TX_EN``/``RX_EN`` clear the
  engine finishes what it started and ``STATUS.TX_BUSY``/``RX_BUSY`` falls;
  once the driver has seen it fall the engine moves no data until the bit is
  set again, so the driver may take its buffers back before the ring reset.
  Setting it again re-checks every descriptor still handed over.
- *DMA errors*: an SLVERR or DECERR stops that ring; the driver may then
  rebuild it (the descriptors and their buffers are its own again) and
  restart it with a ring reset.

The driver's side: while an engine may move data for a descriptor (the ring
enabled, or disabled but not yet seen idle, and not stopped), freeing the
descriptor's buffer, writing its ring slot, or handing over a descriptor whose
buffer is not inside one live buffer (an mbuf's data area or a cluster) of
its size is a breach too.
"""

from __future__ import annotations

import ctypes
import struct
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nicdef import regs as R

DESC = R.DESC_SIZE
GRANULE_SHIFT = 11  # 2 KiB, a cluster (MCLBYTES)


class DmaPermissionError(AssertionError):
    """A DMA transaction outside what the NIC owns, or a driver action on what
    the NIC owns: the message names the simulated time, the DMA port, the
    address and length, the engine and the descriptor (ring and index)."""


@dataclass(slots=True)
class Grant:
    """One handed-over descriptor: its buffer's address and the bytes the NIC may touch there."""

    slot: int
    addr: int
    size: int


class _RingC(ctypes.Structure):
    """hm_ring_t in rtl/tb/host_mem_axi.c: a ring's state where the checker's C fast path reads it."""

    _fields_ = [("base", ctypes.c_uint64), ("length", ctypes.c_uint32), ("head", ctypes.c_uint32),
                ("tail", ctypes.c_uint32), ("enabled", ctypes.c_uint8), ("idle", ctypes.c_uint8),
                ("stopped", ctypes.c_uint8), ("pad", ctypes.c_uint8), ("cap", ctypes.c_uint32),
                ("pad2", ctypes.c_uint32), ("g_addr", ctypes.POINTER(ctypes.c_uint64)),
                ("g_size", ctypes.POINTER(ctypes.c_uint32)), ("g_owned", ctypes.POINTER(ctypes.c_uint8))]


def _mirrored(name: str) -> property:
    """A ring field kept in Python (fast to read) and written through to the C struct."""
    attr = "_" + name

    def get(self):
        return getattr(self, attr)

    def put(self, value):
        setattr(self, attr, value)
        setattr(self.c, name, value)

    return property(get, put)


class Ring:
    """One descriptor ring as the checker knows it (``name`` "TX" or "RX").

    Its state is also laid out as C reads it (``c``, an ``hm_ring_t``: the
    fields, and per slot the owned descriptor's buffer), for the checker's
    fast path in ``rtl/tb/host_mem_axi.c``; no library is needed for that, so
    plain pytest drives a Ring alone. HEAD lives only in ``c``: the fast path
    advances it at a write-back. The fields:
    ``base`` (bytes), ``length`` (descriptors), ``head`` (the first descriptor
    the NIC still owns), ``tail``, ``enabled``, ``idle`` (disabled and seen
    idle in STATUS, or never started), ``stopped`` (a DMA error stopped it),
    ``owned`` (slot: Grant; change only through put/drop/clear), ``released``
    (the last ring's worth given back, newest last)."""

    base = _mirrored("base")
    length = _mirrored("length")
    tail = _mirrored("tail")
    enabled = _mirrored("enabled")
    idle = _mirrored("idle")
    stopped = _mirrored("stopped")

    def __init__(self, name: str):
        self.name = name
        self.c = _RingC()
        self._cap = 0
        self._grow(1)
        self.released: deque[Grant] = deque()
        self.owned: dict[int, Grant] = {}
        # the owned descriptors whose buffers touch each 2 KiB granule: a driver's free (one per
        # frame) and a hand-over look here instead of at every owned descriptor
        self.granules: dict[int, set[int]] = {}
        self.forget()

    def forget(self) -> None:
        """Every field to reset (``CTRL.RST``), in place: the checker's C table points here."""
        self.base, self.length, self.tail, self.head = 0, 0, 0, 0
        self.enabled, self.idle, self.stopped = False, True, False
        self.clear()
        self.released.clear()

    @property
    def head(self) -> int:
        return self.c.head

    @head.setter
    def head(self, value: int) -> None:
        self.c.head = value

    def _grow(self, n: int) -> None:
        # the C arrays hold every slot below LEN; kept (with their contents) as LEN grows
        if n <= self._cap:
            return
        cap = max(n, 2 * self._cap)
        arrays = (ctypes.c_uint64 * cap)(), (ctypes.c_uint32 * cap)(), (ctypes.c_uint8 * cap)()
        if self._cap:
            for new, old in zip(arrays, self._arrays, strict=True):
                ctypes.memmove(new, old, ctypes.sizeof(old))
        self._arrays = arrays
        self.c.g_addr = ctypes.cast(arrays[0], ctypes.POINTER(ctypes.c_uint64))
        self.c.g_size = ctypes.cast(arrays[1], ctypes.POINTER(ctypes.c_uint32))
        self.c.g_owned = ctypes.cast(arrays[2], ctypes.POINTER(ctypes.c_uint8))
        self.c.cap = self._cap = cap

    def set_length(self, n: int) -> None:
        """``*_LEN`` as the NIC keeps it (descriptors)."""
        self._grow(n)
        self.length = n

    @staticmethod
    def _granules(addr: int, size: int) -> range:
        return range(addr >> GRANULE_SHIFT, ((addr + max(size, 1) - 1) >> GRANULE_SHIFT) + 1)

    def put(self, g: Grant) -> None:
        self.drop(g.slot)
        self.owned[g.slot] = g
        a, sz, own = self._arrays
        a[g.slot], sz[g.slot], own[g.slot] = g.addr, g.size, 1
        for k in self._granules(g.addr, g.size):
            self.granules.setdefault(k, set()).add(g.slot)

    def drop(self, slot: int) -> Grant | None:
        g = self.owned.pop(slot, None)
        if g is not None:
            self._arrays[2][slot] = 0
            for k in self._granules(g.addr, g.size):
                slots = self.granules[k]
                slots.discard(slot)
                if not slots:
                    del self.granules[k]
        return g

    def file_released(self, slot: int) -> None:
        """The C fast path gave back owned descriptor ``slot`` at a write-back (HEAD is past it)."""
        g = self.drop(slot)
        if g is not None:
            self.released.append(g)
            while len(self.released) > max(self.length, 1):
                self.released.popleft()

    def overlapping(self, addr: int, size: int) -> list[Grant]:
        """The owned descriptors whose buffers overlap [addr, addr + size), in slot order."""
        slots: set[int] = set()
        for k in self._granules(addr, size):
            slots |= self.granules.get(k, set())
        out = [self.owned[s] for s in sorted(slots)]
        return [g for g in out if g.addr < addr + max(size, 1) and addr < g.addr + max(g.size, 1)]

    def clear(self) -> None:
        self.owned.clear()
        self.granules.clear()
        ctypes.memset(self._arrays[2], 0, self._cap)

    def may_hold(self, start: int, size: int) -> bool:
        """Some owned buffer may overlap [start, start + size) (no false negatives)."""
        return any(k in self.granules for k in self._granules(start, size))

    def release_head(self) -> None:
        self.file_released(self.head)
        self.head = (self.head + 1) % self.length

    def reset(self) -> None:
        self.head = 0
        self.stopped = False
        self.clear()

    def owns_any(self, lo: int, hi: int) -> bool:
        """A descriptor slot in [lo, hi) lies between HEAD and TAIL."""
        base, length, tail, head = self._base, self._length, self._tail, self.c.head
        count = (tail - head) % length if tail < length else 0
        if not count or lo >= base + length * DESC or hi <= base:
            return False
        first, last = max((lo - base) // DESC, 0), min((hi - 1 - base) // DESC, length - 1)
        return any((s - head) % length < count for s in range(first, last + 1))

    def in_ring(self, lo: int, hi: int) -> bool:
        """[lo, hi) overlaps the ring's descriptors (called for every DMA burst and driver access)."""
        return self.length > 0 and lo < self.base + self.length * DESC and hi > self.base

    @property
    def moving(self) -> bool:
        """The engine may move data for its descriptors (datasheet *DMA*)."""
        return not self.stopped and not self.idle

    @property
    def count(self) -> int:
        """Descriptors between HEAD and TAIL; none while TAIL >= LEN (datasheet "Ring and
        descriptor rules": such a ring hands the engine nothing)."""
        return (self.tail - self.head) % self.length if self.tail < self.length else 0

    def owns(self, slot: int) -> bool:
        """``slot`` lies between HEAD and TAIL (O(1): checked on every DMA transaction)."""
        return 0 <= slot < self.length and (slot - self.head) % self.length < self.count

    def slots(self) -> list[int]:
        """HEAD..TAIL, in order."""
        return list(self.iter_slots())

    def iter_slots(self) -> Iterator[int]:
        """HEAD..TAIL, in order, lazily: the NIC works from HEAD, so a search from there ends early."""
        head, length = self.head, self.length
        for i in range(self.count):
            yield (head + i) % length


# each ring register: (0 TX / 1 RX, which one)
_RING_REGS = {getattr(R, f"REG_{pfx}_{kind}"): (rx, kind) for rx, pfx in enumerate(("TX", "RX"))
              for kind in ("TAIL", "LEN", "BASE_LO", "BASE_HI")}


def _fmt(addr: int, n: int) -> str:
    return f"{addr:#x}+{n}"


class _Access:
    """A transaction's kind and bytes, as a message reads them ("read 0x1000+64")."""

    __slots__ = ("write", "lo", "hi")

    def __init__(self, write: bool, lo: int, hi: int):
        self.write, self.lo, self.hi = write, lo, hi

    def __str__(self) -> str:
        return f"{'write' if self.write else 'read'} {_fmt(self.lo, self.hi - self.lo)}"


class NicOwnership:
    """The ownership state of one NIC (``port``: its DMA port, ``name`` for messages).

    ``buffer_of(addr, n)`` says which live buffer holds [addr, addr + n): a
    (start, size) pair, or None if no live mbuf or cluster does (see
    ``nicsim.dma_checker``)."""

    def __init__(self, port: int, name: str, buffer_of: Callable[[int, int], tuple[int, int] | None]):
        self.port = port
        self.name = name
        self.buffer_of = buffer_of
        self.tx = Ring("TX")
        self.rx = Ring("RX")
        self.rx_buf_size = R.DEFAULT_RX_BUF_SIZE

    # ------------------------------------------------------------ messages
    def _fail(self, time_ns: int, what: str, ring: Ring | None, slot: int | None, why: str) -> None:
        where = f"descriptor {ring.name}[{slot}]" if ring is not None and slot is not None else \
            f"no {ring.name} descriptor owned" if ring is not None else "no descriptor"
        grant = ring.owned.get(slot) if ring is not None and slot is not None else None
        buf = f" (buffer {_fmt(grant.addr, grant.size)})" if grant else ""
        raise DmaPermissionError(f"DMA permission: at {time_ns} ns, {self.name} (DMA port {self.port}): {what}: "
                                 f"{why}; {where}{buf}")

    # ------------------------------------------------------------ register side
    def reg_write(self, offset: int, value: int, time_ns: int, ring_bytes: Callable[[Ring], bytes]) -> None:
        """The driver wrote ``value`` at ``offset`` (landed at ``time_ns``);
        ``ring_bytes(ring)`` reads that ring's descriptors from host memory now."""
        which = _RING_REGS.get(offset)
        if which is not None:
            ring = self.rx if which[0] else self.tx
            kind = which[1]
            if kind == "TAIL":
                self._set_tail(ring, value % (1 << 16), time_ns, ring_bytes)
                return
            # as the NIC keeps them (docs/registers.md): LEN bits 15:0, BASE_LO bits 3:0 read 0
            if kind == "LEN":
                ring.set_length(value & 0xFFFF)
            elif kind == "BASE_LO":
                ring.base = (ring.base & ~0xFFFFFFFF) | (value & 0xFFFFFFF0)
            else:
                ring.base = (ring.base & 0xFFFFFFFF) | (value << 32)
            # datasheet "Descriptor rings": HEAD returns to 0; the NIC owns 0..TAIL
            ring.reset()
            self._grant(ring, ring.slots(), time_ns, ring_bytes)
            return
        if offset == R.REG_RX_BUF_SIZE:
            self.rx_buf_size = value
            self._grant(self.rx, self.rx.slots(), time_ns, ring_bytes)
        elif offset == R.REG_CTRL:
            if value & R.CTRL_RST:
                # datasheet "Clocking and reset": every register and ring pointer to reset, engines stopped
                self.tx.forget()
                self.rx.forget()
                self.rx_buf_size = R.DEFAULT_RX_BUF_SIZE
                return
            for ring, bit in ((self.tx, R.CTRL_TX_EN), (self.rx, R.CTRL_RX_EN)):
                was = ring.enabled
                ring.enabled = bool(value & bit)
                if ring.enabled and not was:
                    ring.idle = False
                    # descriptors handed over while it was idle are the NIC's again: check them now
                    ring.clear()
                    self._grant(ring, ring.slots(), time_ns, ring_bytes)

    def reg_read(self, offset: int, value: int) -> None:
        """The driver read ``value`` at ``offset``: a STATUS with BUSY clear
        while an engine is disabled means it moves nothing more (datasheet *DMA*)."""
        if offset == R.REG_STATUS:
            for ring, bit in ((self.tx, R.STATUS_TX_BUSY), (self.rx, R.STATUS_RX_BUSY)):
                if not ring.enabled and not value & bit:
                    ring.idle = True

    def _set_tail(self, ring: Ring, tail: int, time_ns: int, ring_bytes) -> None:
        had = ring.count
        ring.tail = tail
        if len(ring.owned) == had:
            # owned is HEAD..old TAIL (every change keeps it so, short of a breach): both lists start at
            # HEAD, so the new TAIL hands over the positions past the old count, or takes back those past
            # the new one, with no walk over the ring
            head, length, now = ring.head, ring.length, ring.count
            for i in range(now, had):
                ring.drop((head + i) % length)
            self._grant(ring, [(head + i) % length for i in range(had, now)], time_ns, ring_bytes)
            return
        before = set(ring.slots())
        now = ring.slots()
        for slot in list(ring.owned):
            if slot not in now:
                ring.drop(slot)
        self._grant(ring, [s for s in now if s not in before or s not in ring.owned], time_ns, ring_bytes)

    def _grant(self, ring: Ring, slots: list[int], time_ns: int, ring_bytes) -> None:
        """Snapshot the descriptors ``slots`` (datasheet "Descriptor rings") and,
        if the engine may move data for them, check each buffer is one live buffer."""
        if not slots:
            return
        raw = ring_bytes(ring)
        moving, rx = ring.moving, ring is self.rx
        for slot in slots:
            addr, length = struct.unpack_from("<QH", raw, slot * DESC)
            g = Grant(slot, addr, self.rx_buf_size if rx else length)
            if moving and g.size:
                self._check_buffer(ring, g, time_ns)
            ring.put(g)

    def _check_buffer(self, ring: Ring, g: Grant, time_ns: int) -> None:
        # a descriptor with LEN 0 moves no data (datasheet "Ring and descriptor rules"): callers skip it
        if ring is self.rx and ring.may_hold(g.addr, g.size):
            # two RX descriptors on one buffer: the second frame overwrites the first
            for other in ring.overlapping(g.addr, g.size):
                if other.slot != g.slot:
                    self._fail(time_ns, f"RX hands over buffer {_fmt(g.addr, g.size)}", ring, g.slot,
                               f"descriptor RX[{other.slot}] the NIC owns already holds buffer "
                               f"{_fmt(other.addr, other.size)}, which overlaps it")
        live = self.buffer_of(g.addr, max(g.size, 1))
        if live is None:
            self._fail(time_ns, f"{ring.name} hands over buffer {_fmt(g.addr, g.size)}", ring, g.slot,
                       "it is not inside one live mbuf or cluster (freed, never allocated, or smaller than "
                       + ("the descriptor's LEN)" if ring is self.tx else f"RX_BUF_SIZE {self.rx_buf_size})"))

    # ------------------------------------------------------------ driver side
    def driver_free(self, start: int, size: int, time_ns: int, what: str) -> None:
        """The driver frees the buffer [start, start + size)."""
        for ring in (self.tx, self.rx):
            if not ring.moving or not ring.may_hold(start, size):
                continue
            for g in ring.overlapping(start, size):
                if g.size:  # a LEN-0 descriptor moves nothing
                    self._fail(time_ns, f"the driver frees {what} {_fmt(start, size)}", ring, g.slot,
                               "the NIC still owns a descriptor whose buffer is in it")

    def driver_ring_write(self, addr: int, n: int, time_ns: int) -> None:
        """The driver writes [addr, addr + n) of host memory: not a slot the NIC owns."""
        for ring in (self.tx, self.rx):
            if not ring.moving or not ring.in_ring(addr, addr + n):
                continue
            first = max((addr - ring.base) // DESC, 0)
            last = min((addr + n - 1 - ring.base) // DESC, ring.length - 1)
            for slot in range(first, last + 1):
                if ring.owns(slot):
                    self._fail(time_ns, f"the driver writes {_fmt(addr, n)} in the {ring.name} ring", ring, slot,
                               "the NIC owns that descriptor (between HEAD and TAIL)")

    # ------------------------------------------------------------ NIC side
    def dma(self, t) -> None:
        """One DMA transaction (``nicsim.host_mem.DmaTransaction``) of this NIC, in time order."""
        if t.resp != 0:
            # datasheet "DMA errors": an erroring burst moves nothing and stops its ring, whose
            # descriptors are the driver's again
            lo, hi = t.addr, t.addr + t.nbytes
            ring = self.tx if self.tx.in_ring(lo, hi) else self.rx if self.rx.in_ring(lo, hi) else None
            (ring or (self.rx if t.write else self.tx)).stopped = True
            return
        if t.write:
            if t.strobed is None:
                return  # no byte strobed: nothing written
            lo, hi = t.strobed
        else:
            lo, hi = t.addr, t.addr + t.nbytes
        what = _Access(t.write, lo, hi)  # made into words only for a message
        ring = self.tx if self.tx.in_ring(lo, hi) else self.rx if self.rx.in_ring(lo, hi) else None
        if ring is not None:
            self._ring_access(ring, t, lo, hi, what)
        else:
            # datasheet "DMA": the transmit engine only reads buffers, the receive engine only writes them
            self._buffer_access(self.rx if t.write else self.tx, t, lo, hi, what)

    def _ring_access(self, ring: Ring, t, lo: int, hi: int, what: str) -> None:
        b = ring.base
        first, last = (lo - b) // DESC, (hi - 1 - b) // DESC
        if t.write:
            touched = range(max(first, 0), min(last, ring.length - 1) + 1)
            for slot in touched:
                if not ring.owns(slot):
                    self._fail(t.time_ns, f"{ring.name} write-back {what}", ring, slot,
                               "the NIC does not own that descriptor")
            # write-back (DD) of slot s: HEAD has passed every descriptor up to s
            if touched:
                end = touched[-1]
                while ring.head != (end + 1) % ring.length and ring.count:
                    ring.release_head()
            return
        # a read carries whole beats: each beat must hold a byte of an owned descriptor
        word = t.size  # the bus width: the NIC's bursts are full width (datasheet "DMA")
        for beat in range(lo // word * word, hi, word):
            slots = range(max((beat - b) // DESC, 0), min((beat + word - 1 - b) // DESC, ring.length - 1) + 1)
            if not any(ring.owns(s) for s in slots):
                self._fail(t.time_ns, f"{ring.name} descriptor fetch {what}", ring,
                           slots[0] if slots else None, "the NIC does not own that descriptor")

    def _buffer_access(self, ring: Ring, t, lo: int, hi: int, what: str) -> None:
        word = t.size
        best = None
        owned = ring.owned
        # from HEAD on: the NIC works in ring order, so the buffer is almost always the first or second
        for slot in ring.iter_slots():
            g = owned.get(slot)
            if g is None:
                continue
            blo, bhi = g.addr, g.addr + g.size
            if not t.write:
                blo, bhi = blo // word * word, -(-bhi // word) * word
            if blo <= lo and hi <= bhi:
                if ring.idle and not ring.stopped:
                    self._fail(t.time_ns, f"{ring.name} buffer {what}", ring, g.slot,
                               f"{ring.name} was disabled and seen idle (STATUS): it may move no data")
                return
            if best is None and lo < bhi and blo < hi:
                best = g
        if best is not None:
            self._fail(t.time_ns, f"{ring.name} buffer {what}", ring, best.slot,
                       "it reaches past the buffer the descriptor hands over")
        for g in reversed(ring.released):
            if lo < g.addr + max(g.size, 1) and g.addr < hi:
                self._fail(t.time_ns, f"{ring.name} buffer {what}", ring, g.slot,
                           f"the NIC wrote that descriptor back (DD): the buffer {_fmt(g.addr, g.size)} it handed "
                           "over is no longer the NIC's")
        head = ring.head if ring.count else None
        self._fail(t.time_ns, f"{ring.name} buffer {what}", ring, head,
                   "no descriptor the NIC owns hands over that memory (not posted yet, already written back, "
                   "or freed); the engine's next descriptor is named")
