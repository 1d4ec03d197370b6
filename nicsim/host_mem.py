"""Host memory served by the testbench's AXI4 slaves (``rtl/tb/host_mem_axi.v``), seen from Python.

``nic_pair_tb`` puts a ``host_mem_axi`` slave on each NIC's DMA port; the
slave's storage, a log of every DMA transaction and the fault rules live in
C (``rtl/tb/host_mem_axi.c``), which the simulator loaded (Verilator: linked
into the model, DPI-C; Icarus: a VPI module). This module dlopens the very
same file (``nicsim.runner`` names it in ``NICSIM_HOST_MEM_LIB``), so the
loader hands back the same instance, and reaches that state directly:

- :class:`SharedMemory`: one host's memory, a zeroed C buffer; ``read`` and
  ``write`` are the driver's backdoor accesses (no simulated time: a
  zero-copy view of the buffer), ``attach`` serves a DMA port from it.
- :class:`DmaLog`: the transactions (port, address, beats, direction,
  response, simulated time), read from a C ring buffer when asked.
- ``nicsim.faults.PortDmaFaults``: the fault rules, which the slave checks
  once per burst.

Nothing here wakes per clock or per beat. Calls only make sense inside a
simulation whose toplevel has ``host_mem_axi`` slaves; elsewhere
:func:`lib` raises :class:`HostMemUnavailable`.
"""

from __future__ import annotations

import ctypes
import os
import weakref
from typing import NamedTuple

LIB_ENV = "NICSIM_HOST_MEM_LIB"  # = nicsim.runner.HOST_MEM_LIB_ENV (not imported: the runner needs cocotb_tools)

# nic_pair_tb's slaves and their PORT parameters: host_mem_a_inst is port 0, host_mem_b_inst port 1
PORTS = {"a": 0, "b": 1}

RESP_OKAY, RESP_EXOKAY, RESP_SLVERR, RESP_DECERR = 0, 1, 2, 3
RESP_NAMES = {RESP_OKAY: "OKAY", RESP_EXOKAY: "EXOKAY", RESP_SLVERR: "SLVERR", RESP_DECERR: "DECERR"}


class HostMemUnavailable(RuntimeError):
    """No host-memory library in this simulation (not run through ``nicsim.runner``, or a
    toplevel without ``host_mem_axi``)."""


class _Txn(ctypes.Structure):
    """hm_txn_t in host_mem_axi.c."""

    _fields_ = [("addr", ctypes.c_uint64), ("time_ns", ctypes.c_uint64), ("port", ctypes.c_uint32),
                ("len", ctypes.c_uint8), ("size", ctypes.c_uint8), ("burst", ctypes.c_uint8),
                ("write", ctypes.c_uint8), ("resp", ctypes.c_uint8), ("id", ctypes.c_uint8),
                ("done", ctypes.c_uint8), ("pad", ctypes.c_uint8), ("wfirst", ctypes.c_uint16),
                ("wlast", ctypes.c_uint16)]


_NO_STROBE = 0xFFFF  # HM_NO_STROBE
MAX_PORTS = 16  # HM_MAX_PORTS
CHK_REL = 256   # HM_CHK_REL
# hm_chk_run's answers (HM_CHK_*)
CHK_END, CHK_TIME, CHK_BLOCKED, CHK_DEFER, CHK_FULL = range(5)


class CheckerState(ctypes.Structure):
    """hm_chk_t in host_mem_axi.c: one DMA permission checker's replay of the log
    (``nicsim.dma_checker``): per port its TX and RX ``hm_ring_t`` (NULL: not
    checked), its log cursor, the descriptors the fast path gave back, and the
    transaction it hands back."""

    _fields_ = [("ring", ctypes.c_void_p * 2 * MAX_PORTS), ("cursor", ctypes.c_uint64),
                ("lost", ctypes.c_uint64), ("checked", ctypes.c_uint64), ("nrel", ctypes.c_uint32),
                ("rel", ctypes.c_uint32 * CHK_REL), ("txn", _Txn)]


class _Fired(ctypes.Structure):
    """hm_fired_t in host_mem_axi.c."""

    _fields_ = [("tag", ctypes.c_int32), ("write", ctypes.c_int32), ("addr", ctypes.c_uint64),
                ("time_ns", ctypes.c_uint64)]


_lib: ctypes.CDLL | None = None


