"""MDIO master, PHY model, auto-negotiation, link, speed and speed mismatch, on two NICs with their PHYs
(nic_pair_tb): each NIC's MDIO bus reaches its own PHY (address 1), the PHYs are each other's link partner."""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import Timer

from nicdef import regs
from nicsim import testing
from nicsim.nic_harness import NicHarness, start_clock_and_reset, wait_until

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)

MAC_A = bytes.fromhex("02000000000a")
MAC_B = bytes.fromhex("02000000000b")
# clause 22 register numbers and bits (IEEE 802.3 22.2.4), independent of the RTL
BMCR, BMSR, PHYID1, PHYID2, ANAR, ANLPAR, GBCR, GBSR, ESTATUS = 0, 1, 2, 3, 4, 5, 9, 10, 15
BMCR_RESET, BMCR_LOOPBACK, BMCR_ANRESTART = 0x8000, 0x4000, 0x0200
BMSR_LINK, BMSR_ANEG_DONE = 0x0004, 0x0020
ANAR_10FD, ANAR_100FD, GBCR_1000FD, GBSR_LP_1000FD = 0x0040, 0x0100, 0x0200, 0x0800
W1000, W100 = 0b100, 0b010  # abilities a test can withhold: {1000FD, 100FD, 10FD}


def frame(dst: bytes, src: bytes, length: int, seed: int) -> bytes:
    return dst + src + b"\x88\xb5" + bytes((i * 11 + seed) & 0xFF for i in range(length - 14))


async def bring_up(dut) -> tuple[NicHarness, NicHarness]:
    # Bus models are made after reset: nic_pair_tb clocks itself from time 0
    # (the design or the simulator main toggles it), and bus models made
    # before then never see reset end.
    await start_clock_and_reset(dut)
    a = NicHarness(dut, "a")
    b = NicHarness(dut, "b")
    for nic, mac in ((a, MAC_A), (b, MAC_B)):
        await nic.setup(mac, 0x1000, 16, 0x2000, 16, irq_mask=0)
        await nic.post_rx([0x10000 + 0x800 * i for i in range(8)])
        await nic.wr("MDIO_DIV", 1)  # fast MDC for the tests (the reset value, 2.5 MHz, is checked once)
    await wait_link(dut, True)
    return a, b


async def wait_link(dut, up: bool, timeout_us: float = 50) -> None:
    await wait_until(lambda: int(dut.link_a.value) == up and int(dut.link_b.value) == up, timeout_us, poll_ns=80)


async def set_speed(nic: NicHarness, speed: int) -> None:
    await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | (speed << regs.CTRL_SPEED_SHIFT))


async def passes(a: NicHarness, b: NicHarness, seed: int, timeout_us: float = 60) -> bool:
    """Send one frame A -> B; True if it arrived intact."""
    before = await b.rd("STAT_RX_FRAMES")
    f = frame(MAC_B, MAC_A, 64, seed)
    await a.send([(0x30000 + 0x100 * seed, f)])
    try:
        await wait_until(lambda: b.rx_status(b.rx_next).done, timeout_us)
    except AssertionError:
        assert await b.rd("STAT_RX_FRAMES") == before
        return False
    assert await b.recv() == f
    return True


RX_DROPS = ("RX_RUNT", "RX_FRAMING", "RX_TOOLONG", "RX_FCS_ERR", "RX_FILTERED", "RX_MISSED")


async def rx_counts(nic: NicHarness) -> dict[str, int]:
    return {name: await nic.rd(f"STAT_{name}") for name in ("RX_FRAMES", *RX_DROPS)}


async def garbled(a: NicHarness, b: NicHarness, seed: int, length: int = 64, timeout_us: float = 120) -> str:
    """Send one frame A -> B across a speed mismatch: A's TX_FRAMES counts it, and B drops it and counts it in
    exactly one receive counter (framing when no SFD was seen, else the datasheet's precedence: runt, oversize,
    FCS). Returns that counter."""
    sent = await a.rd("STAT_TX_FRAMES")
    before = await rx_counts(b)
    await a.send([(0x30000 + 0x100 * seed, frame(MAC_B, MAC_A, length, seed))])
    waited = 0
    while (after := await rx_counts(b)) == before:
        assert waited < timeout_us * 1000, "the garbled frame was not counted at the far end"
        await Timer(1, unit="us")
        waited += 1000
    await Timer(2, unit="us")  # nothing else arrives for it
    after = await rx_counts(b)
    assert await a.rd("STAT_TX_FRAMES") == sent + 1
    grew = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert len(grew) == 1 and set(grew.values()) == {1}, grew
    assert not b.rx_status(b.rx_next).done
    [name] = grew
    assert name in ("RX_FRAMING", "RX_RUNT", "RX_TOOLONG", "RX_FCS_ERR"), name
    return name


