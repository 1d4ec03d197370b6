"""The DMA permission checker (nicsim.dma_checker) against deliberately wrong
drivers: devnp-nic with one thing broken at a time, patched inside the test.
Each test proves the checker catches that breach and that its message names
the descriptor (ring and index), the address and the DMA port; the last
proves a breach seen inside a forked task of io-pkt fails the test.

Each test runs in a simulation of its own (one pytest item each): a broken
driver leaves the hosts in no state for another test."""

from __future__ import annotations

import re

from cocotb.triggers import Timer

import devnp_nic.init
import devnp_nic.receive
import devnp_nic.transmit
from devnp_nic.softc import NUM_RX_DESC, NUM_TX_DESC
from iopkt.kern.mbuf import M_DONTWAIT, M_PKTHDR, MCLBYTES, MT_DATA, m_freem, m_getcl, mtod
from iopkt.platform.base import RegisterBus
from nicdef import regs as R
from nicdef.desc import rx_desc
from nicsim import testing
from nicsim.dma_checker import DmaPermissionError
from nicsim.two_hosts import bring_up_pair, build_hosts

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)


async def _caught(checker, what: str, limit_us: int = 400) -> DmaPermissionError:
    """Wait (polling every microsecond of simulated time) for the checker's first breach."""
    for _ in range(limit_us):
        if checker.failure is not None:
            checker.stop()
            return checker.failure
        await Timer(1, "us")
    raise AssertionError(f"the checker did not catch {what}")


def _names(err: Exception, ring: str, index: int, addr: int, port: int) -> None:
    msg = str(err)
    assert f"descriptor {ring}[{index}]" in msg, msg
    assert f"{addr:#x}" in msg, msg
    assert f"DMA port {port}" in msg, msg
    assert re.search(r"at \d+ ns", msg), msg


async def _hosts(dut, raise_in_driver: bool = False):
    hosts = await build_hosts(dut, dma_checker=True)
    for checker in hosts.checkers.values():
        checker.raise_in_driver = raise_in_driver
    return hosts


def _patch(module, name: str, value):
    old = getattr(module, name)
    setattr(module, name, value)
    return lambda: setattr(module, name, old)


def _bad_refill(sc, m) -> None:
    """A refill that posts a cluster it has just freed (instead of ``m``)."""
    freed = m_getcl(sc.iopkt.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)
    addr = mtod(freed)
    m_freem(freed)
    slot = sc.rx_prod
    m.m_next = None
    m.m_data = m.buf_start()
    sc.rx_mbufs[slot] = m
    sc.mem.write(sc.rx_ring + slot * R.DESC_SIZE, rx_desc(addr))
    sc.rx_prod = (slot + 1) % NUM_RX_DESC
    sc.__dict__.setdefault("bad", []).append((slot, addr))


async def _refill_freed_cluster(dut, raise_in_driver: bool):
    hosts = await _hosts(dut, raise_in_driver)
    await bring_up_pair(hosts)
    restore = _patch(devnp_nic.receive, "_refill", _bad_refill)
    try:
        await hosts.sh("hostA", "ping -c 1 10.0.0.2")  # B receives: its refill posts a freed cluster
        return hosts, await _caught(hosts.checkers["hostB"], "a freed cluster posted")
    finally:
        restore()


@testing.test()
async def test_the_real_driver_keeps_every_rule(dut):
    """devnp-nic as it is: pings both ways and a down/up, every DMA transaction of both NICs checked (both
    directions on both ports, writes with their strobed bytes), no breach."""
    hosts = await _hosts(dut, raise_in_driver=True)
    await bring_up_pair(hosts)
    await hosts.must("hostA", "ping -c 3 10.0.0.2")
    await hosts.must("hostB", "ifconfig nic0 down")
    await hosts.must("hostB", "ifconfig nic0 up")
    await hosts.must("hostB", "ping -c 2 10.0.0.1")
    await hosts.teardown()
    for name, checker in hosts.checkers.items():
        dut._log.info("%s: %d DMA transactions checked", name, checker.transactions)
        assert checker.failure is None and checker.transactions > 30, (name, checker.transactions)


@testing.test()
async def test_refill_posting_a_freed_cluster(dut):
    """RX refill posts a cluster it freed: the RX_TAIL write that hands it over fails, naming RX[slot]."""
    hosts, err = await _refill_freed_cluster(dut, raise_in_driver=False)
    slot, addr = hosts.softc("hostB").bad[0]
    _names(err, "RX", slot, addr, hosts.platforms["hostB"].dma_ports[0])
    assert "not inside one live mbuf or cluster" in str(err), err


