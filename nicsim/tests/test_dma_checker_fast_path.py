"""The DMA permission checker's C fast path (``hm_chk_run`` in
rtl/tb/host_mem_axi.c) against the rules it stands in for: the pure-Python
``nicsim.dma_ownership.NicOwnership``, whose rules each name their
datasheet section and are tested alone in test_dma_ownership.py.

Random streams of register writes and DMA bursts (descriptor fetches and
write-backs of owned and unowned slots, buffer reads and writes inside,
across and outside the handed-over buffers, error responses, an engine
disabled and seen idle) go through the C slave's entry points into its
transaction log; one NicOwnership checks them alone, another through the
fast path as ``nicsim.dma_checker`` replays it. After every step both must
have raised the same message (or none) and hold the same HEAD, owned
descriptors and given-back list, and the driver's frees and ring writes
must be judged alike (a ring write also by the checker's quick test). No
simulator: the library is built with gcc and loaded with ctypes."""

from __future__ import annotations

import ctypes
import random

import pytest

from nicdef import regs as R
from nicdef.desc import rx_desc, tx_desc
from nicsim import host_mem
from nicsim.dma_checker import _FOREVER
from nicsim.dma_ownership import DmaPermissionError, NicOwnership

BUS = 8
PORT = 6
TX_RING, RX_RING, N = 0x1000, 0x2000, 8
CL = 0x10000
NCL = 24  # clusters of 2 KiB from CL


def _outcome(fn, *args) -> str | None:
    try:
        fn(*args)
    except DmaPermissionError as err:
        return str(err)
    return None


def _state(nic: NicOwnership) -> tuple:
    return tuple((r.head, r.tail, sorted((g.slot, g.addr, g.size) for g in r.owned.values()),
                  [g.slot for g in r.released], bool(r.stopped), bool(r.idle)) for r in (nic.tx, nic.rx))


