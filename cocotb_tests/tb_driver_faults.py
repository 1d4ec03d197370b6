"""devnp-nic on its bad days, against the live RTL: DMA errors on every kind
of access, a cable pulled mid-burst, a receiver that stalls or runs out of
clusters, interfaces taken down and reconfigured under load, a stop racing
an interrupt, a second mount, a failed up, a PHY that never answers.

Each fault in ``FAULTS`` becomes its own test: a numbered UDP burst from A
to B with the fault fired in the middle; the interfaces must recover with
nobody typing ifconfig, and one accounting line per fault must hold:
``sent = delivered + <each named drop counter>``. Every test ends with both
hosts' interfaces destroyed and nothing left behind.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import Timer

from iopkt.kern.mbuf import M_DONTWAIT, M_PKTHDR, MT_DATA, m_freem, m_getcl
from iopkt.net.if_ import IFF_OACTIVE, IFF_RUNNING, IFF_UP
from nicdef import regs as R
from nicsim import testing
from nicsim.faults import DMA_KINDS, MDIO_BUSY_STUCK, StuckRegisters
from nicsim.two_hosts import (
    Hosts,
    bring_up_pair,
    build_hosts,
    cover_fault,
    hold_all_clusters,
    inject_dma_error,
    stall_stack,
)
from nicsim.udp_flow import Flow, run_flows, udp_flow

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)

BURST = 150
FAULT_AT = 50
PROBE = 10  # datagrams after the burst: traffic must flow again by itself


async def _up_pair(dut, options: dict[str, str] | None = None) -> Hosts:
    hosts = await build_hosts(dut)
    hosts.dut = dut
    await bring_up_pair(hosts, options)
    # Resolve both ways first: ARP holds only the latest packet for an
    # unresolved neighbour (NetBSD), which is not what these tests look at.
    res = await hosts.must("hostA", "ping -c 1 -W 0.001 10.0.0.2")
    assert res.value.received == 1, res.text
    return hosts


def _nicinfo_rows(res) -> dict[str, int]:
    return {line.split(" ..")[0].strip(): int(line.rsplit(" ", 1)[-1]) for line in res.output
            if " .." in line and line.rsplit(" ", 1)[-1].isdigit()}


# -------------------------------------------------------------- the fault matrix


def _dma(host: str, kind: str):
    async def fault(hosts: Hosts):
        inject_dma_error(hosts, host, kind)
    return fault


async def _cable_pull(hosts: Hosts):
    cover_fault(hosts, "hostA", "cable_pull")
    hosts.dut.cable_pull.value = 1
    await Timer(40, "us")
    hosts.dut.cable_pull.value = 0


async def _rx_ring_exhaustion(hosts: Hosts):
    await stall_stack(hosts.by_name["hostB"], 600_000)


async def _cluster_exhaustion(hosts: Hosts):
    assert await hold_all_clusters(hosts.by_name["hostB"], 100_000) > 0


def _down_up(host: str):
    async def fault(hosts: Hosts):
        await hosts.must(host, "ifconfig nic0 down")
        await Timer(20, "us")
        await hosts.must(host, "ifconfig nic0 up")
    return fault


async def _mtu_change(hosts: Hosts):
    await hosts.must("hostB", "ifconfig nic0 mtu 1000")  # larger datagrams now arrive oversize
    await Timer(60, "us")
    await hosts.must("hostB", "ifconfig nic0 mtu 1500")


async def _media_change(hosts: Hosts):
    await hosts.must("hostA", "ifconfig nic0 media 100baseTX mediaopt full-duplex")
    await Timer(60, "us")
    await hosts.must("hostA", "ifconfig nic0 media autoselect")


# The fault matrix: name -> (fault, the accounting counter it must move or
# None). Faults that are a person's ifconfig may cost nothing at all.
FAULTS = {
    "tx_desc_fetch": (_dma("hostA", "tx_desc_fetch"), "A tx DMA error"),
    "tx_buffer_read": (_dma("hostA", "tx_buffer_read"), "A tx DMA error"),
    "tx_writeback": (_dma("hostA", "tx_writeback"), None),  # the frame was read whole: it is sent
    "rx_desc_fetch": (_dma("hostB", "rx_desc_fetch"), "B rx DMA error"),
    "rx_buffer_write": (_dma("hostB", "rx_buffer_write"), "B rx DMA error"),
    "rx_writeback": (_dma("hostB", "rx_writeback"), "B rx DMA error"),
    "cable_pull": (_cable_pull, "A no carrier"),
    "rx_ring_exhaustion": (_rx_ring_exhaustion, "B missed"),
    "cluster_exhaustion": (_cluster_exhaustion, "B no cluster (rx)"),
    "down_up_sender": (_down_up("hostA"), None),
    "down_up_receiver": (_down_up("hostB"), None),
    "mtu_change": (_mtu_change, "B oversize"),
    "media_change": (_media_change, None),
}


# Where nicinfo shows what a fault's accounting counter counted: (host, row).
NICINFO_ROW = {
    "A tx DMA error": ("hostA", "Transmit Underruns"),
    "A no carrier": ("hostA", "No Carrier on Transmit"),
    "B rx DMA error": ("hostB", "Packets Dropped on receive"),
    "B missed": ("hostB", "Packets Dropped on receive"),
    "B no cluster (rx)": ("hostB", "Memory Allocation Failures on Receive"),
    "B oversize": ("hostB", "Oversized Packets received"),
}


async def _fault_case(dut, name: str) -> None:
    fault, must_count = FAULTS[name]
    hosts = await _up_pair(dut)
    a_log = len(hosts.by_name["hostA"].log)
    b_log = len(hosts.by_name["hostB"].log)
    row = NICINFO_ROW.get(must_count)
    if row is not None:
        shown = _nicinfo_rows(await hosts.must(row[0], "nicinfo nic0"))[row[1]]
    res = await udp_flow(hosts, name, BURST, fault, FAULT_AT)
    dut._log.info(res.line)
    if must_count is not None:
        assert res.drops[must_count] > 0, f"{name} was never counted as {must_count!r}: {res.line}"
    if row is not None:
        # nicinfo names the event in its own row, by exactly what the flow lost to it
        now = _nicinfo_rows(await hosts.must(row[0], "nicinfo nic0"))[row[1]]
        assert now - shown == sum(v for k, v in res.drops.items() if NICINFO_ROW.get(k) == row), (row, res.line)
    if name in DMA_KINDS:
        host, log = ("hostA", a_log) if name.startswith("tx_") else ("hostB", b_log)
        said = hosts.log_since(host, log)
        assert any("DMA error" in line for line in said), f"{host} logged no DMA error: {said}"
    # Recovered by itself: no ring stopped, no queue stalled, traffic flows.
    for host in ("hostA", "hostB"):
        sc = hosts.softc(host)
        status = await sc.regs.read32(R.REG_STATUS)
        assert not status & (R.STATUS_TX_STOPPED | R.STATUS_RX_STOPPED), f"{host}: STATUS {status:#x}"
        ifp = hosts.by_name[host].ifnet[0]
        assert ifp.if_flags_tx & IFF_RUNNING and not ifp.if_flags_tx & IFF_OACTIVE
    probe = await udp_flow(hosts, f"{name} (after)", PROBE)
    assert probe.sent == PROBE and len(probe.delivered) == PROBE, probe.line
    await hosts.teardown()


def _fault_test(name: str):
    async def run(dut):
        await _fault_case(dut, name)

    run.__doc__ = f"Fault matrix: {name.replace('_', ' ')} in the middle of a UDP burst; recovery and accounting."
    return testing.test(name=f"test_fault_{name}")(run)


for _name in FAULTS:
    globals()[f"test_fault_{_name}"] = _fault_test(_name)


# -------------------------------------------------------- the failing cases


@testing.test()
async def test_dma_error_on_rx_buffer_write_is_logged_counted_and_recovered(dut):
    """An SLVERR on host B's first RX buffer write: B logs the engine and address, counts the lost frame under
    "Packets Dropped on receive" (not as a transmit event), resets only its receive ring, stays RUNNING, and
    ping recovers by itself: the request that hit the error is lost, the rest are answered."""
    hosts = await _up_pair(dut)
    b = hosts.by_name["hostB"]
    log = len(b.log)
    rows_before = _nicinfo_rows(await hosts.must("hostB", "nicinfo nic0"))
    inject_dma_error(hosts, "hostB", "rx_buffer_write")
    res = await hosts.sh("hostA", "ping -c 3 -i 0.00005 -W 0.001 10.0.0.2")
    assert res.value.received == 2, res.text
    said = hosts.log_since("hostB", log)
    assert any("DMA error: receive buffer write at 0x" in line and "SLVERR" in line
               and "resetting the receive ring" in line for line in said), said
    fired = hosts.platforms["hostB"].dma_faults[0].fired
    assert len(fired) == 1 and f"{fired[0].addr & ~7:#x}" in " ".join(said), (fired, said)
    res = await hosts.must("hostB", "nicinfo nic0")
    rows = _nicinfo_rows(res)
    assert rows["Packets Dropped on receive"] == rows_before["Packets Dropped on receive"] + 1, res.text
    assert rows["Transmit Underruns"] == 0, res.text
    assert "RUNNING" in (await hosts.must("hostB", "ifconfig nic0")).text
    assert not await hosts.softc("hostB").regs.read32(R.REG_STATUS) & R.STATUS_RX_STOPPED
    assert (await hosts.sh("hostA", "ping -c 3 -i 0.00005 -W 0.001 10.0.0.2")).value.received == 3
    await hosts.teardown()


@testing.test()
async def test_stop_racing_an_interrupt_leaves_nothing_to_misread(dut):
    """While A pings B every 10 us, B runs `ifconfig nic0` (MDIO holds the stack ~100 us) and 1 us later
    `ifconfig nic0 down`: the process pass queued before the stop runs after it and must leave the rings
    alone. B then comes back up and answers."""
    hosts = await _up_pair(dut)
    pinger = cocotb.start_soon(hosts.sh("hostA", "ping -c 40 -i 0.00001 -W 0.0002 10.0.0.2"))
    await Timer(30, "us")
    status = cocotb.start_soon(hosts.sh("hostB", "ifconfig nic0"))
    await Timer(1, "us")
    await hosts.must("hostB", "ifconfig nic0 down")
    assert (await status).status == 0
    await pinger
    b = hosts.by_name["hostB"]
    assert b.mbufs.clusters_in_use == 0, "stop must give back every buffer, whatever ran after it"
    await hosts.must("hostB", "ifconfig nic0 up")
    assert (await hosts.sh("hostA", "ping -c 3 -i 0.00005 -W 0.001 10.0.0.2")).value.received == 3
    await hosts.teardown()


@testing.test()
async def test_second_mount_does_not_take_over_a_nic_in_use(dut):
    """A second `mount` of devnp-nic on a host whose only NIC is nic0 attaches nothing, says why, and fails;
    nic0 keeps working and the driver is loaded once."""
    hosts = await _up_pair(dut)
    a = hosts.by_name["hostA"]
    res = await hosts.sh("hostA", "mount -T io-pkt /lib/dll/devnp-nic.so")
    assert res.status == 1, res.text
    assert "no free device: axi-lite:a is nic0" in res.text and "Device or resource busy" in res.text, res.text
    assert [i.if_xname for i in a.ifnet] == ["nic0"] and a.dlls["devnp-nic.so"].opens == 1
    assert (await hosts.sh("hostA", "ping -c 2 -i 0.00005 -W 0.001 10.0.0.2")).value.received == 2
    await hosts.teardown()


@testing.test()
async def test_failed_up_can_be_retried(dut):
    """With every cluster taken, `ifconfig nic0 up` fails with ENOBUFS and leaves nic0 UP but not RUNNING;
    once the clusters are back, `ifconfig nic0 up` again runs init (NetBSD's ether_ioctl) and pings pass."""
    hosts = await _up_pair(dut)
    b = hosts.by_name["hostB"]
    ifp = b.ifnet[0]
    await hosts.must("hostB", "ifconfig nic0 down")
    taken = []
    while (m := m_getcl(b.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)) is not None:
        taken.append(m)
    res = await hosts.sh("hostB", "ifconfig nic0 up")
    assert res.status == 1 and "No buffer space available" in res.text, res.text
    assert ifp.if_flags & IFF_UP and not ifp.if_flags_tx & IFF_RUNNING
    for m in taken:
        m_freem(m)
    await hosts.must("hostB", "ifconfig nic0 up")
    assert ifp.if_flags_tx & IFF_RUNNING
    assert (await hosts.sh("hostA", "ping -c 2 -i 0.00005 -W 0.001 10.0.0.2")).value.received == 2
    await hosts.teardown()


@testing.test()
async def test_link_down_drops_are_counted_and_traffic_resumes(dut):
    """With the cable pulled, every datagram sendto() accepts is counted as no-carrier (nicinfo's "No Carrier
    on Transmit", if_oerrors), none is reported sent; once it is back, traffic flows without ifconfig."""
    hosts = await _up_pair(dut)
    dut.cable_pull.value = 1
    await Timer(10, "us")
    assert "no carrier" in (await hosts.must("hostA", "ifconfig nic0")).text
    res = await udp_flow(hosts, "cable out", 20)
    assert res.sent == 20 and not res.delivered and " + A no carrier 20" in res.line, res.line
    rows = _nicinfo_rows(await hosts.must("hostA", "nicinfo nic0"))
    assert rows["No Carrier on Transmit"] == 20
    assert hosts.by_name["hostA"].ifnet[0].if_oerrors >= 20
    dut.cable_pull.value = 0
    await Timer(20, "us")
    res = await udp_flow(hosts, "cable back", 20)
    assert len(res.delivered) == 20, res.line
    await hosts.teardown()


@testing.test()
async def test_phy_that_never_answers_fails_the_mount_cleanly(dut):
    """With MDIO_CMD.BUSY stuck, attach fails with EIO: mount says so, and nothing stays loaded or allocated."""
    hosts = await build_hosts(dut)
    a = hosts.by_name["hostA"]
    pdev = hosts.platforms["hostA"].devices[0]
    pdev.regs = StuckRegisters(pdev.regs, MDIO_BUSY_STUCK)
    res = await hosts.sh("hostA", "mount -T io-pkt /lib/dll/devnp-nic.so")
    assert res.status == 1, res.text
    assert "MDIO stuck busy" in res.text and "the PHY does not answer" in res.text, res.text
    assert "Possible reason: I/O error" in res.text, res.text
    assert not a.live_resources().differs_from(hosts.before["hostA"])
    assert "devnp-nic.so" not in a.dlls
    await hosts.teardown()


@testing.test()
async def test_mac_option_takes_only_station_addresses(dut):
    """`-o mac=` refuses the all-zero address, group addresses and malformed text, naming the problem;
    nothing stays loaded. A good address is used."""
    hosts = await build_hosts(dut)
    a = hosts.by_name["hostA"]
    for bad, why in (("000000000000", "all-zero"), ("010203040506", "multicast"), ("ffffffffffff", "multicast"),
                     ("0200000000", "12 hex digits"), ("02000000000g", "12 hex digits")):
        res = await hosts.sh("hostA", f"mount -T io-pkt -o mac={bad} /lib/dll/devnp-nic.so")
        assert res.status == 1 and why in res.text and "Invalid argument" in res.text, res.text
        assert not a.live_resources().differs_from(hosts.before["hostA"]), bad
    await hosts.must("hostA", "mount -T io-pkt -o mac=02:00:00:00:0a:99 /lib/dll/devnp-nic.so")
    assert a.ifnet[0].if_lladdr == bytes.fromhex("020000000a99")
    await hosts.teardown()


async def _dma_error_then_stop(dut, host: str, kind: str, counter: str) -> None:
    """While a UDP burst runs, ``host`` is busy in `ifconfig nic0` (MDIO holds
    its stack), `ifconfig nic0 down` waits behind it, and a DMA error hits:
    stop runs before the process pass, so stop must report the error and
    count its frame; the interface comes back up and the flow is accounted."""
    hosts = await _up_pair(dut)
    log = len(hosts.by_name[host].log)

    async def fault(hosts: Hosts):
        status = cocotb.start_soon(hosts.sh(host, "ifconfig nic0"))
        await Timer(10, "ns")
        down = cocotb.start_soon(hosts.must(host, "ifconfig nic0 down"))
        await Timer(10, "ns")
        inject_dma_error(hosts, host, kind)
        await down
        await status
        await Timer(20, "us")
        await hosts.must(host, "ifconfig nic0 up")

    res = await udp_flow(hosts, f"{kind}, then down", BURST, fault, FAULT_AT)
    dut._log.info(res.line)
    assert res.drops[counter] == 1, res.line
    said = hosts.log_since(host, log)
    assert any("DMA error" in line and "the interface is going down" in line for line in said), said
    await hosts.teardown()


@testing.test()
async def test_rx_dma_error_while_stop_waits_is_reported_by_stop(dut):
    """An RX DMA error that the process pass never sees because `ifconfig down` runs first: stop logs it and
    counts the frame it cost (nothing vanishes through the race)."""
    await _dma_error_then_stop(dut, "hostB", "rx_buffer_write", "B rx DMA error")


@testing.test()
async def test_tx_dma_error_while_stop_waits_is_reported_by_stop(dut):
    """The transmit side of the same race: stop logs the error and counts the frame as a DMA error, not as one
    merely dropped by the stop."""
    await _dma_error_then_stop(dut, "hostA", "tx_buffer_read", "A tx DMA error")


@testing.test()
async def test_frames_without_sfd_are_counted_in_nicinfo(dut):
    """A MAC clocked at the wrong speed: with B's PHY withholding 1000 both drivers run at 100; A's MAC then put
    back at 1000 by hand sends each ping as a 1000 Mb/s burst that B's MAC, at 100, samples every tenth byte of:
    a preamble byte then data, no SFD. B counts each such burst once in STAT_RX_FRAMING, and nicinfo's "Receive
    Framing errors" row shows exactly that register; with A's speed put right, ping works again."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    dut.phy_b_adv_withhold.value = 0b100  # {1000FD, 100FD, 10FD}
    sca, scb = hosts.by_name["hostA"].alldevs[0], hosts.by_name["hostB"].alldevs[0]
    for _ in range(100):  # both drivers follow the renegotiation to 100
        await Timer(20, "us")
        speeds = [(await sc.regs.read32(R.REG_CTRL) & R.CTRL_SPEED) >> R.CTRL_SPEED_SHIFT for sc in (sca, scb)]
        if speeds == [R.SPEED_100] * 2 and sca.link_up and scb.link_up:
            break
    assert speeds == [R.SPEED_100] * 2, speeds
    await Timer(500, "us")  # the renegotiation's last LINK interrupt handled (MDIO reads at 25.6 us each)
    res = await hosts.sh("hostA", "ping -c 1 -W 0.002 10.0.0.2")  # ARP resolved: one frame per ping from here
    assert res.value.received == 1, res.text
    ctrl = await sca.regs.read32(R.REG_CTRL)
    await sca.regs.write32(R.REG_CTRL, (ctrl & ~R.CTRL_SPEED) | (R.SPEED_1000 << R.CTRL_SPEED_SHIFT))
    res = await hosts.sh("hostA", "ping -c 2 -i 0.00005 -W 0.001 10.0.0.2")
    assert res.value.received == 0, res.text
    framing = await scb.regs.read32(R.REG_STAT_RX_FRAMING)
    assert framing == 2, framing  # each echo request once; none has an SFD at 100
    rows = _nicinfo_rows(await hosts.must("hostB", "nicinfo nic0"))
    assert rows["Receive Framing errors (no valid SFD)"] == framing, rows
    await sca.regs.write32(R.REG_CTRL, ctrl)
    res = await hosts.sh("hostA", "ping -c 2 -i 0.00005 -W 0.002 10.0.0.2")
    assert res.value.received == 2, res.text
    assert await scb.regs.read32(R.REG_STAT_RX_FRAMING) == framing
    dut.phy_b_adv_withhold.value = 0
    await hosts.teardown()


@testing.test()
async def test_ifnet_counters_agree_with_nicinfo_after_a_cable_pull(dut):
    """Frames the NIC discards for want of a link were harvested as done: `ifconfig -v` (if_opackets,
    if_oerrors) must agree with nicinfo's "Packets Transmitted OK" and "No Carrier on Transmit" once read."""
    hosts = await _up_pair(dut)
    ifp = hosts.by_name["hostA"].ifnet[0]
    rows = _nicinfo_rows(await hosts.must("hostA", "nicinfo nic0"))
    opackets, oerrors = ifp.if_opackets, ifp.if_oerrors
    res = await udp_flow(hosts, "cable pull", BURST, _cable_pull, FAULT_AT)
    assert res.drops["A no carrier"] > 0, res.line
    await hosts.must("hostA", "ifconfig -v nic0")
    now = _nicinfo_rows(await hosts.must("hostA", "nicinfo nic0"))
    sent = now["Packets Transmitted OK"] - rows["Packets Transmitted OK"]
    no_carrier = now["No Carrier on Transmit"] - rows["No Carrier on Transmit"]
    assert ifp.if_opackets - opackets == sent, (ifp.if_opackets - opackets, sent)
    assert ifp.if_oerrors - oerrors == no_carrier, (ifp.if_oerrors - oerrors, no_carrier)
    await hosts.teardown()


@testing.test()
async def test_phy_that_stops_answering_shows_no_stale_status(dut):
    """MDIO stuck after a good attach: ifconfig shows no media status rather than the last one read, the log
    says so once; when the PHY answers again, so does the status."""
    hosts = await _up_pair(dut)
    a = hosts.by_name["hostA"]
    sc = hosts.softc("hostA")
    good = sc.regs
    sc.regs = StuckRegisters(good, MDIO_BUSY_STUCK)
    log = len(a.log)
    for _ in range(2):
        text = (await hosts.must("hostA", "ifconfig nic0")).text
        assert "status:" not in text and "(none)" in text, text
    said = hosts.log_since("hostA", log)
    assert sum("link state unknown" in line for line in said) == 1, said
    sc.regs = good
    text = (await hosts.must("hostA", "ifconfig nic0")).text
    assert "status: active" in text, text
    assert "nic0: the PHY answers again" in a.log
    await hosts.teardown()


@testing.test()
async def test_dma_errors_on_both_rings_before_one_pass_are_each_settled(dut):
    """Traffic both ways; B's stack is busy while its NIC takes a TX write-back error and then an RX buffer
    write error, so one process pass finds both rings stopped. Each is logged from its own ring's latch
    (TX_ERR_*, RX_ERR_*): the write-back victim was read whole and is sent, not counted lost; the receive
    error costs one frame; both directions are accounted."""
    hosts = await _up_pair(dut)
    b = hosts.by_name["hostB"]
    log = len(b.log)
    faults = hosts.platforms["hostB"].dma_faults[0]

    async def fault(hosts: Hosts):
        stall = cocotb.start_soon(stall_stack(b, 300_000))
        await Timer(1, "us")
        for kind in ("tx_writeback", "rx_buffer_write"):
            inject_dma_error(hosts, "hostB", kind)
            while not any(f.name == kind for f in faults.fired):
                await Timer(1, "us")
        await stall

    a_to_b, b_to_a = await run_flows(hosts, "both rings in one pass", [Flow("hostA", "hostB", 7100, 120),
                                                                       Flow("hostB", "hostA", 7200, 120)],
                                     fault, 30)
    dut._log.info("%s / %s", a_to_b.line, b_to_a.line)
    assert a_to_b.drops["B rx DMA error"] == 1, a_to_b.line
    assert b_to_a.drops["A tx DMA error"] == 0 and len(b_to_a.delivered) == b_to_a.sent, b_to_a.line
    said = hosts.log_since("hostB", log)
    assert any("transmit descriptor write-back" in line for line in said), said
    assert any("receive buffer write" in line for line in said), said
    await hosts.teardown()


async def _queue_filled_under_a_queued_pass(dut, style: str) -> None:
    from scapy.layers.inet import IP, UDP

    from iopkt.kern.mbuf import m_devget
    from iopkt.net.if_ether import ETHERTYPE_IP, ether_output
    from iopkt.netinet import udp_socket
    from nicsim.two_hosts import MAC_B

    hosts = await build_hosts(dut)
    await bring_up_pair(hosts, {"hostA": f"intr={style}"})
    assert (await hosts.must("hostA", "ping -c 1 -W 0.001 10.0.0.2")).value.received == 1
    a = hosts.by_name["hostA"]
    sc, ifp = hosts.softc("hostA"), a.ifnet[0]
    rx = await udp_socket(hosts.by_name["hostB"])
    rx.bind(7500)
    seen = {}

    async def burst():
        # B's ping interrupts A while A is busy in stack context: A's pass is
        # queued, and A queues more than its TX ring holds meanwhile.
        seen["ping"] = cocotb.start_soon(hosts.sh("hostB", "ping -c 1 -W 0.0005 10.0.0.1"))
        await a.platform.sleep(40_000)
        seen["queued"] = sc.sc_inter.on_list
        for i in range(120):
            datagram = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=7500, dport=7500) / (bytes([i]) * 1000))
            await ether_output(ifp, m_devget(a.mbufs, datagram), MAC_B, ETHERTYPE_IP)

    await a.stack_call(burst)
    await seen["ping"]
    got = 0
    while got < 120:
        try:
            await rx.recvfrom(timeout_ns=3_000_000)
        except TimeoutError:
            break
        got += 1
    rx.close()
    assert seen["queued"], "the set-up did not queue A's process pass"
    assert got == 120 and not ifp.if_snd.ifq_len, f"intr={style}: B got {got}/120, {ifp.if_snd.ifq_len} stuck in A"
    await hosts.teardown()