@testing.test()
async def test_rx_buf_size_larger_than_the_cluster(dut):
    """RX_BUF_SIZE 4096 over 2048-byte clusters: enabling the receiver hands over RX[0] with a buffer the NIC
    could overrun by 2 KiB."""
    hosts = await _hosts(dut)
    restore = _patch(devnp_nic.init, "MCLBYTES", 2 * MCLBYTES)
    try:
        await hosts.sh("hostA", "mount -T io-pkt /lib/dll/devnp-nic.so")
        await hosts.sh("hostA", "ifconfig nic0 up")
    finally:
        restore()
    err = await _caught(hosts.checkers["hostA"], "RX_BUF_SIZE over the cluster size")
    sc = hosts.softc("hostA")
    _names(err, "RX", 0, mtod(sc.rx_mbufs[0]), hosts.platforms["hostA"].dma_ports[0])
    assert "RX_BUF_SIZE 4096" in str(err), err


class _TailFirst(RegisterBus):
    """The driver's register bus, for a driver that writes TX_TAIL before its descriptors: the descriptors
    ``_map_packet`` wrote are held back (their slots zeroed) and written once TX_TAIL has landed."""

    def __init__(self, sc, regs: RegisterBus):
        self.sc, self._regs, self.held = sc, regs, []
        self.first: int | None = None

    async def read32(self, offset: int) -> int:
        return await self._regs.read32(offset)

    async def write32(self, offset: int, value: int) -> None:
        await self._regs.write32(offset, value)
        if offset == R.REG_TX_TAIL:
            for addr, raw in self.held:
                self.sc.mem.write(addr, raw)
            self.held.clear()


@testing.test()
async def test_tx_tail_bumped_before_the_descriptor_is_written(dut):
    """TX_TAIL written before the descriptor behind it: the hand-over finds a descriptor with no live buffer
    (an empty slot) and fails, naming TX[slot] and its address."""
    hosts = await _hosts(dut)
    await bring_up_pair(hosts)
    sc = hosts.softc("hostA")
    late = _TailFirst(sc, sc.regs)
    orig = devnp_nic.transmit._map_packet

    def map_late(sc_, m, segs=None):
        first = sc_.tx_prod
        orig(sc_, m, segs)
        if sc_ is sc:
            if late.first is None:
                late.first = first
            slot = first
            while slot != sc_.tx_prod:
                addr = sc_.tx_ring + slot * R.DESC_SIZE
                late.held.append((addr, sc_.mem.read(addr, R.DESC_SIZE)))
                sc_.mem.write(addr, bytes(R.DESC_SIZE))
                slot = (slot + 1) % NUM_TX_DESC

    sc.regs = late
    restore = _patch(devnp_nic.transmit, "_map_packet", map_late)
    try:
        await hosts.sh("hostA", "ping -c 1 10.0.0.2")
    finally:
        restore()
    err = await _caught(hosts.checkers["hostA"], "a TAIL ahead of its descriptor")
    _names(err, "TX", late.first, 0, hosts.platforms["hostA"].dma_ports[0])


class _FreeAfterTail(RegisterBus):
    """The driver's register bus, for a driver that frees a packet's mbufs as soon as TX_TAIL has handed it
    over, before the NIC has written DD back."""

    def __init__(self, sc, regs: RegisterBus):
        self.sc, self._regs = sc, regs
        self.freed: tuple[int, int] | None = None

    async def read32(self, offset: int) -> int:
        return await self._regs.read32(offset)

    async def write32(self, offset: int, value: int) -> None:
        await self._regs.write32(offset, value)
        if offset == R.REG_TX_TAIL and self.freed is None and self.sc.tx_pkts:
            pkt = self.sc.tx_pkts.pop()
            self.freed = (pkt.first, mtod(pkt.m))
            self.sc.tx_free += pkt.ndesc
            m_freem(pkt.m)


@testing.test()
async def test_tx_buffer_freed_before_its_dd(dut):
    """A transmitted packet's mbuf freed right after TX_TAIL, before DD: the free fails, naming the TX
    descriptor the NIC still owns and the freed buffer."""
    hosts = await _hosts(dut)
    await bring_up_pair(hosts)
    sc = hosts.softc("hostA")
    early = _FreeAfterTail(sc, sc.regs)
    sc.regs = early
    await hosts.sh("hostA", "ping -c 1 10.0.0.2")
    err = await _caught(hosts.checkers["hostA"], "a buffer freed before DD")
    slot, addr = early.freed
    _names(err, "TX", slot, addr, hosts.platforms["hostA"].dma_ports[0])
    assert "the driver frees" in str(err), err


@testing.test(expect_fail=True)
async def test_a_breach_in_a_forked_task_fails_the_test(dut):
    """With the checker as every end-to-end test has it (raising where the breach is seen), the freed
    cluster of the first test, posted from io-pkt's interrupt thread (a forked task), fails the test
    (expect_fail: the test passes only if it fails)."""
    hosts = await _hosts(dut, raise_in_driver=True)
    await bring_up_pair(hosts)
    restore = _patch(devnp_nic.receive, "_refill", _bad_refill)
    try:
        await hosts.sh("hostA", "ping -c 1 10.0.0.2")
        await Timer(200, "us")
    finally:
        restore()
