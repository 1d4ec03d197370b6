"""The DMA checker (``nicsim.dma_checker``) while its replay of the
transaction log waits at a write burst whose beats are still coming (a
receive buffer being written: 1.5 us for a full frame).

A descriptor fetch that gets an error response behind that open write stops
the transmit ring and gives its descriptors back to the driver (datasheet
"DMA errors"); the driver, told by DMA_ERR, frees the packet the fetch was
for before the write has ended. That free keeps the rules. Found by the
soak (two busy NICs): the checker judged the free against the ring as it was
before the error and reported a breach. A free of a buffer the NIC still
owns, with an open write pending and no error, is still a breach.
No simulator: the host memory's C library is loaded with ctypes, the
platform is a stand-in with what the checker hooks."""

from __future__ import annotations

import ctypes
from types import SimpleNamespace

import pytest

from iopkt.kern.mbuf import M_DONTWAIT, M_PKTHDR, MT_DATA, MbufPool, m_freem, m_getcl, mtod
from iopkt.platform.base import HostMemory
from nicdef import regs as R
from nicdef.desc import tx_desc
from nicsim import host_mem
from nicsim.dma_checker import DmaChecker
from nicsim.dma_ownership import DmaPermissionError

PORT = 5
BUS = 8
TX_RING, RX_RING, N = 0x1000, 0x1400, 8


class _Hooks(list):
    def on_rise(self, fn):
        self.append(fn)


def _setup(c):
    shared = host_mem.SharedMemory(0x80000)
    shared.attach(PORT)
    mem = HostMemory(shared, 0x80000 - 0x4000, base=0x4000)
    clock = SimpleNamespace(t=1_000)
    dev = SimpleNamespace(name="axi-lite:t", regs=SimpleNamespace(before=[], after=[]), irq=_Hooks())
    taps = SimpleNamespace(before_read=[], before_write=[])
    plat = SimpleNamespace(devices=[dev], dma_ports=[PORT], ram=shared, memory_taps=taps,
                           now_ns=lambda: clock.t)
    pool = MbufPool(mem, 32, 32)
    checker = DmaChecker(plat, SimpleNamespace(mbufs=pool))

    def reg(offset, value):
        clock.t += 10
        for fn in dev.regs.before:
            fn(True, offset, value)
        for fn in dev.regs.after:
            fn(True, offset, value)

    def burst(write: bool, addr: int, beats: int, resp_error: bool = False, beats_done: int | None = None):
        clock.t += 10
        if resp_error:
            c.hm_rule_add(PORT, 1, 0, -1, 1, 0, 1 << 40, 0, 0, 0, 0)  # the next burst gets SLVERR
        resp = ctypes.c_int()
        c.hm_burst(PORT, addr, beats - 1, 3, 1, int(write), 0, clock.t, BUS, ctypes.byref(resp))
        if write and resp.value == 0:
            for b in range(beats if beats_done is None else beats_done):
                c.hm_write(PORT, addr + b * BUS, BUS, (ctypes.c_uint32 * 2)(), 0xFF)

    for base_lo, length in ((R.REG_TX_BASE_LO, R.REG_TX_LEN), (R.REG_RX_BASE_LO, R.REG_RX_LEN)):
        reg(base_lo, TX_RING if base_lo == R.REG_TX_BASE_LO else RX_RING)
        reg(length, N)
    reg(R.REG_CTRL, R.CTRL_TX_EN | R.CTRL_RX_EN)
    m = m_getcl(pool, M_DONTWAIT, MT_DATA, M_PKTHDR)
    rx_buf = m_getcl(pool, M_DONTWAIT, MT_DATA, M_PKTHDR)
    shared.write(TX_RING, tx_desc(mtod(m), 1000, R.TX_DESC_CMD_EOP | R.TX_DESC_CMD_RS))
    reg(R.REG_TX_TAIL, 1)  # the NIC owns TX[0] and m's cluster
    burst(True, mtod(rx_buf), 190, beats_done=3)  # a receive buffer write, its beats still coming
    return checker, m, rx_buf, burst, clock


def test_a_free_after_an_error_behind_an_open_write_keeps_the_rules(c):
    checker, m, rx_buf, burst, clock = _setup(c)
    burst(False, TX_RING, 2, resp_error=True)  # TX[0]'s fetch fails: the ring stops, TX[0] is the driver's
    clock.t += 300  # DMA_ERR, the ISR, TX_HEAD read: the write has not ended yet
    m_freem(m)
    assert checker.failure is None
    checker.stop()


def test_a_free_of_an_owned_buffer_behind_an_open_write_is_a_breach(c):
    checker, m, rx_buf, burst, clock = _setup(c)
    burst(False, TX_RING, 2)  # TX[0] fetched, no error: the NIC will read m's cluster
    clock.t += 300
    with pytest.raises(DmaPermissionError, match="the NIC still owns a descriptor"):
        m_freem(m)
    checker.stop()