@testing.test()
async def test_mdio_phy_registers(dut):
    """MDIO reads and writes reach the PHY: IDs, BMSR abilities (full duplex only), ANAR/GBCR defaults and
    write-back, BMSR link latched low (reads 0 once after power-up), MDIO cause per transaction; MDIO_DIV's
    reset value gives a 2.5 MHz MDC; 1 still reads right, 0 reads one bit late (as registers.md says)."""
    a, b = await bring_up(dut)
    await a.wr("MDIO_DIV", regs.DEFAULT_MDIO_DIV)
    t0 = cocotb.utils.get_sim_time("ns")
    assert await a.mdio_read(PHYID1) == 0x7E57
    assert 64 * 400 <= cocotb.utils.get_sim_time("ns") - t0 < 64 * 400 + 2000  # 64 MDC periods of 400 ns
    await a.wr("MDIO_DIV", 1)
    assert await a.mdio_read(PHYID2) == 0x0E11
    # registers.md, MDIO_DIV: at 0 (MDC = clk / 2) the PHY's read data comes one MDC period late
    await a.wr("MDIO_DIV", 0)
    assert await a.mdio_read(PHYID1) == 0x7E57 >> 1
    await a.wr("MDIO_DIV", 1)
    assert await a.rd("INT_CAUSE") & regs.INT_MDIO
    bmsr = await a.mdio_read(BMSR)
    assert bmsr & 0x5100 == 0x5100 and bmsr & 0x2800 == 0, f"abilities {bmsr:#x}: FD only"
    assert not bmsr & BMSR_LINK, "link status is latched low until read"
    assert await a.mdio_read(BMSR) & (BMSR_LINK | BMSR_ANEG_DONE) == BMSR_LINK | BMSR_ANEG_DONE
    assert await a.mdio_read(ANAR) == 0x0141
    assert await a.mdio_read(GBCR) == GBCR_1000FD
    assert await a.mdio_read(ESTATUS) == 0x2000
    assert await a.mdio_read(ANLPAR) & (ANAR_100FD | ANAR_10FD) == ANAR_100FD | ANAR_10FD
    assert await a.mdio_read(GBSR) & GBSR_LP_1000FD
    assert await a.mdio_read(BMCR, phy=2) == 0xFFFF, "no PHY at address 2: the pull-up answers"
    # writes: half-duplex bits are not modelled and stay 0
    await b.mdio_write(ANAR, 0x01E1)
    assert await b.mdio_read(ANAR) == 0x0141
    await b.mdio_write(ANAR, 0x0041)
    assert await b.mdio_read(ANAR) == 0x0041
    await b.mdio_write(BMCR, BMCR_RESET)
    assert await b.mdio_read(ANAR) == 0x0141, "software reset restores the defaults"
    await wait_link(dut, True)


