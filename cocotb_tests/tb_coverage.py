"""Functional coverage (nicsim.coverage) samples what really happened: a known scenario hits known bins.

Three scenarios reach bins that ordinary traffic leaves alone, each through something a real system does and
each checked for its behaviour as well as its bin: a shared-line ISR reading MDIO alone in a quiet NIC's
INT_CAUSE (its PHY thread's polling) and RX_MISS alone in a down NIC's (frames for it while RX_EN is clear), and
broadcasts received in all-multicast mode (a range of groups joined).

Coverage is switched on inside the test (``coverage.enable()``), whatever ``NICSIM_COVERAGE`` says."""

from __future__ import annotations

from cocotb.triggers import Timer
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

import devnp_nic  # noqa: F401  (registers devnp-nic.so)
from devnp_nic.transmit import nic_harvest
from iopkt.kern.errno import ENOBUFS, EOK
from iopkt.kern.mbuf import m_devget
from iopkt.net.if_ import IFF_ALLMULTI, SIOCADDMULTI, SIOCDELMULTI, ifunit
from iopkt.net.if_ether import ETHERTYPE_IP, ether_output
from iopkt.netinet import udp_socket
from nicdef import regs as R
from nicsim import artifacts, testing
from nicsim import coverage as fcov
from nicsim.one_host import MAC0, build_looped_host, must, send_over_cable
from nicsim.two_hosts import bring_up_pair, build_hosts

TOPLEVEL = "nic_pair_tb"
ALL_IPV4_GROUPS = (bytes.fromhex("01005e000000"), bytes.fromhex("01005e7fffff"))  # RFC 1112's mapping


@testing.test()
async def test_ping_hits_rx_tx_bins_and_no_fault_bins(dut):
    """Three pings from A to B: the ARP request is broadcast, padded to the 64-byte minimum (FCS included),
    the echoes are unicast to each station, 102 bytes (56 data + 8 ICMP + 20 IP + 14 + 4); the filter is
    devnp-nic's default (station and broadcast, no multicast group joined); the PHYs negotiate 1000 Mb/s
    full duplex; the drivers read RX_DONE and TX_DONE in INT_CAUSE. No fault was applied, so no fault bin
    is hit, and three pings never wrap a 64-descriptor ring."""
    fcov.enable()
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    res = await hosts.sh("hostA", "ping -c 3 10.0.0.2")
    assert res.value.received == 3, res.text
    fcov.sample_wires(artifacts.folder())

    irq = {c: fcov.hits("nic.irq.alone")[c] + fcov.hits("nic.irq.together")[c] for c in fcov.CAUSES}
    assert irq["RX_DONE"] > 0 and irq["TX_DONE"] > 0, irq
    assert irq["DMA_ERR"] == 0 and irq["RX_MISS"] == 0, irq
    addr = fcov.hits("nic.rx.addr_x_mode")
    assert addr[("broadcast", "broadcast")] >= 2, addr  # an ARP request each way, at least
    assert addr[("station", "broadcast")] >= 6, addr  # 3 requests to B, 3 replies to A
    assert sum(n for (a, _), n in addr.items() if a.startswith("multicast") or a == "other_unicast") == 0, addr
    size = fcov.hits("nic.rx.size_x_mode")
    assert size[("64", "broadcast")] >= 2 and size[("65-1517", "broadcast")] >= 6, size
    assert sum(n for (_, m), n in size.items() if m != "broadcast") == 0, size
    media = fcov.hits("nic.media.mode")
    assert media["1000FD"] >= 2 and media["autoneg"] >= 2 and media["100FD"] == 0 and media["10FD"] == 0, media
    assert not any(fcov.hits("nic.fault.kind_x_state").values())
    ring = fcov.hits("nic.ring.event")
    assert ring["tx_wrap"] == 0 and ring["tx_full"] == 0 and ring["rx_exhausted"] == 0, ring
    await hosts.teardown()


# ---------------------------------------------------------------- bins ordinary traffic does not reach
ELSEWHERE = bytes.fromhex("020000000c99")  # a station on the LAN that is neither NIC
SHARED_IRQ = 10


async def _shared_line_host(dut, options: str):
    """Both NICs of nic_pair_tb on one io-pkt and one interrupt line (their cable loops back to it), devnp-nic
    mounted on both with ``options``, coverage sampled on both, both interfaces up with their links negotiated;
    returns (platform, io-pkt, resources before the mount)."""
    plat, iopkt, before = await build_looped_host(dut, irqs=(SHARED_IRQ, SHARED_IRQ), coverage=True)
    await must(iopkt, f"mount -T io-pkt -o {options} /lib/dll/devnp-nic.so")
    await must(iopkt, "ifconfig nic0 up")
    await must(iopkt, "ifconfig nic1 up")
    await Timer(400, "us")  # auto-negotiation; the link-up passes clear what init left pending
    assert all(sc.link_up for sc in iopkt.alldevs)
    return plat, iopkt, before