def lib() -> ctypes.CDLL:
    """The host-memory library the simulator loaded (opened once per process).

    Raises :class:`HostMemUnavailable` if ``NICSIM_HOST_MEM_LIB`` is unset,
    and ``OSError`` if the file cannot be loaded."""
    global _lib
    if _lib is not None:
        return _lib
    path = os.environ.get(LIB_ENV)
    if not path:
        raise HostMemUnavailable(f"{LIB_ENV} is not set: run the bench through nicsim.runner.run_cocotb "
                                 "with a toplevel that has host_mem_axi slaves (nic_pair_tb)")
    c = ctypes.CDLL(path)
    u64, i32, u32, i64 = ctypes.c_uint64, ctypes.c_int, ctypes.c_uint32, ctypes.c_int64
    for name, res, args in (
        ("hm_mem_new", i32, [u64]),
        ("hm_mem_free", None, [i32]),
        ("hm_mem_base", ctypes.c_void_p, [i32]),
        ("hm_mem_size", u64, [i32]),
        ("hm_port_attach", i32, [i32, i32]),
        ("hm_port_mem", i32, [i32]),
        ("hm_rule_add", i32, [i32, i32, i32, i32, i64, u64, u64, u64, u64, u64, u64]),
        ("hm_rules_clear", None, [i32]),
        ("hm_rule_count", i32, [i32]),
        ("hm_fired_copy", u32, [i32, u32, ctypes.POINTER(_Fired), u32]),
        ("hm_fired_count", u32, [i32]),
        ("hm_log_head", u64, []),
        ("hm_log_head_ptr", ctypes.c_void_p, []),
        ("hm_log_read", u32, [ctypes.POINTER(u64), ctypes.POINTER(_Txn), u32, ctypes.POINTER(u64)]),
        ("hm_txn_size", u32, []),
        ("hm_chk_run", i32, [ctypes.POINTER(CheckerState), u64, i32]),
        ("hm_chk_size", u32, []),
    ):
        fn = getattr(c, name)
        fn.restype = res
        fn.argtypes = args
    if c.hm_txn_size() != ctypes.sizeof(_Txn):
        raise HostMemUnavailable(f"{path}: its transaction record is {c.hm_txn_size()} bytes, "
                                 f"this module expects {ctypes.sizeof(_Txn)}: rebuild it")
    if c.hm_chk_size() != ctypes.sizeof(CheckerState):
        raise HostMemUnavailable(f"{path}: its checker record is {c.hm_chk_size()} bytes, "
                                 f"this module expects {ctypes.sizeof(CheckerState)}: rebuild it")
    _lib = c
    return c


def in_hdl(dut, side: str) -> bool:
    """True if ``dut`` serves NIC ``side``'s DMA port with a ``host_mem_axi`` slave
    (``host_mem_<side>_inst``, as ``nic_pair_tb`` does)."""
    return hasattr(dut, f"host_mem_{side}_inst")


def _free(c: ctypes.CDLL, mem: int) -> None:
    c.hm_mem_free(mem)


class SharedMemory:
    """One host's memory: ``size`` zeroed bytes in C, at addresses 0..size-1.

    ``read``/``write`` are the backing ``iopkt.platform.base.HostMemory``
    needs (and what ``AxiRam``'s backdoor offered): direct accesses that
    cost no simulated time, as a CPU's cached access next to a DMA would.
    ``attach(port)`` makes a ``host_mem_axi`` port DMA into this memory;
    several ports may share it (a host with two NICs). Outside 0..size-1
    the slave answers DECERR. The C buffer is freed when this object is
    collected (or :meth:`close`\\ d); ports still attached then answer DECERR.

    Raises ``MemoryError`` if C cannot allocate it (``size`` 0, no memory, or
    all 64 memory slots in use)."""

    def __init__(self, size: int):
        self._c = lib()
        self.size = int(size)
        self.id = self._c.hm_mem_new(self.size)
        if self.id < 0:
            raise MemoryError(f"host memory of {self.size} bytes could not be allocated")
        base = self._c.hm_mem_base(self.id)
        # a zero-copy view: Python's accesses are slices of the C buffer itself
        self._view = memoryview((ctypes.c_ubyte * self.size).from_address(base)).cast("B")
        self.ports: list[int] = []
        self._finalizer = weakref.finalize(self, _free, self._c, self.id)

    def attach(self, port: int) -> None:
        """Serve DMA port ``port`` (a ``host_mem_axi`` PORT) from this memory; that
        port's fault rules and fired list start empty. Raises ``ValueError`` for
        a port outside the C table."""
        if self._c.hm_port_attach(port, self.id) != 0:
            raise ValueError(f"host memory port {port} does not exist")
        self.ports.append(port)

    def read(self, addr: int, length: int) -> bytes:
        """``length`` bytes at ``addr``. Raises ``IndexError`` outside the memory."""
        self._check(addr, length)
        return bytes(self._view[addr:addr + length])

    def write(self, addr: int, data: bytes) -> None:
        """Store ``data`` at ``addr``. Raises ``IndexError`` outside the memory."""
        self._check(addr, len(data))
        self._view[addr:addr + len(data)] = data

    def _check(self, addr: int, length: int) -> None:
        if addr < 0 or length < 0 or addr + length > self.size:
            raise IndexError(f"host memory access {addr:#x}+{length} outside 0..{self.size:#x}")

    def close(self) -> None:
        """Free the C buffer now (ports attached to it answer DECERR from then on)."""
        self._view.release()
        self._finalizer()