@testing.test()
async def test_autoneg_speed_and_mismatch(dut):
    """Auto-negotiation resolves the highest common mode: withholding 1000FD on B brings both to 100FD (and
    A's ANLPAR/GBSR show B's page); MACs at 100 pass frames. A MAC at the wrong speed (sender, receiver or both)
    gets no frame through: the PHY garbles it (tx_er/rx_er), and the far end counts every such frame in exactly
    one of RX_FRAMING, RX_RUNT, RX_TOOLONG, RX_FCS_ERR, never losing one silently. With 100FD withheld too both
    resolve 10FD and frames pass at 10 Mb/s."""
    a, b = await bring_up(dut)
    assert (int(dut.phy_a_speed.value), int(dut.phy_b_speed.value)) == (regs.SPEED_1000, regs.SPEED_1000)
    assert await passes(a, b, 1)
    dut.phy_b_adv_withhold.value = W1000
    await wait_link(dut, False, 5)
    await wait_link(dut, True)
    assert (int(dut.phy_a_speed.value), int(dut.phy_b_speed.value)) == (regs.SPEED_100, regs.SPEED_100)
    assert not await a.mdio_read(GBSR) & GBSR_LP_1000FD
    assert await a.mdio_read(ANLPAR) & ANAR_100FD
    # MACs at 1000 over a 100 link: A's PHY marks the frame with tx_er, B takes it at 1000 and sees the error
    assert await garbled(a, b, 2) == "RX_FCS_ERR"
    await set_speed(a, regs.SPEED_100)
    # B's MAC still at 1000: it samples every byte ten times, and its PHY marks the frame with rx_er
    assert await garbled(a, b, 3) == "RX_FCS_ERR"
    assert await garbled(a, b, 4, length=200) == "RX_TOOLONG"  # 2040 bytes seen, over MAX_FRAME_LEN
    await set_speed(b, regs.SPEED_100)
    assert await passes(a, b, 5)
    dut.phy_a_adv_withhold.value = W1000 | W100
    await wait_link(dut, False, 5)
    await wait_link(dut, True)
    assert int(dut.phy_a_speed.value) == regs.SPEED_10
    await set_speed(a, regs.SPEED_10)
    await set_speed(b, regs.SPEED_10)
    assert await passes(a, b, 6, timeout_us=200)
    # A back at 1000 over the 10 link: B samples the 72-byte burst once, a preamble byte without SFD, and the
    # 1508-byte one every 100 bytes, a preamble byte then data: framing errors, counted rather than dropped unseen
    await set_speed(a, regs.SPEED_1000)
    assert await garbled(a, b, 7) == "RX_FRAMING"
    assert await garbled(a, b, 8, length=1500) == "RX_FRAMING"
    dut.phy_a_adv_withhold.value = 0
    dut.phy_b_adv_withhold.value = 0


@testing.test()
async def test_cable_pull_link_interrupt(dut):
    """Pulling the cable drops the link: STATUS.LINK_UP falls, LINK is raised (irq with it unmasked), BMSR reads
    link down and keeps reading it (latched) once after re-plugging; frames do not pass while it is out."""
    a, b = await bring_up(dut)
    await a.mdio_read(BMSR)
    await a.wr("INT_CAUSE", regs.INT_ALL)
    await a.wr("INT_MASK_SET", regs.INT_LINK)
    assert await a.rd("STATUS") & regs.STATUS_LINK_UP
    dut.cable_pull.value = 1
    await wait_link(dut, False, 5)
    assert await a.rd("INT_CAUSE") & regs.INT_LINK and int(dut.irq_a.value)
    assert not await a.rd("STATUS") & regs.STATUS_LINK_UP
    assert not await passes(a, b, 1, timeout_us=10)
    await a.wr("INT_CAUSE", regs.INT_ALL)
    dut.cable_pull.value = 0
    await wait_link(dut, True)
    assert await a.rd("INT_CAUSE") & regs.INT_LINK
    assert not await a.mdio_read(BMSR) & BMSR_LINK, "a drop since the last read reads as link down once"
    assert await a.mdio_read(BMSR) & BMSR_LINK
    await Timer(1, unit="us")
    assert await passes(a, b, 2)


@testing.test()
async def test_phy_loopback(dut):
    """BMCR loopback returns A's frames to A and sends nothing to B; clearing it (and restarting AN) restores
    the link to B."""
    a, b = await bring_up(dut)
    await a.mdio_write(BMCR, 0x1140 | BMCR_LOOPBACK)
    f = frame(MAC_A, MAC_A, 80, 9)
    await a.send([(0x30000, f)])
    assert await a.recv() == f
    await Timer(2, unit="us")
    assert await b.rd("STAT_RX_FRAMES") == 0
    await a.mdio_write(BMCR, 0x1140 | BMCR_ANRESTART)
    await wait_link(dut, True)
    assert await passes(a, b, 3)


async def stream(a: NicHarness, frames: list[bytes]) -> None:
    """Queue frames on A's TX ring as space frees up (a driver's refill, polled every few microseconds)."""
    sent = 0
    while sent < len(frames):
        free = (await a.rd("TX_HEAD") - a.tx_tail - 1) % a.tx_len
        queued = 0
        while free and sent < len(frames):
            await a.send([(0x30000 + 0x800 * a.tx_tail, frames[sent])], kick=False)
            free, sent, queued = free - 1, sent + 1, queued + 1
        if queued:
            await a.wr("TX_TAIL", a.tx_tail)
        await Timer(2, unit="us")


