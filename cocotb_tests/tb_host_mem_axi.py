"""The testbench host memory on its own (toplevel host_mem_axi, port 0): driven by cocotbext-axi's AxiMaster,
an independent AXI4 model, with what the NIC never issues (narrow and FIXED bursts, several outstanding
transactions), checked against a Python copy of the memory and against the C buffer read directly."""

from __future__ import annotations

import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotbext.axi import AxiBurstType, AxiBus, AxiMaster, AxiResp

from nicsim import host_mem, testing
from nicsim.faults import PortDmaFaults
from nicsim.nic_harness import quiet_models

TOPLEVEL = "host_mem_axi"  # the HDL toplevel these tests run on (read by nicsim.collect)
PARAMETERS = [{"DATA_WIDTH": 64}, {"DATA_WIDTH": 512}]  # every test, at 64 and 512 bits

MEM = 64 * 1024
PORT = 0  # the toplevel's PORT parameter (default)


async def setup(dut) -> tuple[AxiMaster, host_mem.SharedMemory, int]:
    """Clock, reset, a 64 KiB memory on port 0 and a master; returns (master, memory, bytes per beat)."""
    quiet_models(dut, "s_axi")
    Clock(dut.clk, 8, unit="ns").start()
    mem = host_mem.SharedMemory(MEM)
    mem.attach(PORT)
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 2)
    axi = AxiMaster(AxiBus.from_prefix(dut, "s_axi"), dut.clk, dut.rst)
    return axi, mem, len(dut.s_axi_wdata) // 8


@testing.test()
async def test_any_bytes_at_any_address_and_beat_size(dut):
    """Random writes and reads of 1..600 bytes at random byte addresses, full-width and narrow beats (the
    master splits them into INCR bursts with strobes): every read returns the reference copy and the C buffer
    always equals it; the log holds every burst, OKAY."""
    axi, mem, bus = await setup(dut)
    log = host_mem.DmaLog([PORT])
    rng = random.Random(7)
    ref = bytearray(MEM)
    for i in range(60):
        size = rng.choice([None, 0, 1, 2, bus.bit_length() - 1])  # None: full width
        length = rng.randint(1, 600)
        addr = rng.randrange(0, MEM - length)
        data = bytes(rng.getrandbits(8) for _ in range(length))
        res = await axi.write(addr, data, size=size)
        assert res.resp == AxiResp.OKAY
        ref[addr:addr + length] = data
        raddr = rng.randrange(0, MEM - length)
        got = await axi.read(raddr, length, size=rng.choice([None, 0, 2]))
        assert got.resp == AxiResp.OKAY and got.data == ref[raddr:raddr + length], i
    assert mem.read(0, MEM) == bytes(ref)
    txns = log.drain()
    assert len(txns) >= 120 and all(t.resp == host_mem.RESP_OKAY and t.port == PORT for t in txns)
    assert sum(t.write for t in txns) and sum(not t.write for t in txns)


@testing.test()
async def test_fixed_bursts_stay_on_one_address(dut):
    """A FIXED write of 4 full beats leaves the last beat's bytes; a FIXED read returns one word every beat."""
    axi, mem, bus = await setup(dut)
    mem.write(0x1000, bytes(range(bus)))
    got = await axi.read(0x1000, 4 * bus, burst=AxiBurstType.FIXED)
    assert got.data == bytes(range(bus)) * 4
    beats = [bytes([0x10 * (k + 1) + j for j in range(bus)]) for k in range(4)]
    await axi.write(0x2000, b"".join(beats), burst=AxiBurstType.FIXED)
    assert mem.read(0x2000, bus) == beats[-1] and mem.read(0x2000 + bus, bus) == bytes(bus)


@testing.test()
async def test_outside_the_memory_is_decerr_and_rules_give_slverr(dut):
    """A read or write past the memory's end gets DECERR and writes nothing (no wrap to address 0), burst by
    burst; a fault
    rule on the port fails the next matching burst with SLVERR and records it with the simulated time."""
    axi, mem, bus = await setup(dut)
    assert (await axi.read(MEM, 16)).resp == AxiResp.DECERR
    assert (await axi.write(MEM + 0x40, b"\xAA" * 32)).resp == AxiResp.DECERR
    assert mem.read(0, 0x100) == bytes(0x100), "a write past the end wrapped to address 0"
    # across the end: the master splits it at the 4 KiB boundary; the burst inside is written, the other not
    assert (await axi.write(MEM - bus, b"\xBB" * 2 * bus)).resp == AxiResp.DECERR
    assert mem.read(MEM - bus, bus) == b"\xBB" * bus and mem.read(0, bus) == bytes(bus)
    faults = PortDmaFaults(PORT)
    faults.fail_range(0x3000, 0x3100, count=1)
    res = await axi.write(0x30F0, b"\xCC" * 64)
    assert res.resp == AxiResp.SLVERR and mem.read(0x30F0, 64) == bytes(64)
    assert (await axi.write(0x30F0, b"\xCC" * 64)).resp == AxiResp.OKAY  # the rule is used up
    [f] = faults.fired
    assert (f.addr, f.write) == (0x30F0, True) and 0 < f.time_ns <= cocotb.utils.get_sim_time("ns")


@testing.test()
async def test_back_to_back_bursts_stream_without_gaps(dut):
    """Eight 8-beat reads issued at once: after the first beat, R carries a beat on every clock until the
    last (AR for the next burst is taken while the previous one's last beat loads)."""
    axi, mem, bus = await setup(dut)
    mem.write(0, bytes(range(256)) * 16)
    beats, gaps, seen = 0, 0, False

    async def watch():
        nonlocal beats, gaps, seen
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(dut.s_axi_rvalid.value) and int(dut.s_axi_rready.value):
                beats += 1
                seen = True
            elif seen and beats < 64:
                gaps += 1

    w = cocotb.start_soon(watch())
    reads = [cocotb.start_soon(axi.read(0x100 * k, 8 * bus)) for k in range(8)]
    for k, r in enumerate(reads):
        assert (await r).data == mem.read(0x100 * k, 8 * bus)
    w.cancel()
    assert beats == 64 and gaps == 0, (beats, gaps)