async def _burst(plat, iopkt, out_if: str, dst_mac: bytes, frames: int) -> None:
    """``frames`` UDP datagrams of 200 bytes out of ``out_if`` to ``dst_mac``, as fast as the send queue takes
    them (more than the 63 a TX ring holds: the ring fills and the driver takes TX_DONE interrupts, IFF_OACTIVE,
    until the queue drains); returns once ``out_if``'s NIC has sent them all (STAT_TX_FRAMES), 2 ms at most."""
    ifp = ifunit(iopkt, out_if)
    sc = ifp.if_softc
    sent = await sc.regs.read32(R.REG_STAT_TX_FRAMES)
    for seq in range(frames):
        while (err := await send_over_cable(iopkt, out_if, dst_mac, "10.0.0.8", bytes(200))) == ENOBUFS:
            await plat.sleep(2_000)
        assert err == EOK, (seq, err)
    for _ in range(40):  # a 242-byte frame takes 2.1 us at 1000 Mb/s
        if await sc.regs.read32(R.REG_STAT_TX_FRAMES) - sent >= frames:
            break
        await Timer(50, "us")
    assert await sc.regs.read32(R.REG_STAT_TX_FRAMES) - sent == frames
    await Timer(5, "us")  # the last one crosses the cable and the receiver's filter


async def _finish(plat, iopkt, before) -> None:
    for name in ("nic0", "nic1"):
        await must(iopkt, f"ifconfig {name} destroy")
    assert not iopkt.live_resources().differs_from(before)
    if plat.dma_checker is not None:
        plat.dma_checker.finish()


@testing.test()
async def test_shared_isr_reads_mdio_alone_on_a_quiet_nic(dut):
    """intr=shared, phythread=20, both NICs on one line: nic0's PHY thread polls BMSR over MDIO, which raises
    MDIO in nic0's INT_CAUSE (a cause devnp-nic never unmasks), while nic0 itself is quiet. nic1 sends a burst
    to another station; its TX ring fills, so it takes TX_DONE interrupts on the shared line, and each time nic0's
    ISR reads INT_CAUSE first: MDIO alone, not one of nic0's causes, so it returns without queueing anything.
    nic0's filter rejects every frame of the burst (STAT_RX_FILTERED, datasheet: Receive rules) and delivers
    none; nic1 sends them all (STAT_TX_FRAMES), and the PHY thread keeps polling."""
    plat, iopkt, before = await _shared_line_host(dut, "intr=shared,phythread=20")
    sc0, sc1 = iopkt.alldevs
    mdio_alone = fcov.hits("nic.irq.alone")["MDIO"]
    foreign, polls = sc0.isr_foreign, sc0.phy_polls
    filtered0 = await sc0.regs.read32(R.REG_STAT_RX_FILTERED)
    rx0 = await sc0.regs.read32(R.REG_STAT_RX_FRAMES)
    tx1 = await sc1.regs.read32(R.REG_STAT_TX_FRAMES)
    opackets = sc1.ifp.if_opackets
    frames = 100
    await _burst(plat, iopkt, "nic1", ELSEWHERE, frames)
    assert fcov.hits("nic.irq.alone")["MDIO"] > mdio_alone, fcov.hits("nic.irq.alone")
    assert sc0.isr_foreign > foreign, "nic0's ISR never saw nic1's interrupt"
    assert sc0.phy_polls > polls
    assert await sc1.regs.read32(R.REG_STAT_TX_FRAMES) - tx1 == frames
    assert await sc0.regs.read32(R.REG_STAT_RX_FILTERED) - filtered0 == frames
    assert await sc0.regs.read32(R.REG_STAT_RX_FRAMES) == rx0
    await iopkt.stack_call(nic_harvest, sc1)  # what the driver counts as sent, as nicinfo would see it
    assert sc1.ifp.if_opackets - opackets == frames and sc1.ifp.if_oerrors == 0
    assert not iopkt.diagnose(), iopkt.diagnose()
    assert not any("hung" in line or "storm" in line for line in iopkt.log), iopkt.log
    await _finish(plat, iopkt, before)


