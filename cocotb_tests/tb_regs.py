"""Register file and interrupt controller, through the AXI4-Lite slave of one NIC."""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge, Timer
from cocotbext.axi import AxiResp

from nicdef import regs
from nicsim import testing
from nicsim.nic_harness import REG, REG_BY_NAME, NicHarness, start_clock_and_reset, tie_off_gmii_rx

TOPLEVEL = "nic"  # the HDL toplevel these tests run on (read by nicsim.collect)

# bits each read-write register implements (the rest read 0)
RW_BITS = {
    "CTRL": regs.CTRL_TX_EN | regs.CTRL_RX_EN | regs.CTRL_LOOPBACK | regs.CTRL_SPEED,
    "RX_CTRL": regs.RX_CTRL_BAM | regs.RX_CTRL_PROMISC | regs.RX_CTRL_ALLMULTI,
    "MAX_FRAME_LEN": 0xFFFF,
    "MC_HASH_LO": 0xFFFFFFFF,
    "MC_HASH_HI": 0xFFFFFFFF,
    "INT_THROTTLE": 0xFFFF,
    "MDIO_DIV": 0xFF,
    "MDIO_CMD": None,  # a command, not storage: see test_mdio in tb_features
    "MAC_LO": 0xFFFFFFFF,
    "MAC_HI": 0xFFFF,
    "RX_BUF_SIZE": 0xFFFFFFFF,
    "TX_BASE_LO": 0xFFFFFFF0,  # descriptors are 16-byte aligned: bits 3:0 read 0
    "TX_BASE_HI": 0xFFFFFFFF,
    "TX_LEN": 0xFFFF,
    "TX_TAIL": 0xFFFF,
    "RX_BASE_LO": 0xFFFFFFF0,
    "RX_BASE_HI": 0xFFFFFFFF,
    "RX_LEN": 0xFFFF,
    "RX_TAIL": 0xFFFF,
}


async def setup(dut) -> NicHarness:
    tie_off_gmii_rx(dut)
    nic = NicHarness(dut, mem_size=1 << 16)
    await start_clock_and_reset(dut)
    return nic


async def reset_values_hold(nic: NicHarness) -> None:
    for reg in regs.REGISTERS:
        if reg.access == "wo":
            continue
        assert await nic.rd(reg.name) == reg.reset, f"{reg.name} not at its reset value"


@testing.test()
async def test_id_version_and_reset_values(dut):
    """ID and VERSION carry the values nicdef defines; every readable register starts at its reset value."""
    nic = await setup(dut)
    assert await nic.rd("ID") == (regs.VENDOR_ID << 16) | regs.DEVICE_ID
    assert await nic.rd("VERSION") == regs.REVISION
    await reset_values_hold(nic)


@testing.test()
async def test_rw_registers_read_back(dut):
    """Read-write registers return what was written, limited to their implemented bits; the map covers every one."""
    nic = await setup(dut)
    rw = [r.name for r in regs.REGISTERS if r.access == "rw"]
    assert sorted(rw) == sorted(RW_BITS), "RW_BITS is out of date with nicdef"
    # CTRL first, while both rings are off (LEN = 0), so enabling DMA fetches nothing
    for value in (regs.CTRL_TX_EN, regs.CTRL_RX_EN, 0xFFFFFFFF & ~regs.CTRL_RST, 0):
        await nic.wr("CTRL", value)
        assert await nic.rd("CTRL") == value & RW_BITS["CTRL"]
    for pattern in (0xFFFFFFFF, 0xA5A55A5A, 0x0):
        for name in rw:
            if name in ("CTRL", "MDIO_CMD"):
                continue
            await nic.wr(name, pattern)
            got = await nic.rd(name)
            assert got == pattern & RW_BITS[name], f"{name}: wrote {pattern:#x}, read {got:#x}"


@testing.test()
async def test_byte_strobes(dut):
    """Partial writes (wstrb) change only the addressed bytes."""
    nic = await setup(dut)
    await nic.wr("MAC_LO", 0x11223344)
    await nic.axil.write(REG["MAC_LO"] + 2, b"\xAB")  # one byte lane
    assert await nic.rd("MAC_LO") == 0x11AB3344


