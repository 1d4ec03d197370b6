"""devnp-nic's optional modes against the live RTL: the guide's interrupt
masking styles (``intr=``), two NICs sharing one interrupt line on one
io-pkt, interrupt moderation (``itr=``), and a PHY thread (``phythread=``)
made with ``nw_pthread_create``, quiesced and reaped by a self-quiescing
detach."""

from __future__ import annotations

import struct

import cocotb
from cocotb.triggers import Timer

import devnp_nic  # noqa: F401  (registers devnp-nic.so)
from iopkt.kern.device import DVF_QUIESCESELF
from iopkt.kern.errno import ENOBUFS, EOK
from iopkt.netinet import udp_socket
from nicdef import regs as R
from nicsim import testing
from nicsim.one_host import MAC0, MAC1, PORT, build_looped_host, must, send_over_cable
from nicsim.two_hosts import Hosts, bring_up_pair, build_hosts, stall_stack
from nicsim.udp_flow import Flow, run_flows, udp_flow

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)

SHARED_IRQ = 10
EACH_WAY = 60


async def _both_ways(plat, iopkt) -> dict[str, list[int]]:
    """EACH_WAY numbered datagrams nic0 -> nic1 and as many nic1 -> nic0, at
    the same time; returns the sequence numbers each direction delivered."""
    sock = await udp_socket(iopkt)
    sock.bind(PORT)
    got: dict[str, list[int]] = {"nic0": [], "nic1": []}

    async def sender(out_if, dst_mac, dst_ip):
        for seq in range(EACH_WAY):
            data = struct.pack("<4sI", out_if.encode(), seq) + bytes(200 + seq % 300)
            while (err := await send_over_cable(iopkt, out_if, dst_mac, dst_ip, data)) == ENOBUFS:
                await plat.sleep(2_000)
            assert err == EOK, err

    tasks = [plat.spawn(sender("nic0", MAC1, "10.0.0.2"), "send0"), plat.spawn(sender("nic1", MAC0, "10.0.0.1"),
                                                                               "send1")]
    while sum(len(v) for v in got.values()) < 2 * EACH_WAY:
        data, _ = await sock.recvfrom(timeout_ns=500_000)
        src, seq = struct.unpack_from("<4sI", data)
        got[src.decode()].append(seq)
    for t in tasks:
        await t.join()
    sock.close()
    return got


async def _shared_line_case(dut, style: str) -> None:
    plat, iopkt, before = await build_looped_host(dut, irqs=(SHARED_IRQ, SHARED_IRQ))
    await must(iopkt, f"mount -T io-pkt -o intr={style} /lib/dll/devnp-nic.so")
    await must(iopkt, "ifconfig nic0 10.0.0.1/24 up")
    await must(iopkt, "ifconfig nic1 10.0.0.2/24 up")
    sc0, sc1 = iopkt.alldevs
    assert sc0.irq == sc1.irq == SHARED_IRQ and sc0.intr_style == sc1.intr_style == style
    assert [h.name for h in iopkt.kernel.lines[SHARED_IRQ].handlers] == ["nic0", "nic1"]
    got = await _both_ways(plat, iopkt)
    for name, seqs in got.items():
        assert seqs == list(range(EACH_WAY)), f"{name}: {seqs}"
    assert not iopkt.diagnose(), iopkt.diagnose()
    assert not any("hung" in line or "storm" in line for line in iopkt.log), iopkt.log
    if style == "shared":
        # an ISR saw the other NIC's interrupt on the line and left it alone
        assert sc0.isr_foreign + sc1.isr_foreign > 0, (sc0.isr_foreign, sc1.isr_foreign)
    dut._log.info("intr=%s on one line: %d ISR entries for %d frames, foreign interrupts ignored %d/%d", style,
                  iopkt.kernel.lines[SHARED_IRQ].entries, 2 * EACH_WAY, sc0.isr_foreign, sc1.isr_foreign)
    await must(iopkt, "ifconfig nic0 destroy")
    await must(iopkt, "ifconfig nic1 destroy")
    assert not iopkt.live_resources().differs_from(before)
    if plat.dma_checker is not None:
        plat.dma_checker.finish()