async def check_every_frame_counted(a: NicHarness, b: NicHarness, queued: int, what: str) -> None:
    """Once A's transmit path is empty: every frame A fetched was sent or discarded for no carrier, and every
    frame A sent is in B's RX_FRAMES or in exactly one of B's drop counters (the datasheet's accounting)."""
    waited = 0
    while (await a.rd("TX_HEAD") != a.tx_tail
           or await a.rd("STATUS") & (regs.STATUS_TX_BUSY | regs.STATUS_TX_PENDING)):
        assert waited < 2000, f"{what}: A's transmit path did not empty"
        await Timer(1, unit="us")
        waited += 1
    await Timer(20, unit="us")  # B finishes with the last frame
    ta, rb = await a.rd_stat(), await b.rd_stat()
    drops = {k: rb[k[5:]] for k in (f"STAT_{d}" for d in RX_DROPS) if rb[k[5:]]}
    line = (f"{what}: {queued} queued = {ta['TX_FRAMES']} sent + {ta['TX_NO_CARRIER']} no carrier; "
            f"{ta['TX_FRAMES']} sent = {rb['RX_FRAMES']} received + {drops}")
    cocotb.log.info(line)
    assert ta["TX_FRAMES"] + ta["TX_NO_CARRIER"] == queued, line
    assert ta["TX_FRAMES"] == rb["RX_FRAMES"] + sum(drops.values()), line


@testing.test()
async def test_cable_pulls_and_speed_changes_account_for_every_frame(dut):
    """A stream of frames A -> B while the cable is pulled and re-plugged and while A's MAC speed and B's
    advertisement change under it: every frame A queued is sent or counted as no carrier, and every frame sent
    is received by B or counted in exactly one of B's receive counters. The PHYs pass only whole frames (a frame
    cut by a link drop is counted once, never split in two) and restart together."""
    a, b = await bring_up(dut)

    async def fresh_rx_ring() -> None:
        # room for a whole stream, so only the faults can cost frames (B is idle: a ring reset is safe)
        b.ram.write(0x2000, bytes(regs.DESC_SIZE * 64))
        await b.wr("RX_LEN", 64)
        b.rx_len, b.rx_tail, b.rx_next = 64, 0, 0
        await b.post_rx([0x10000 + 0x800 * i for i in range(63)])

    await fresh_rx_ring()
    sizes = [64, 100, 300, 1000, 70]
    rnd = random.Random(5)

    async def pulls():
        for _ in range(4):
            await Timer(rnd.randint(4000, 12000), unit="ns")
            dut.cable_pull.value = 1
            await Timer(rnd.randint(1000, 5000), unit="ns")
            dut.cable_pull.value = 0

    faults = cocotb.start_soon(pulls())
    await stream(a, [frame(MAC_B, MAC_A, sizes[i % 5], i) for i in range(60)])
    await faults
    await wait_link(dut, True)
    await check_every_frame_counted(a, b, 60, "cable pulls")

    for nic in (a, b):
        await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | regs.CTRL_STAT_CLR)
    await fresh_rx_ring()

    async def changes():
        for _ in range(5):
            await Timer(rnd.randint(4000, 15000), unit="ns")
            await set_speed(a, rnd.choice([regs.SPEED_1000, regs.SPEED_100]))
            if rnd.random() < 0.5:
                dut.phy_b_adv_withhold.value = rnd.choice([0, W1000])

    faults = cocotb.start_soon(changes())
    await stream(a, [frame(MAC_B, MAC_A, sizes[i % 3], 100 + i) for i in range(40)])
    await faults
    await check_every_frame_counted(a, b, 40, "speed changes")
    dut.phy_b_adv_withhold.value = 0


# IEEE 802.3 bit positions (22.2.4, 28.2.4.1, 40.5.1.1), independent of the model's code
BMCR_ANENABLE, BMCR_SPEED_LSB, BMCR_SPEED_MSB, BMCR_FDX = 0x1000, 0x2000, 0x0040, 0x0100
ANAR_SELECTOR = 0x0001  # IEEE 802.3 selector field (bits 4:0 = 00001)
ANER = 6
ANER_LP_AN_ABLE = 0x0001
SPEED_OF = {W1000: regs.SPEED_1000, W100: regs.SPEED_100, 0b001: regs.SPEED_10}
W10 = 0b001