class Pair:
    """The same host seen by the rules alone (``ref``) and through the fast path (``fast``)."""

    def __init__(self, c, rng: random.Random):
        self.c, self.rng = c, rng
        self.mem = host_mem.SharedMemory(0x40000)
        self.mem.attach(PORT)
        self.live = {CL + i * 2048 for i in range(NCL) if rng.random() < 0.9}
        self.ref = NicOwnership(PORT, "NIC a", self.buffer_of)
        self.fast = NicOwnership(PORT, "NIC a", self.buffer_of)
        self.st = host_mem.CheckerState()
        self.st.cursor = c.hm_log_head()
        for k, ring in enumerate((self.fast.tx, self.fast.rx)):
            self.st.ring[PORT][k] = ctypes.addressof(ring.c)
        self.log = host_mem.DmaLog([PORT])
        self.t = 0

    def buffer_of(self, addr, n):
        start = CL + (addr - CL) // 2048 * 2048
        return (start, 2048) if addr >= CL and start in self.live and addr + n <= start + 2048 else None

    def ring_bytes(self, ring):
        return self.mem.read(ring.base, ring.length * 16)

    def both(self, name, *args) -> str | None:
        a = _outcome(getattr(self.ref, name), *args)
        b = _outcome(getattr(self.fast, name), *args)
        assert a == b, (name, args)
        return a

    def ring_write(self, addr: int, n: int) -> str | None:
        """The driver writes [addr, addr + n): the checker's quick test must agree with the rules."""
        hit = any(r.moving and r.owns_any(addr, addr + n) for r in (self.fast.tx, self.fast.rx))
        out = self.both("driver_ring_write", addr, n, self.t)
        assert hit == (out is not None)
        return out

    def free(self, start: int, size: int = 2048) -> str | None:
        """The driver frees [start, start + size)."""
        return self.both("driver_free", start, size, self.t, "cluster")

    def wr(self, reg, value):
        self.t += 10
        return self.both("reg_write", reg, value, self.t, self.ring_bytes)

    def burst(self, write: bool, addr: int, nbytes: int, strobed: tuple[int, int] | None = None):
        """One burst, beat by beat; a write strobes [strobed) of it (default: every byte)."""
        self.t += 10
        start = addr // BUS * BUS
        beats = max(1, -(-(addr + nbytes - start) // BUS))
        resp = ctypes.c_int()
        self.c.hm_burst(PORT, start, beats - 1, 3, 1, int(write), 0, self.t, BUS, ctypes.byref(resp))
        if write and resp.value == 0:
            lo, hi = strobed or (addr, addr + nbytes)
            for b in range(beats):
                word = start + b * BUS
                strb = sum(1 << i for i in range(BUS) if lo <= word + i < hi)
                self.c.hm_write(PORT, word, BUS, (ctypes.c_uint32 * 2)(), strb)
        return self.check()

    def check(self) -> str | None:
        a = None
        for t in self.log.drain():
            a = a or _outcome(self.ref.dma, t)
        b = None
        while b is None:
            code = self.c.hm_chk_run(ctypes.byref(self.st), _FOREVER, 0)
            for v in self.st.rel[:self.st.nrel]:
                (self.fast.rx if v & 0x10000 else self.fast.tx).file_released(v & 0xFFFF)
            if code == host_mem.CHK_DEFER:
                b = _outcome(self.fast.dma, host_mem.transaction(self.st.txn))
            elif code != host_mem.CHK_FULL:
                break
        assert a == b
        assert _state(self.ref) == _state(self.fast)
        return a


def _free_cluster(p: Pair, rng: random.Random, taken: set[int] = frozenset()) -> int:
    # a live cluster no owned descriptor of either ring holds (a driver that keeps the rules)
    held = {(g.addr - CL) // 2048 for r in (p.ref.tx, p.ref.rx) for g in r.owned.values()} | taken
    free = [i for i in range(NCL) if i not in held and CL + i * 2048 in p.live]
    return CL + rng.choice(free) * 2048 if free else CL + rng.randrange(NCL) * 2048


def _legal(p: Pair, rng: random.Random, tx: bool, nic: bool = False) -> str | None:
    """What a NIC and driver that keep the rules do: post at TAIL, fetch, move and write back from HEAD."""
    ring = p.ref.tx if tx else p.ref.rx
    base = TX_RING if tx else RX_RING
    count = ring.count
    if not nic and (ring.stopped or not ring.length):  # the driver restarts a ring a DMA error or RST stopped
        p.wr(R.REG_TX_BASE_LO if tx else R.REG_RX_BASE_LO, base)
        return p.wr(R.REG_TX_LEN if tx else R.REG_RX_LEN, N)
    op = rng.random() * (0.6 if nic else 1) + (0.4 if nic else 0)  # nic: the NIC's moves only, even when idle
    if op < 0.25 and count < N - 1 and ring.tail < N:
        k = rng.randint(1, min(3, N - 1 - count))
        taken: set[int] = set()
        for i in range(k):
            slot = (ring.tail + i) % N
            buf = _free_cluster(p, rng, taken) + (rng.choice((0, 0, 2, 6, 100)) if tx else 0)
            taken.add((buf - CL) // 2048)
            if p.ring_write(base + slot * 16, 16):
                return "a slot the NIC owns"
            p.mem.write(base + slot * 16, tx_desc(buf, rng.choice((60, 64, 100, 1500, 0)),
                                                  R.TX_DESC_CMD_EOP | (R.TX_DESC_CMD_RS if rng.random() < 0.7
                                                                       else 0)) if tx else rx_desc(buf))
        return p.wr(R.REG_TX_TAIL if tx else R.REG_RX_TAIL, (ring.tail + k) % N)
    if op < 0.32:  # the driver frees a cluster the NIC does not hold
        return p.free(_free_cluster(p, rng))
    if op < 0.36:  # the driver stops or starts an engine, and reads STATUS
        return p.wr(R.REG_CTRL, rng.choice((R.CTRL_TX_EN, R.CTRL_RX_EN, R.CTRL_TX_EN | R.CTRL_RX_EN,
                                            R.CTRL_TX_EN | R.CTRL_RX_EN)))
    if op < 0.40:
        p.both("reg_read", R.REG_STATUS, 0)
        return None
    if not ring.moving and not nic:
        if ring.owned and rng.random() < 0.3:  # an engine seen idle: its buffers and slots are the driver's
            g = rng.choice(list(ring.owned.values()))
            return p.free(g.addr // 2048 * 2048) or p.ring_write(base + g.slot * 16, 16)
        return None
    if not count:
        return None
    k = rng.randrange(min(count, 3))
    slot = (ring.head + k) % N
    if op < 0.5:
        return p.burst(False, base + slot * 16, 16 * rng.randint(1, min(count - k, N - slot)))
    if op < 0.65:
        return p.burst(True, base + slot * 16 + 8, 8)
    g = ring.owned.get(slot)
    if g is None or not g.size:
        return None
    if tx:
        return p.burst(False, g.addr, g.size)
    n = rng.randint(1, g.size)
    if rng.random() < 0.5:
        return p.burst(True, g.addr, n + 16, strobed=(g.addr, g.addr + n))  # wider beats than its bytes
    return p.burst(True, g.addr, n)


def _rare(p: Pair, rng: random.Random, tx: bool) -> str | None:
    """What breaks a rule, or changes the rules' state other than by traffic."""
    ring = p.ref.tx if tx else p.ref.rx
    base = TX_RING if tx else RX_RING
    op = rng.randrange(11)
    if op == 0:  # traffic on an engine seen idle, or a ring slot it owns written
        if rng.random() < 0.5:
            return p.ring_write(base + rng.randrange(N) * 16, 16)
        return _legal(p, rng, tx, nic=True)
    if op == 1:
        return p.wr(R.REG_CTRL, R.CTRL_RST if rng.random() < 0.2 else R.CTRL_TX_EN | R.CTRL_RX_EN)
    if op == 2:
        return p.wr(rng.choice((R.REG_TX_LEN, R.REG_RX_LEN, R.REG_RX_BUF_SIZE)), rng.choice((N, 2048, 1024)))
    if op == 3:  # an error response stops a ring: DECERR past the memory, or SLVERR from a fault rule
        if rng.random() < 0.5:
            return p.burst(False, 0x40000 - 8, 64)
        p.c.hm_rule_add(PORT, 1, 0, -1, 1, 0, 1 << 40, 0, 0, 0, 0)  # the next burst, whatever it is
        return _legal(p, rng, tx, nic=True)
    if op == 4:
        return p.wr(R.REG_TX_TAIL if tx else R.REG_RX_TAIL, rng.randrange(N + 2))
    if op == 5:  # a cluster anywhere freed, or a ring slot anywhere written
        if rng.random() < 0.5:
            return p.free(CL + rng.randrange(NCL) * 2048)
        return p.ring_write(base + rng.randrange(-1, N * 16 + 2), rng.choice((1, 8, 16, 32)))
    if op == 6:  # a descriptor anywhere
        slot = rng.randrange(N)
        return p.burst(rng.random() < 0.5, base + slot * 16 + rng.choice((0, 8)), rng.choice((8, 16, 32)))
    grants = list(ring.owned.values())
    if grants and op in (7, 8):  # a free that ends or starts at a buffer's edge
        g = rng.choice(grants)
        n = rng.choice((1, 8, 256, 2048))
        edge = rng.choice((0, 1))
        return p.free(g.addr + g.size - edge if rng.random() < 0.5 else g.addr - n + edge, n)
    if grants and op < 10:  # just past or before a buffer
        g = rng.choice(grants)
        addr, n = max(0, g.addr + rng.choice((-1, 0, 1, -8))), max(1, g.size + rng.choice((1, 8, 9, -1)))
    else:
        addr, n = CL + rng.randrange(NCL * 2048 - 64), rng.choice((1, 8, 60, 64))
    return p.burst(rng.random() < 0.5, addr, n)


def _step(p: Pair, rng: random.Random) -> str | None:
    tx = rng.random() < 0.5
    return (_rare if rng.random() < 0.03 else _legal)(p, rng, tx)


@pytest.mark.parametrize("seed", range(60))
def test_the_fast_path_judges_every_transaction_as_the_rules_do(c, seed):
    rng = random.Random(seed)
    p = Pair(c, rng)
    for reg, v in ((R.REG_TX_BASE_LO, TX_RING), (R.REG_TX_LEN, N), (R.REG_RX_BASE_LO, RX_RING), (R.REG_RX_LEN, N),
                   (R.REG_CTRL, R.CTRL_TX_EN | R.CTRL_RX_EN)):
        p.wr(reg, v)
    breaches = 0
    for _ in range(600):
        # a breach, named alike by both, changes neither side's state (the rules raise before they
        # change anything, or both sides ran the same Python): the stream goes on, to reach more of them
        breaches += _step(p, rng) is not None
    assert breaches and p.st.checked > 100, (breaches, p.st.checked)