def _style_test(style: str):
    async def run(dut):
        await _shared_line_case(dut, style)

    run.__doc__ = (f"intr={style}: two NICs on one interrupt line of one io-pkt carry traffic both ways at once; "
                   f"nothing hangs or storms, every frame arrives in order, nothing is left behind.")
    return testing.test(name=f"test_shared_line_intr_{style}")(run)


for _style in ("kernel", "hw", "shared"):
    globals()[f"test_shared_line_intr_{_style}"] = _style_test(_style)


async def _interrupts_per_frame(hosts: Hosts, what: str, size: int | None = None, host: str = "hostB",
                                count: int = 120) -> float:
    """``host``'s interrupts per frame under a ``count``-datagram flow A -> B
    (``size``: every datagram's payload bytes; default: the flow's mix):
    B's are its receive interrupts, A's the TX_DONE it takes while its ring
    is full."""
    line = hosts.by_name[host].kernel.lines[hosts.softc(host).irq]
    entries = line.entries
    if size is None:
        res = await udp_flow(hosts, what, count)
    else:
        (res,) = await run_flows(hosts, what, [Flow("hostA", "hostB", FLOW_PORT, count, lambda seq: size)])
    assert len(res.delivered) == res.sent == count, res.line
    return (line.entries - entries) / len(res.delivered)