@testing.test()
async def test_ctrl_byte_lanes(dut):
    """CTRL written one byte lane at a time (registers.md, CTRL: "a byte lane whose WSTRB bit is clear keeps
    its bits"): a byte-1 write sets SPEED and keeps TX_EN/RX_EN/LOOPBACK, a byte-0 write changes those and keeps
    SPEED, a write to lanes 2..3 alone changes nothing. Both rings have LEN 0, so enabling moves no data."""
    nic = await setup(dut)
    low = regs.CTRL_TX_EN | regs.CTRL_RX_EN | regs.CTRL_LOOPBACK
    await nic.wr("CTRL", low | (1 << regs.CTRL_SPEED_SHIFT))
    await nic.axil.write(REG["CTRL"] + 1, bytes([2]))  # lane 1 only: SPEED = 2
    assert await nic.rd("CTRL") == low | (2 << regs.CTRL_SPEED_SHIFT)
    await nic.axil.write(REG["CTRL"], bytes([regs.CTRL_RX_EN]))  # lane 0 only
    assert await nic.rd("CTRL") == regs.CTRL_RX_EN | (2 << regs.CTRL_SPEED_SHIFT)
    await nic.axil.write(REG["CTRL"] + 2, b"\xff\xff")  # lanes 2, 3: no CTRL bits there
    assert await nic.rd("CTRL") == regs.CTRL_RX_EN | (2 << regs.CTRL_SPEED_SHIFT)


def mdio_cmd(op: int, phy: int, reg: int, data: int = 0) -> int:
    return ((op << regs.MDIO_CMD_OP_SHIFT) | (phy << regs.MDIO_CMD_PHY_SHIFT)
            | (reg << regs.MDIO_CMD_REG_SHIFT) | data)


async def mdc_frames(dut, bits: list[tuple[int, int]]) -> None:
    """Append (mdio_oe, mdio_o) at every rising MDC edge: what a PHY samples (a wake per MDC edge)."""
    while True:
        await RisingEdge(dut.mdc)
        bits.append((int(dut.mdio_oe.value), int(dut.mdio_o.value)))


@testing.test()
async def test_mdio_cmd_ignored_while_busy_or_partial(dut):
    """registers.md, MDIO_CMD: a write while BUSY, or with WSTRB not 0xF, is ignored. A whole-word write
    command to PHY 1 register 3 runs; a read of PHY 2 register 5 written while it is BUSY, and each byte lane of
    a read command written alone once it is idle, start nothing: the pins carry exactly one IEEE 802.3 clause 22
    frame (64 MDC periods: 32 ones, ST 01, OP 01, PHYAD, REGAD, TA 10, DATA, MSB first), MDIO_CMD keeps the
    first command's fields and MDIO is raised once."""
    nic = await setup(dut)
    bits: list[tuple[int, int]] = []
    watch = cocotb.start_soon(mdc_frames(dut, bits))
    first = mdio_cmd(regs.MDIO_OP_WRITE, 1, 3, 0x1234)
    await nic.wr("MDIO_CMD", first)
    assert await nic.rd("MDIO_CMD") & regs.MDIO_CMD_BUSY
    await nic.wr("MDIO_CMD", mdio_cmd(regs.MDIO_OP_READ, 2, 5))  # while BUSY
    assert await nic.rd("MDIO_CMD") == first | regs.MDIO_CMD_BUSY
    while await nic.rd("MDIO_CMD") & regs.MDIO_CMD_BUSY:
        await Timer(1, unit="us")
    assert await nic.rd("INT_CAUSE") == regs.INT_MDIO
    await nic.wr("INT_CAUSE", regs.INT_ALL)
    # idle now: each lane of a read command alone (OP lives in lane 3)
    second = mdio_cmd(regs.MDIO_OP_READ, 2, 5, 0xBEEF).to_bytes(4, "little")
    for lane in range(4):
        await nic.axil.write(REG["MDIO_CMD"] + lane, second[lane:lane + 1])
        assert await nic.rd("MDIO_CMD") == first, f"lane {lane} alone changed MDIO_CMD"
    await nic.axil.write(REG["MDIO_CMD"], second[:2])  # the two low lanes together
    await Timer(60, unit="us")  # two transactions' time at the reset MDIO_DIV
    watch.cancel()
    assert await nic.rd("MDIO_CMD") == first
    assert await nic.rd("INT_CAUSE") == 0, "MDIO raised by an ignored write"

    assert len(bits) == 64, f"{len(bits)} MDC periods: exactly one frame expected"
    assert all(oe for oe, _ in bits), "a write frame is driven by the master throughout"
    frame = "".join(str(b) for _, b in bits)
    expect = "1" * 32 + "01" + "01" + f"{1:05b}" + f"{3:05b}" + "10" + f"{0x1234:016b}"
    assert frame == expect, f"MDIO frame {frame}"