@testing.test()
async def test_queue_filled_under_a_queued_pass_drains_with_kernel_masking(dut):
    """intr=kernel: a burst queued from stack context while the process pass is queued (as tcp_output sending
    a window on an incoming ACK would) fills the ring; the TX_DONE interrupt the driver then asks for must be
    unmasked in the NIC, or the queue never drains."""
    await _queue_filled_under_a_queued_pass(dut, "kernel")


@testing.test()
async def test_queue_filled_under_a_queued_pass_drains_with_hardware_masking(dut):
    """The same with intr=hw."""
    await _queue_filled_under_a_queued_pass(dut, "hw")


@testing.test()
async def test_down_at_10_mbps_with_the_fifo_full(dut):
    """At 10 Mb/s a burst fills the 16 KiB TX FIFO, and the transmit engine waits for room for its next burst
    (1.2 ms of the MAC's time for a full frame) when `ifconfig nic0 down` comes: stop must wait for it at the
    speed the MAC runs, not reset the ring under it (the engine would read freed clusters and send a frame
    counted as dropped); every frame is counted once."""
    hosts = await _up_pair(dut)
    await hosts.must("hostA", "ifconfig nic0 media 10baseT mediaopt full-duplex")
    a = hosts.by_name["hostA"]
    for _ in range(100):
        if "10baseT" in (await hosts.must("hostA", "ifconfig nic0")).text and hosts.softc("hostA").link_up:
            break
        await Timer(20, "us")
    log = len(a.log)

    async def fault(hosts: Hosts):
        await Timer(300, "us")
        await hosts.must("hostA", "ifconfig nic0 down")
        await hosts.must("hostA", "ifconfig nic0 up")

    (flow,) = await run_flows(hosts, "down at 10 Mb/s", [Flow("hostA", "hostB", 7100, 12, lambda seq: 1472)],
                              fault, 0, settle_limit_ns=40_000_000)
    dut._log.info(flow.line)
    said = hosts.log_since("hostA", log)
    assert not any("did not go idle" in line for line in said), said
    await hosts.teardown()