@testing.test()
async def test_shared_isr_reads_rx_miss_alone_on_a_down_nic(dut):
    """intr=shared, both NICs on one line, nic0 down (ifconfig down: RX_EN clear, every cause masked and
    cleared by stop). nic1 sends a burst to nic0's address: each frame ends while nic0's RX_EN is clear, so
    nic0 drops it, counts it in STAT_RX_MISSED and raises RX_MISS (datasheet: Receive rules), and nothing else.
    nic1's full TX ring makes it interrupt the shared line, and nic0's ISR reads INT_CAUSE: RX_MISS alone,
    which a down interface does not take (its mask is empty), so nothing is queued. ifconfig up clears the stale
    cause with the rebuilt rings; the next burst is delivered whole."""
    plat, iopkt, before = await _shared_line_host(dut, "intr=shared")
    sc0, sc1 = iopkt.alldevs
    await must(iopkt, "ifconfig nic0 down")
    rx_miss_alone = fcov.hits("nic.irq.alone")["RX_MISS"]
    foreign = sc0.isr_foreign
    missed0 = await sc0.regs.read32(R.REG_STAT_RX_MISSED)
    rx0 = await sc0.regs.read32(R.REG_STAT_RX_FRAMES)
    ipackets = sc0.ifp.if_ipackets
    frames = 100
    await _burst(plat, iopkt, "nic1", MAC0, frames)
    assert fcov.hits("nic.irq.alone")["RX_MISS"] > rx_miss_alone, fcov.hits("nic.irq.alone")
    assert sc0.isr_foreign > foreign, "nic0's ISR never saw nic1's interrupt"
    assert await sc0.regs.read32(R.REG_STAT_RX_MISSED) - missed0 == frames
    assert await sc0.regs.read32(R.REG_STAT_RX_FRAMES) == rx0 and sc0.ifp.if_ipackets == ipackets

    await must(iopkt, "ifconfig nic0 up")
    await Timer(50, "us")
    # read past the register taps: the test's look is not the driver's, and must not be sampled as one
    assert await sc0.regs.inner.read32(R.REG_INT_CAUSE) & R.INT_RX_MISS == 0, "a stale RX_MISS survived ifconfig up"
    again = 40
    await _burst(plat, iopkt, "nic1", MAC0, again)
    await Timer(20, "us")  # the last frame's pass
    assert sc0.ifp.if_ipackets - ipackets == again
    assert await sc0.regs.read32(R.REG_STAT_RX_FRAMES) - rx0 == again
    assert await sc0.regs.read32(R.REG_STAT_RX_MISSED) - missed0 == frames
    assert not iopkt.diagnose(), iopkt.diagnose()
    await _finish(plat, iopkt, before)


@testing.test()
async def test_broadcast_received_in_allmulti_mode(dut):
    """B joins every IPv4 group at once (SIOCADDMULTI of the range 01:00:5e:00:00:00-01:00:5e:7f:ff:ff, as a
    multicast router does): a range cannot be hashed, so devnp-nic sets RX_CTRL.ALLMULTI (BAM kept) and
    IFF_ALLMULTI. Then the addresses are set (A's gratuitous ARP is broadcast) and A pings B, whose ARP request
    is broadcast too: B takes the broadcasts in all-multicast mode and answers. B's STAT_RX_BCAST counts
    exactly the broadcasts the cable carried to it (the capture, read with scapy); a datagram to a group B
    never joined by itself is delivered; leaving the range puts the filter back to BAM alone."""
    fcov.enable()
    hosts = await build_hosts(dut)
    for host in ("hostA", "hostB"):
        await hosts.must(host, "mount -T io-pkt /lib/dll/devnp-nic.so")
        await hosts.must(host, "ifconfig nic0 up")
    a, b = hosts.by_name["hostA"], hosts.by_name["hostB"]
    bifp, sc = b.ifnet[0], b.alldevs[0]
    before = fcov.hits("nic.rx.addr_x_mode")[("broadcast", "allmulti")]
    bcast0 = await sc.regs.read32(R.REG_STAT_RX_BCAST)
    mcast0 = await sc.regs.read32(R.REG_STAT_RX_MCAST)
    assert await b.stack_call(bifp.if_ioctl, bifp, SIOCADDMULTI, ALL_IPV4_GROUPS) == 0
    assert bifp.if_flags & IFF_ALLMULTI
    assert await sc.regs.read32(R.REG_RX_CTRL) == R.RX_CTRL_BAM | R.RX_CTRL_ALLMULTI
    assert "ALLMULTI" in (await hosts.must("hostB", "ifconfig nic0")).text
    for host, addr in (("hostA", "10.0.0.1"), ("hostB", "10.0.0.2")):
        await hosts.must(host, f"ifconfig nic0 {addr}/24")
    res = await hosts.sh("hostA", "ping -c 2 10.0.0.2")
    assert res.value.received == 2, res.text

    rx = await udp_socket(b)
    rx.bind(7003)
    group = bytes.fromhex("01005e0a0b0c")  # inside the range, never joined by itself
    datagram = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=7003, dport=7003) / b"any group")

    async def send():
        return await ether_output(a.ifnet[0], m_devget(a.mbufs, datagram), group, ETHERTYPE_IP)

    assert await a.stack_call(send) == 0
    data, _ = await rx.recvfrom(timeout_ns=200_000)
    assert data == b"any group"
    rx.close()
    assert await sc.regs.read32(R.REG_STAT_RX_MCAST) - mcast0 == 1

    folder = artifacts.folder()
    fcov.sample_wires(folder)
    broadcasts = sum(1 for p in rdpcap(str(folder / "wire-a-to-b.pcap")) if p[Ether].dst == "ff:ff:ff:ff:ff:ff")
    assert broadcasts >= 2, broadcasts  # A's gratuitous ARP and its ARP request for B
    assert await sc.regs.read32(R.REG_STAT_RX_BCAST) - bcast0 == broadcasts
    assert fcov.hits("nic.rx.addr_x_mode")[("broadcast", "allmulti")] - before == broadcasts

    assert await b.stack_call(bifp.if_ioctl, bifp, SIOCDELMULTI, ALL_IPV4_GROUPS) == 0
    assert not bifp.if_flags & IFF_ALLMULTI
    assert await sc.regs.read32(R.REG_RX_CTRL) == R.RX_CTRL_BAM
    await hosts.teardown()