@testing.test()
async def test_read_only_registers_ignore_writes(dut):
    """Writes to ID, VERSION, STATUS, INT_MASK, the HEAD registers and the statistics change nothing."""
    nic = await setup(dut)
    ro = [r for r in regs.REGISTERS if r.access == "ro"]
    for reg in ro:
        before = await nic.rd(reg.name)
        await nic.wr(reg.name, 0xFFFFFFFF)
        assert await nic.rd(reg.name) == before, f"{reg.name} changed on write"
    # write-only registers read 0
    for reg in regs.REGISTERS:
        if reg.access == "wo":
            assert await nic.rd(reg.name) == 0


@testing.test()
async def test_interrupt_controller(dut):
    """INT_CAUSE is W1C, INT_MASK follows SET/CLR, CAUSE_SET raises causes, irq == |(cause & mask)."""
    nic = await setup(dut)
    assert not dut.irq.value
    every = regs.INT_ALL
    await nic.wr("INT_CAUSE_SET", regs.INT_LINK | regs.INT_RX_DONE)
    assert await nic.rd("INT_CAUSE") == regs.INT_LINK | regs.INT_RX_DONE
    assert await nic.rd("INT_MASK") == 0
    assert not dut.irq.value, "irq high with everything masked"

    await nic.wr("INT_MASK_SET", regs.INT_TX_DONE)
    assert await nic.rd("INT_MASK") == regs.INT_TX_DONE
    assert not dut.irq.value, "irq high for a masked cause"

    await nic.wr("INT_MASK_SET", regs.INT_LINK)
    assert await nic.rd("INT_MASK") == regs.INT_TX_DONE | regs.INT_LINK
    await ClockCycles(dut.clk, 1)
    assert dut.irq.value, "irq low with an enabled cause pending"

    await nic.wr("INT_CAUSE", regs.INT_RX_DONE)  # W1C of a masked cause: irq stays
    assert await nic.rd("INT_CAUSE") == regs.INT_LINK
    assert dut.irq.value

    await nic.wr("INT_MASK_CLR", regs.INT_LINK)  # masking drops the line, cause stays
    assert await nic.rd("INT_MASK") == regs.INT_TX_DONE
    await ClockCycles(dut.clk, 1)
    assert not dut.irq.value
    assert await nic.rd("INT_CAUSE") == regs.INT_LINK

    await nic.wr("INT_MASK_SET", every)
    await ClockCycles(dut.clk, 1)
    assert dut.irq.value
    await nic.wr("INT_CAUSE", every)  # W1C clears all
    assert await nic.rd("INT_CAUSE") == 0
    await ClockCycles(dut.clk, 1)
    assert not dut.irq.value

    await nic.wr("INT_CAUSE_SET", 0xFFFFFFFF)  # only defined causes exist
    assert await nic.rd("INT_CAUSE") == every
    await nic.wr("INT_MASK_CLR", 0xFFFFFFFF)
    assert await nic.rd("INT_MASK") == 0


@testing.test()
async def test_soft_reset(dut):
    """CTRL.RST restores every register to its reset value, reads back 0, and the write still completes."""
    nic = await setup(dut)
    for name in RW_BITS:
        if name not in ("CTRL", "MDIO_CMD"):
            await nic.wr(name, 0x12345678)
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN)
    await nic.wr("INT_MASK_SET", regs.INT_ALL)
    await nic.wr("INT_CAUSE_SET", regs.INT_ALL)
    assert int(dut.irq.value) == 1
    await nic.wr("CTRL", regs.CTRL_RST)
    await ClockCycles(dut.clk, 2)
    assert int(dut.irq.value) == 0
    await reset_values_hold(nic)


@testing.test()
async def test_unmapped_addresses(dut):
    """Unmapped addresses read 0 with an OKAY response; writes there change nothing."""
    nic = await setup(dut)
    mapped = {r.offset for r in regs.REGISTERS}
    holes = [a for a in (0x01C, 0x034, 0x0FC, 0x114, 0x300, 0x4FC, 0x800, 0xFFC) if a not in mapped]
    assert len(holes) == 8
    await nic.wr("MAC_LO", 0xCAFEF00D)
    for addr in holes:
        wr = await nic.axil.write(addr, (0xFFFFFFFF).to_bytes(4, "little"))
        assert wr.resp == AxiResp.OKAY
        rd = await nic.axil.read(addr, 4)
        assert rd.resp == AxiResp.OKAY
        assert rd.data == bytes(4), f"{addr:#x} read {rd.data.hex()}"
    assert await nic.rd("MAC_LO") == 0xCAFEF00D
    assert REG_BY_NAME["ID"].offset == 0