@testing.test()
async def test_interrupt_moderation_option(dut):
    """itr=40 (microseconds) programs INT_THROTTLE and cuts B's interrupts per received frame under a burst to
    well under half of what it takes without moderation; every frame still arrives."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts, {"hostB": "itr=0"})
    assert (await hosts.must("hostA", "ping -c 1 -W 0.001 10.0.0.2")).value.received == 1
    plain = await _interrupts_per_frame(hosts, "itr=0")
    await hosts.must("hostB", "ifconfig nic0 destroy")
    await hosts.must("hostB", "mount -T io-pkt -o itr=40 /lib/dll/devnp-nic.so")
    await hosts.must("hostB", "ifconfig nic0 10.0.0.2/24 up")
    sc = hosts.softc("hostB")
    assert await sc.regs.read32(R.REG_INT_THROTTLE) == -(-40_000 // R.INT_THROTTLE_UNIT_NS)
    moderated = await _interrupts_per_frame(hosts, "itr=40")
    dut._log.info("interrupts per received frame: %.2f without moderation, %.2f with itr=40", plain, moderated)
    assert moderated < plain / 2, (plain, moderated)
    await hosts.teardown()


FLOW_PORT = 7200
SMALL = 18  # UDP payload bytes of a 64-byte frame (14 + 20 + 8 + 18 + 4 FCS)
LARGE = 1472  # and of a 1518-byte frame
LARGE_COUNT = 40  # 0.5 ms of line at 1518 bytes


async def _ping_rtt_us(hosts: Hosts) -> float:
    """Average round trip of 8 pings 5 us apart (each answered before the next), ARP settled first."""
    assert (await hosts.must("hostA", "ping -c 1 -W 0.001 10.0.0.2")).value.received == 1
    res = await hosts.must("hostA", "ping -c 8 -i 0.000005 -W 0.001 10.0.0.2")
    assert res.value.received == 8, res.text
    return res.value.rtt_stats_us()[1]


@testing.test()
async def test_adaptive_moderation_is_the_default(dut):
    """With no itr= option the throttle is off while traffic is light (back-to-back pings take as long as with
    itr=0), goes on during floods of small datagrams (64-byte frames: the receiver B, and the sender A, whose
    ring fills so that it waits for TX_DONE, each take fewer than half the interrupts per frame of itr=0), of
    full-size ones (1518-byte frames, each longer than the small frames' window: its bulk window batches them,
    fewer than three quarters of the interrupts per frame of itr=0, and no frame lost when 64-byte frames follow
    at once) and of mixed sizes (fewer than itr=0), and goes
    off again once the flood is over; every frame arrives."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts, {"hostA": "itr=0", "hostB": "itr=0"})
    plain_rtt = await _ping_rtt_us(hosts)
    plain_small = await _interrupts_per_frame(hosts, "itr=0, 64-byte frames", SMALL)
    plain_sender = await _interrupts_per_frame(hosts, "itr=0, 64-byte frames, sender", SMALL, host="hostA")
    plain_large = await _interrupts_per_frame(hosts, "itr=0, 1518-byte frames", LARGE, count=LARGE_COUNT)
    plain = await _interrupts_per_frame(hosts, "itr=0")
    for host, addr in (("hostA", "10.0.0.1"), ("hostB", "10.0.0.2")):
        await hosts.must(host, "ifconfig nic0 destroy")
        await hosts.must(host, "mount -T io-pkt /lib/dll/devnp-nic.so")
        await hosts.must(host, f"ifconfig nic0 {addr}/24 up")
    sc = hosts.softc("hostB")
    assert sc.itr_auto and await sc.regs.read32(R.REG_INT_THROTTLE) == 0
    auto_rtt = await _ping_rtt_us(hosts)
    assert await sc.regs.read32(R.REG_INT_THROTTLE) == 0, "pings turned the throttle on"
    assert auto_rtt <= plain_rtt + 0.5, (plain_rtt, auto_rtt)
    changes = sc.itr_changes
    auto_small = await _interrupts_per_frame(hosts, "itr=auto, 64-byte frames", SMALL)
    assert sc.itr_changes > changes, "the flood never turned the throttle on"
    auto_sender = await _interrupts_per_frame(hosts, "itr=auto, 64-byte frames, sender", SMALL, host="hostA")
    await _ping_rtt_us(hosts)
    auto_large = await _interrupts_per_frame(hosts, "itr=auto, 1518-byte frames", LARGE, count=LARGE_COUNT)
    # straight on, 64-byte frames at line rate into the window the large ones left: the RX ring outlasts it
    await _interrupts_per_frame(hosts, "itr=auto, 64-byte frames after 1518-byte ones", SMALL, count=200)
    await _ping_rtt_us(hosts)
    auto = await _interrupts_per_frame(hosts, "itr=auto")
    dut._log.info("B, interrupts per frame: 64-byte frames %.2f with itr=0, %.2f with itr=auto; 1518-byte "
                  "frames %.2f / %.2f; mixed sizes %.2f / %.2f; ping %.2f us / %.2f us; A (sender), 64-byte "
                  "frames: %.2f / %.2f", plain_small, auto_small, plain_large, auto_large, plain, auto, plain_rtt,
                  auto_rtt, plain_sender, auto_sender)
    assert auto_small < plain_small / 2, (plain_small, auto_small)
    assert auto_sender < plain_sender / 2, (plain_sender, auto_sender)
    assert auto_large < plain_large * 0.75, (plain_large, auto_large)
    assert auto < plain, (plain, auto)
    # the flood is over: a few light exchanges later the throttle is off and pings are as fast as ever
    await _ping_rtt_us(hosts)
    assert not sc.itr_auto_on and await sc.regs.read32(R.REG_INT_THROTTLE) == 0
    assert await _ping_rtt_us(hosts) <= plain_rtt + 0.5
    await hosts.teardown()


