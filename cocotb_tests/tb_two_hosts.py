"""End to end: host A pings host B through driver A, NIC A, the cable, NIC B,
driver B and back (nic_pair_tb), with the whole io-pkt framework in the loop."""

from __future__ import annotations

import time

from nicsim import testing
from nicsim.jobs import PING
from nicsim.two_hosts import bring_up_pair, build_hosts, driver_vs_nic_counters

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)


async def _ping_ten(dut):
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    wall = time.perf_counter()
    res = await hosts.sh("hostA", PING)
    wall = time.perf_counter() - wall
    ping = res.value
    return hosts, res, ping, wall


@testing.test()
async def test_ping_ten_replies(dut):
    """Ten echo requests, ten replies with the payloads sent; both drivers' counters equal their NICs'."""
    hosts, res, ping, wall = await _ping_ten(dut)
    assert res.status == 0, res.text
    assert ping.transmitted == 10 and ping.received == 10, res.text
    assert ping.payload_mismatches == 0 and ping.duplicates == 0
    assert len(ping.rtts_ns) == 10 and all(t > 0 for t in ping.rtts_ns)
    for name, iopkt in hosts.by_name.items():
        counters = await driver_vs_nic_counters(iopkt)
        for counter, (drv, nic) in counters.items():
            assert drv == nic, f"{name}: driver {counter}={drv} but the NIC counted {nic}"
        # ARP request+reply plus ten echoes each way: at least 11 frames out of each side
        assert counters["txed_ok"][0] >= 11, counters
        iopkt.mbufs  # noqa: B018
        ifp = iopkt.ifnet[0]
        assert ifp.if_ierrors == 0 and ifp.if_oerrors == 0
    dut._log.info("ten pings took %.2f s of wall time", wall)
    await hosts.teardown()


@testing.test()
async def test_down_up_and_reinit_keep_working(dut):
    """`ifconfig down` stops the wire and frees every buffer; `up` and an MTU
    change (init called again on a running interface) bring it back intact."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    a = hosts.by_name["hostA"]
    ifp = a.ifnet[0]
    assert (await hosts.sh("hostA", "ping -c 2 -i 0.00005 10.0.0.2")).value.received == 2

    from devnp_nic.nicinfo import nic_stats

    b = hosts.by_name["hostB"]
    bcast_before = (await b.stack_call(nic_stats, b.alldevs[0])).rxed_broadcast
    assert bcast_before >= 1  # A's ARP request
    assert (await hosts.sh("hostB", "ifconfig nic0 down")).status == 0
    assert b.mbufs.clusters_in_use == 0, "stop must give back every RX and TX buffer"
    res = await hosts.sh("hostA", "ping -c 2 -i 0.00005 -W 0.001 10.0.0.2")
    assert res.value.received == 0, res.text

    assert (await hosts.sh("hostB", "ifconfig nic0 up")).status == 0
    res = await hosts.sh("hostA", "ping -c 3 -i 0.00005 10.0.0.2")
    assert res.value.received == 3 and res.value.payload_mismatches == 0, res.text
    # the device reset in stop zeroed the NIC's counters; nicinfo's totals did not go back
    assert (await b.stack_call(nic_stats, b.alldevs[0])).rxed_broadcast >= bcast_before

    from iopkt.net.if_ import SIOCSIFMTU

    rings_before = (ifp.if_softc.tx_ring, ifp.if_softc.rx_ring)
    assert await a.stack_call(ifp.if_ioctl, ifp, SIOCSIFMTU, 1400) == 0
    assert ifp.if_mtu == 1400
    assert (ifp.if_softc.tx_ring, ifp.if_softc.rx_ring) == rings_before, "init must not reallocate rings"
    res = await hosts.sh("hostA", "ping -c 3 -i 0.00005 -s 1300 10.0.0.2")
    assert res.value.received == 3 and res.value.payload_mismatches == 0, res.text
    await hosts.teardown()


@testing.test()
async def test_udp_burst_overfills_tx_ring_and_recovers(dut):
    """A burst larger than the TX ring: start sets IFF_OACTIVE, TX_DONE wakes
    the queue, and every datagram arrives intact and in order."""
    from iopkt.netinet import udp_socket

    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    a, b = hosts.by_name["hostA"], hosts.by_name["hostB"]
    # Resolve B first: ARP holds only the latest packet for an unresolved
    # neighbour (as NetBSD does), so a cold burst would lose all but one.
    assert (await hosts.sh("hostA", "ping -c 1 10.0.0.2")).value.received == 1
    rx = await udp_socket(b)
    rx.bind(7000)
    tx = await udp_socket(a)
    count = 200
    payloads = [bytes([i & 0xFF]) * (40 + i % 50) for i in range(count)]
    for p in payloads:
        assert await tx.sendto(p, ("10.0.0.2", 7000)) == len(p)
    got = []
    for _ in range(count):
        data, (src, port) = await rx.recvfrom(timeout_ns=2_000_000)
        got.append(data)
        assert src == "10.0.0.1"
    assert got == payloads
    sc = a.alldevs[0]
    assert sc.stats.tx_ring_full >= 1, "the burst never filled the TX ring"
    ifp = a.ifnet[0]
    assert not ifp.if_flags_tx & 0x400  # IFF_OACTIVE cleared again
    assert ifp.if_snd.ifq_drops == 0
    counters = await driver_vs_nic_counters(a)
    assert all(d == n for d, n in counters.values()), counters
    await hosts.teardown()
