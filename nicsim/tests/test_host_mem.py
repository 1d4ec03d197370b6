"""The testbench host memory's C side (rtl/tb/host_mem_axi.c) without a simulator:
built as the Verilator runner builds it, loaded with ctypes, and driven through
the same entry points the slave calls per burst and per beat, so the decode
(DECERR), the fault rules, the strobes and the transaction log are checked in
plain pytest. The RTL side is checked by cocotb_tests/tb_pair.py."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess

import pytest

from nicsim import host_mem, runner
from nicsim.faults import PortDmaFaults

BUS = 8  # bytes per beat, DATA_WIDTH 64
INCR, WRAP = 1, 2


def burst(c, port: int, addr: int, beats: int = 1, write: bool = False, kind: int = INCR, t: int = 0) -> str:
    """What the slave asks at an address handshake; returns the response's name."""
    resp = ctypes.c_int(-1)
    c.hm_burst(port, addr, beats - 1, 3, kind, int(write), 0, t, BUS, ctypes.byref(resp))
    return host_mem.RESP_NAMES[resp.value]


def beat_read(c, port: int, addr: int) -> bytes:
    word = (ctypes.c_uint32 * (BUS // 4))()
    c.hm_read(port, addr, BUS, word)
    return bytes(word)


def beat_write(c, port: int, addr: int, data: bytes, strb: int) -> None:
    word = (ctypes.c_uint32 * (BUS // 4)).from_buffer_copy(data)
    c.hm_write(port, addr, BUS, word, strb)


def test_python_and_the_slave_see_one_buffer(c):
    mem = host_mem.SharedMemory(0x10000)
    mem.attach(0)
    mem.write(0x100, bytes(range(8)))
    assert beat_read(c, 0, 0x100) == bytes(range(8))
    beat_write(c, 0, 0x200, bytes(range(10, 18)), 0b10100101)  # lanes 0, 2, 5, 7
    assert mem.read(0x200, 8) == bytes([10, 0, 12, 0, 0, 15, 0, 17])
    with pytest.raises(IndexError):
        mem.read(0xFFFC, 8)
    with pytest.raises(IndexError):
        mem.write(-1, b"x")


def test_two_ports_share_one_memory_and_hosts_do_not(c):
    host1 = host_mem.SharedMemory(0x4000)
    host1.attach(0)
    host1.attach(1)
    host2 = host_mem.SharedMemory(0x4000)
    host2.attach(2)
    beat_write(c, 1, 0x40, b"ABCDEFGH", 0xFF)
    assert beat_read(c, 0, 0x40) == b"ABCDEFGH" and host1.read(0x40, 8) == b"ABCDEFGH"
    assert host2.read(0x40, 8) == bytes(8) and beat_read(c, 2, 0x40) == bytes(8)


def test_hdl_gives_a_port_fresh_memory_of_its_own(c):
    # hm_port_new is what a testbench with no Python (the bench's plain flood) calls
    c.hm_port_new.argtypes = [ctypes.c_int, ctypes.c_longlong]
    assert c.hm_port_new(-1, 0x1000) == -1 and c.hm_port_new(16, 0x1000) == -1, "no such port"
    assert c.hm_port_new(5, 0) == -1 and c.hm_port_new(5, -8) == -1, "no size"
    before = host_mem.SharedMemory(0x1000)
    before.attach(5)
    assert c.hm_port_new(5, 0x3000) >= 0
    assert burst(c, 5, 0x2FC0, beats=8) == "OKAY" and burst(c, 5, 0x3000) == "DECERR"  # its own size
    assert beat_read(c, 5, 0x2000) == bytes(8), "zeroed"
    beat_write(c, 5, 0x80, b"12345678", 0xFF)
    assert before.read(0x80, 8) == bytes(8), "the memory it had before is left alone"
    before.close()
    assert beat_read(c, 5, 0x80) == b"12345678"


def test_decode_errors_outside_the_memory_and_on_unsupported_bursts(c):
    mem = host_mem.SharedMemory(0x2000)
    mem.attach(3)
    assert burst(c, 3, 0x1F00, beats=32) == "OKAY"      # ends exactly at the top
    assert burst(c, 3, 0x1F00, beats=33) == "DECERR"    # one beat past it
    assert burst(c, 3, 0x2000) == "DECERR"
    assert burst(c, 3, 0x1FFD, write=True) == "OKAY"    # unaligned: its word is inside
    assert burst(c, 3, 0x40, kind=WRAP) == "SLVERR"
    assert burst(c, 9, 0x40) == "DECERR", "a port with no memory"
    mem.close()
    assert burst(c, 3, 0x40) == "DECERR", "a port whose memory was freed"
    assert beat_read(c, 3, 0x40) == bytes(8)


def test_fault_rules_fail_bursts_of_a_kind_or_a_range(c):
    mem = host_mem.SharedMemory(0x100000)
    mem.attach(4)
    faults = PortDmaFaults(4)
    tx, rx = (0x1000, 0x400), (0x2000, 0x400)
    faults.fail_next("rx_buffer_write", tx, rx)
    faults.fail_next("tx_desc_fetch", tx, rx, count=2)
    assert faults.armed == 2
    assert burst(c, 4, 0x2000, write=True, t=10) == "OKAY"          # an RX write-back: a ring
    assert burst(c, 4, 0x30000, write=False, t=20) == "OKAY"        # a TX buffer read
    assert burst(c, 4, 0x30000, beats=4, write=True, t=30) == "SLVERR"
    assert burst(c, 4, 0x30000, write=True, t=40) == "OKAY"         # used up
    assert burst(c, 4, 0x1010, beats=2, t=50) == "SLVERR"
    assert burst(c, 4, 0x1020, t=60) == "SLVERR"
    assert burst(c, 4, 0x1030, t=70) == "OKAY" and faults.armed == 0
    faults.fail_range(0x5000, 0x5008)
    assert burst(c, 4, 0x4FF8, beats=2, write=True) == "SLVERR"      # its second beat is in the range
    assert burst(c, 4, 0x5008) == "OKAY"
    assert burst(c, 4, 0x5000) == "SLVERR" and faults.armed == 1     # every time
    faults.clear()
    assert burst(c, 4, 0x5000) == "OKAY"
    assert [(f.name, f.addr, f.write, f.time_ns) for f in faults.fired[:3]] == [
        ("rx_buffer_write", 0x30000, True, 30), ("tx_desc_fetch", 0x1010, False, 50),
        ("tx_desc_fetch", 0x1020, False, 60)]
    assert [f.name for f in faults.fired[3:]] == ["0x5000..0x5008"] * 2
    mem.attach(4)  # a new owner starts clean
    assert PortDmaFaults(4).fired == [] and PortDmaFaults(4).armed == 0


def test_log_keeps_every_transaction_for_each_reader(c):
    mem = host_mem.SharedMemory(0x10000)
    mem.attach(5)
    mem.attach(6)
    every, only6 = host_mem.DmaLog(), host_mem.DmaLog([6])
    assert burst(c, 5, 0x100, beats=4, t=100) == "OKAY"
    assert burst(c, 6, 0x20000, write=True, t=108) == "DECERR"
    got = every.drain()
    assert [(t.port, t.write, t.addr, t.beats, t.nbytes, t.resp_name, t.time_ns) for t in got] == [
        (5, False, 0x100, 4, 32, "OKAY", 100), (6, True, 0x20000, 1, 8, "DECERR", 108)]
    assert [t.port for t in only6.drain()] == [6]
    assert every.drain() == []
    # a reader that falls more than the ring (65536) behind loses the oldest, and says how many
    for i in range(70000):
        burst(c, 5, 0x100, t=i)
    got = every.drain()
    assert len(got) == 65536 and every.lost == 70000 - 65536 and got[-1].time_ns == 69999


def test_log_notes_the_strobed_bytes_of_each_write_burst(c):
    """A write burst's entry carries its first and last strobed byte (partial first and last beats) and is
    done at its last beat; a burst accepted with the previous one's last beat gets its own bytes; an
    erroring write moves nothing and is done at once."""
    mem = host_mem.SharedMemory(0x10000)
    mem.attach(0)
    log = host_mem.DmaLog([0])
    assert burst(c, 0, 0x1000, beats=3, write=True, t=5) == "OKAY"
    beat_write(c, 0, 0x1000, bytes(8), 0b11100000)  # bytes 0x1005..0x1007
    beat_write(c, 0, 0x1008, bytes(8), 0xFF)
    assert [(t.done, t.strobed) for t in log.drain(complete=True)] == []  # still coming
    assert burst(c, 0, 0x2ff8, beats=1, write=True, t=6) == "OKAY"  # accepted with the last beat below
    beat_write(c, 0, 0x1010, bytes(8), 0b00000011)  # bytes 0x1010..0x1011
    beat_write(c, 0, 0x2ff8, bytes(8), 0b01000000)  # byte 0x2ffe
    assert burst(c, 0, 0x20000, write=True, t=7) == "DECERR"
    got = [(t.addr, t.done, t.strobed) for t in log.drain(complete=True)]
    assert got == [(0x1000, True, (0x1005, 0x1012)), (0x2ff8, True, (0x2ffe, 0x2fff)), (0x20000, True, None)]
    mem.close()


def test_the_c_source_compiles_without_warnings_for_both_simulators(tmp_path):
    src = str(runner.HOST_MEM_C)
    runner._setup_verilator()
    vltstd = f"{os.environ['VERILATOR_ROOT']}/include/vltstd"
    cmds = [["gcc", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", f"-I{vltstd}", src]]
    if shutil.which("iverilog-vpi"):
        cflags = subprocess.run(["iverilog-vpi", "--cflags"], capture_output=True, text=True, check=True).stdout
        cmds.append(["gcc", "-fsyntax-only", *cflags.split(), "-Wall", "-Wextra", "-Werror", "-DHOST_MEM_VPI", src])
    for cmd in cmds:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=tmp_path)
        assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