def forced_bmcr(mode: int) -> int:
    """BMCR with AN off and the speed select for ``mode`` (22.2.4.1.3: bit 6 MSB, bit 13 LSB)."""
    return BMCR_FDX | {W1000: BMCR_SPEED_MSB, W100: BMCR_SPEED_LSB, W10: 0}[mode]


async def phy_view(nic: NicHarness) -> dict[str, int]:
    """One PHY's registers as IEEE 802.3 defines them: its AN setting and forced mode (BMCR), what it
    advertises (ANAR, GBCR), the partner's advertisement it received (ANLPAR, GBSR, ANER), AN complete and
    link now (BMSR read twice: the link bit latches low)."""
    bmcr = await nic.mdio_read(BMCR)
    await nic.mdio_read(BMSR)
    bmsr = await nic.mdio_read(BMSR)
    anar, anlpar = await nic.mdio_read(ANAR), await nic.mdio_read(ANLPAR)
    gbcr, gbsr, aner = await nic.mdio_read(GBCR), await nic.mdio_read(GBSR), await nic.mdio_read(ANER)
    forced = W1000 if bmcr & BMCR_SPEED_MSB else (W100 if bmcr & BMCR_SPEED_LSB else W10)
    return {
        "an": bool(bmcr & BMCR_ANENABLE), "forced": forced,
        "adv": (W1000 if gbcr & GBCR_1000FD else 0) | (W100 if anar & ANAR_100FD else 0)
        | (W10 if anar & ANAR_10FD else 0),
        "lp": (W1000 if gbsr & GBSR_LP_1000FD else 0) | (W100 if anlpar & ANAR_100FD else 0)
        | (W10 if anlpar & ANAR_10FD else 0),
        "lp_selector": anlpar & 0x1F, "lp_an_able": bool(aner & ANER_LP_AN_ABLE),
        "acomp": bool(bmsr & BMSR_ANEG_DONE), "link": bool(bmsr & BMSR_LINK),
    }


def best(modes: int) -> int | None:
    """The highest full-duplex mode in ``modes`` (28B.3 priority: 1000 > 100 > 10), or None."""
    return next((m for m in (W1000, W100, W10) if modes & m), None)


async def check_registers_tell_the_truth(dut, a: NicHarness, b: NicHarness, want: dict) -> None:
    """Both PHYs' registers against IEEE 802.3, for the configuration the test made (``want``: per side,
    ``an``, ``adv`` (configured and not withheld) or ``forced``). Own advertisement in ANAR/GBCR; with both
    sides auto-negotiating, ANLPAR/GBSR hold exactly the partner's advertisement, AN is complete and the link is
    up at the highest common mode (none: no link, AN not complete); an AN side facing a forced 100/10 partner
    finds it by parallel detection (28.2.3.1: ANLPAR names that technology, ANER says the partner is not AN
    able); a forced side receives no page (BMSR AN complete, ANLPAR, GBSR read 0) and links only with a partner
    at its speed. The PHYs' resolved speeds and link outputs agree with what the registers say."""
    await Timer(2, unit="us")  # longer than a renegotiation (PHY_AN_DELAY)
    views = {"a": await phy_view(a), "b": await phy_view(b)}
    for me, other in (("a", "b"), ("b", "a")):
        v, w, pw = views[me], want[me], want[other]
        assert v["an"] == w["an"], (me, v)
        if w["an"] and pw["an"]:
            mode = best(w["adv"] & pw["adv"])
            expect = {"adv": w["adv"], "link": mode is not None, "acomp": mode is not None}
            if mode is not None:
                expect |= {"lp": pw["adv"], "lp_selector": 1, "lp_an_able": True}
        elif w["an"]:
            mode = pw["forced"] if pw["forced"] & w["adv"] & (W100 | W10) else None
            expect = {"adv": w["adv"], "link": mode is not None, "acomp": mode is not None}
            if mode is not None:
                expect |= {"lp": mode, "lp_selector": 1, "lp_an_able": False}
        else:
            ok = pw["forced"] == w["forced"] if not pw["an"] else bool(w["forced"] & pw["adv"] & (W100 | W10))
            mode = w["forced"] if ok else None
            expect = {"forced": w["forced"], "link": ok, "acomp": False, "lp": 0, "lp_selector": 0}
        if not expect["acomp"]:
            expect |= {"lp": 0, "lp_selector": 0}
        got = {k: v[k] for k in expect}
        assert got == expect, f"PHY {me.upper()} with {want}: registers {v}, IEEE 802.3 says {expect}"
        assert int(getattr(dut, f"link_{me}").value) == (mode is not None), (me, want)
        if mode is not None:
            assert int(getattr(dut, f"phy_{me}_speed").value) == SPEED_OF[mode], (me, want)