class DmaTransaction(NamedTuple):
    """One DMA burst as the slave accepted it (its address handshake). A named
    tuple, not a dataclass: a flood makes one per burst, and a tuple is made
    about three times faster."""

    port: int      # host_mem_axi PORT (nic_pair_tb: 0 = NIC A, 1 = NIC B)
    write: bool
    addr: int      # AxADDR, bytes
    beats: int     # AxLEN + 1
    size: int      # bytes per beat (2 ** AxSIZE)
    burst: int     # AxBURST (1 = INCR)
    id: int        # AxID (low 8 bits)
    resp: int      # the response the burst got: RESP_OKAY, RESP_SLVERR or RESP_DECERR
    time_ns: int   # simulated time of the handshake, ns
    done: bool = True              # every beat has moved (False: a write whose beats were still coming)
    strobed: tuple[int, int] | None = None  # a write's bytes [first, last + 1) strobed so far; None: none

    @property
    def nbytes(self) -> int:
        """Bytes the burst's beats carry (beats x size; partial beats use strobes)."""
        return self.beats * self.size

    @property
    def resp_name(self) -> str:
        return RESP_NAMES[self.resp]


def transaction(t: _Txn) -> DmaTransaction:
    """One C log record (``hm_txn_t``) as a :class:`DmaTransaction`."""
    page = t.addr & ~0xFFF
    strobed = None if t.wfirst == _NO_STROBE else (page + t.wfirst, page + t.wlast + 1)
    return DmaTransaction(t.port, bool(t.write), t.addr, t.len + 1, 1 << t.size, t.burst, t.id, t.resp,
                          t.time_ns, bool(t.done), strobed)


class DmaLog:
    """A reader of the C transaction log, from the moment it is made.

    ``ports``: only these ports' transactions (default: all). The C ring keeps
    the last 65536 transactions of all ports; a reader that falls further
    behind skips the overwritten ones and counts them in ``lost``. Readers
    are independent: each keeps its own position."""

    _BATCH = 4096

    def __init__(self, ports: tuple[int, ...] | list[int] | None = None):
        self._c = lib()
        self.ports = None if ports is None else frozenset(ports)
        self._cursor = ctypes.c_uint64(self._c.hm_log_head())
        # the C count itself: drain() returns at once, with no call into C, while nothing is new
        self._head = ctypes.c_uint64.from_address(self._c.hm_log_head_ptr())
        self._lost = ctypes.c_uint64(0)
        self._buf = (_Txn * self._BATCH)()
        self.waiting: int | None = None

    @property
    def lost(self) -> int:
        """Transactions overwritten before this reader got to them."""
        return self._lost.value

    def drain(self, complete: bool = False) -> list[DmaTransaction]:
        """The transactions logged since the last call (or since this reader was made), oldest first.

        ``complete``: stop before the first write burst (of this reader's
        ports) whose beats are still coming, and return it, whole, from a
        later call: its ``strobed`` bytes are then final; ``waiting`` is then
        its simulated time (None when nothing was held back)."""
        out = []
        self.waiting = None
        if self._head.value == self._cursor.value:
            return out
        while True:
            n = self._c.hm_log_read(ctypes.byref(self._cursor), self._buf, self._BATCH, ctypes.byref(self._lost))
            for i, t in enumerate(self._buf[:n]):
                if self.ports is None or t.port in self.ports:
                    if complete and not t.done:
                        self._cursor.value -= n - i
                        self.waiting = t.time_ns
                        return out
                    out.append(transaction(t))
            if n < self._BATCH:
                return out


def fired_records(port: int, start: int) -> list[tuple[int, bool, int, int]]:
    """The port's failed bursts from entry ``start`` on, as (rule tag, write,
    address, time in ns) tuples (see ``nicsim.faults.PortDmaFaults``)."""
    c = lib()
    count = c.hm_fired_count(port)
    if count <= start:
        return []
    buf = (_Fired * (count - start))()
    n = c.hm_fired_copy(port, start, buf, count - start)
    return [(f.tag, bool(f.write), f.addr, f.time_ns) for f in buf[:n]]