@testing.test()
async def test_phy_thread_named_quiesced_and_reaped(dut):
    """phythread=20: each NIC gets a driver thread named "nicN mii" (pidin thread shows it) that polls the PHY
    and hands link changes to the process function; destroying nic0 (a self-quiescing detach) parks nic1's
    thread and lets it go again, reaps nic0's; destroying nic1 leaves nothing behind."""
    plat, iopkt, before = await build_looped_host(dut, irqs=(SHARED_IRQ, SHARED_IRQ + 1))
    await must(iopkt, "mount -T io-pkt -o phythread=20 /lib/dll/devnp-nic.so")
    sc0, sc1 = iopkt.alldevs
    assert sc0.dv_flags & DVF_QUIESCESELF
    text = (await must(iopkt, "pidin thread")).text
    assert "nic0 mii" in text and "nic1 mii" in text, text
    await must(iopkt, "ifconfig nic0 10.0.0.1/24 up")
    await must(iopkt, "ifconfig nic1 10.0.0.2/24 up")
    await Timer(60, "us")
    assert sc0.phy_polls >= 2 and sc1.phy_polls >= 2
    events = sc1.phy_thread_events
    dut.cable_pull.value = 1
    await Timer(60, "us")
    dut.cable_pull.value = 0
    await Timer(400, "us")  # each process pass reads the PHY over MDIO, one NIC after the other
    assert sc1.phy_thread_events > events, "the thread never saw the cable go"
    for name in ("nic0", "nic1"):
        said = [line for line in iopkt.log if line.startswith(f"{name}: link")]
        assert said[-2:] == [f"{name}: link down", f"{name}: link up, 1000baseT-FDX"], iopkt.log
    parks = sc1.thread_parks
    await must(iopkt, "ifconfig nic0 destroy")
    assert sc1.thread_parks == parks + 1, "nic0's detach did not quiesce the other driver thread"
    polls = sc1.phy_polls
    await Timer(60, "us")
    assert sc1.phy_polls > polls, "nic1's thread did not run again after the quiesce"
    text = (await must(iopkt, "pidin thread")).text
    assert "nic0 mii" not in text and "nic1 mii" in text, text
    await must(iopkt, "ifconfig nic1 destroy")
    assert not iopkt.live_resources().differs_from(before)
    if plat.dma_checker is not None:
        plat.dma_checker.finish()


@testing.test()
async def test_reconfigure_under_load_in_every_masking_style(dut):
    """For each intr= style on B: an MTU change on B while A's burst flows and B's stack is held up, so init
    runs with a process pass queued. No style may leave the NIC unmasked under that pass (an interrupt
    storm); B takes a couple of interrupts per frame at most, and every frame is accounted for."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    assert (await hosts.must("hostA", "ping -c 1 -W 0.001 10.0.0.2")).value.received == 1
    b = hosts.by_name["hostB"]

    async def reconfigure(hosts):
        # The stack is busy (frames queue a process pass meanwhile); the MTU
        # change is next in line, then more busy work, then that pass.
        first = cocotb.start_soon(stall_stack(b, 50_000))
        await Timer(100, "ns")
        cfg = cocotb.start_soon(hosts.must("hostB", "ifconfig nic0 mtu 1400"))
        await Timer(100, "ns")
        second = cocotb.start_soon(stall_stack(b, 300_000))
        await first
        await cfg
        await second
        await hosts.must("hostB", "ifconfig nic0 mtu 1500")

    for style in ("kernel", "hw", "shared"):
        await hosts.must("hostB", "ifconfig nic0 destroy")
        await hosts.must("hostB", f"mount -T io-pkt -o intr={style} /lib/dll/devnp-nic.so")
        await hosts.must("hostB", "ifconfig nic0 10.0.0.2/24 up")
        line = b.kernel.lines[hosts.softc("hostB").irq]
        entries = line.entries
        res = await udp_flow(hosts, f"intr={style}, mtu change under load", 100, reconfigure, 30)
        per_frame = (line.entries - entries) / max(1, len(res.delivered))
        dut._log.info("%s; %.2f ISR entries per frame", res.line, per_frame)
        assert per_frame < 2, f"intr={style}: {line.entries - entries} ISR entries for {len(res.delivered)} frames"
    await hosts.teardown()