@testing.test()
async def test_registers_tell_what_is_advertised_and_resolved(dut):
    """Every way the testbench changes what a PHY offers or resolves (withholding each ability on either side,
    an ANAR/GBCR write, forced modes through BMCR, AN restart, cable pull and replug) leaves both PHYs' registers
    as IEEE 802.3 defines them: ANAR/GBCR what the PHY advertises, ANLPAR/GBSR the partner's advertisement, BMSR
    AN complete and link; the link is at the mode they resolve to. With each MAC clocked at the mode its own
    PHY's registers give (as a driver does), frames pass."""
    a, b = await bring_up(dut)
    full = {"an": True, "adv": W1000 | W100 | W10}
    want = {"a": dict(full), "b": dict(full)}

    async def check(passes_at: bool = False) -> None:
        await check_registers_tell_the_truth(dut, a, b, want)
        if passes_at:
            for nic, me in ((a, "a"), (b, "b")):
                await set_speed(nic, int(getattr(dut, f"phy_{me}_speed").value))
            assert await passes(a, b, 20, timeout_us=200)
            await b.post_rx([b.last_rx.addr])  # the buffer goes back on the ring

    await check(passes_at=True)
    for side in ("a", "b"):
        for withheld in (W1000, W100, W10, W1000 | W100, W1000 | W100 | W10):
            getattr(dut, f"phy_{side}_adv_withhold").value = withheld
            want[side]["adv"] = full["adv"] & ~withheld
            await check(passes_at=withheld in (W1000, W1000 | W100) and side == "b")
        getattr(dut, f"phy_{side}_adv_withhold").value = 0
        want[side]["adv"] = full["adv"]
        await check()
    # an advertisement written through ANAR/GBCR, and a withhold on top of it
    await b.mdio_write(GBCR, 0)
    await b.mdio_write(BMCR, 0x1140 | BMCR_ANRESTART)
    want["b"]["adv"] = W100 | W10
    await check(passes_at=True)
    dut.phy_b_adv_withhold.value = W100
    want["b"]["adv"] = W10
    await check()
    dut.phy_b_adv_withhold.value = 0
    await b.mdio_write(GBCR, GBCR_1000FD)
    want["b"]["adv"] = full["adv"]
    await check()
    # forced modes: against an auto-negotiating partner (parallel detection), and against each other
    for mode in (W100, W10, W1000):
        await b.mdio_write(BMCR, forced_bmcr(mode))
        want["b"] = {"an": False, "forced": mode}
        await check(passes_at=mode == W100)
    dut.phy_a_adv_withhold.value = W100
    want["a"]["adv"] = W1000 | W10
    await b.mdio_write(BMCR, forced_bmcr(W100))
    want["b"]["forced"] = W100
    await check()
    dut.phy_a_adv_withhold.value = 0
    want["a"]["adv"] = full["adv"]
    for mode_a, mode_b in ((W1000, W1000), (W100, W1000), (W100, W100), (W10, W10)):
        await a.mdio_write(BMCR, forced_bmcr(mode_a))
        await b.mdio_write(BMCR, forced_bmcr(mode_b))
        want["a"], want["b"] = {"an": False, "forced": mode_a}, {"an": False, "forced": mode_b}
        await check(passes_at=mode_a == mode_b == W1000)
    for nic in (a, b):
        await nic.mdio_write(BMCR, 0x1140 | BMCR_ANRESTART)
    want = {"a": dict(full), "b": dict(full)}
    await check(passes_at=True)
    # a restart on either side, and a cable pull: registers say "no link, no page" while it is out
    dut.phy_b_adv_withhold.value = W1000
    want["b"]["adv"] = W100 | W10
    await check()
    await a.mdio_write(BMCR, 0x1140 | BMCR_ANRESTART)
    await check(passes_at=True)
    dut.cable_pull.value = 1
    await wait_link(dut, False, 5)
    for nic in (a, b):
        v = await phy_view(nic)
        assert (v["link"], v["acomp"], v["lp"], v["lp_selector"]) == (False, False, 0, 0), v
    dut.cable_pull.value = 0
    await wait_link(dut, True)
    await check(passes_at=True)
    dut.phy_b_adv_withhold.value = 0


async def pull_at(dut, a: NicHarness, b: NicHarness, n: int, after_ns: int) -> str:
    """Queue frame ``n`` on A, pull the cable ``after_ns`` after the TX_TAIL write, plug it back 300 ns
    later; once A's transmit path is empty and the link is back, A counted the frame as sent or as no
    carrier, and B received it or counted it in exactly one receive counter (frames sent = received +
    counted: the datasheet's accounting, cumulative over the calls). Returns "sent" or "no carrier"."""
    before = await a.rd("STAT_TX_FRAMES")
    await a.send([(0x30000 + 0x800 * a.tx_tail, frame(MAC_B, MAC_A, 64, n))])
    if after_ns:
        await Timer(after_ns, unit="ns")
    dut.cable_pull.value = 1
    await Timer(300, unit="ns")
    dut.cable_pull.value = 0
    await wait_link(dut, True)
    await check_every_frame_counted(a, b, n + 1, f"cable pulled {after_ns} ns after frame {n} was queued")
    return "sent" if await a.rd("STAT_TX_FRAMES") != before else "no carrier"


async def frames_decided_as_the_link_drops(dut, speed: int, withhold: int) -> None:
    """At ``speed`` (the MAC's CTRL.SPEED, both PHYs withholding ``withhold``), find where a cable pull
    after queueing a frame turns from "no carrier" to "sent" (a bisection of the pull time), then pull
    the cable at every clock around that point: each frame A counts as sent reaches B at least as a
    counted fragment."""
    a, b = await bring_up(dut)
    dut.phy_a_adv_withhold.value = withhold
    dut.phy_b_adv_withhold.value = withhold
    for nic in (a, b):
        await set_speed(nic, speed)
        await nic.wr("CTRL", regs.CTRL_TX_EN | regs.CTRL_RX_EN | (speed << regs.CTRL_SPEED_SHIFT) | regs.CTRL_STAT_CLR)
    dut.cable_pull.value = 1  # renegotiate with the abilities withheld
    await Timer(200, unit="ns")
    dut.cable_pull.value = 0
    await wait_link(dut, True)
    n = 0
    lo, hi = 0, 4_000  # pulled at lo: no carrier; at hi: sent
    assert await pull_at(dut, a, b, n, lo) == "no carrier"
    assert await pull_at(dut, a, b, n + 1, hi) == "sent"
    n += 2
    while hi - lo > 8:
        mid = (lo + hi) // 2 // 8 * 8
        if await pull_at(dut, a, b, n, mid) == "sent":
            hi = mid
        else:
            lo = mid
        n += 1
    outcomes = []
    for after in range(max(hi - 160, 0), hi + 240, 8):  # every clock, a byte time and more either side
        outcomes.append(await pull_at(dut, a, b, n, after))
        n += 1
    assert "sent" in outcomes and "no carrier" in outcomes, outcomes
    dut.phy_a_adv_withhold.value = 0
    dut.phy_b_adv_withhold.value = 0


@testing.test()
async def test_a_frame_started_as_the_link_drops_reaches_the_far_end(dut):
    """1000 Mb/s: a frame whose carrier the MAC decided a clock or two before the link dropped still leaves
    its first bytes on the line (the PHY's transmit path stays open two clocks after the link drops), and the
    far end, whose link dropped with it, takes them (the receive path passes whatever the line carries): B
    counts a fragment for every frame A counted as sent (a PHY that closed both paths with the link lost
    such frames whole, counted as sent and never seen)."""
    await frames_decided_as_the_link_drops(dut, regs.SPEED_1000, 0)


@testing.test()
async def test_a_frame_decided_at_100_mbps_as_the_link_drops_reaches_the_far_end(dut):
    """100 Mb/s: the MAC puts the first preamble byte out on the clock it decides the frame's carrier, not a
    byte time (10 clocks) later, so a link drop in between cannot make a frame counted as sent vanish: B counts
    every frame A sent (the soak lost one such frame during renegotiations to 100 Mb/s)."""
    await frames_decided_as_the_link_drops(dut, regs.SPEED_100, W1000)
