"""Functional coverage (nicsim.coverage) samples what really happened: a known scenario hits known bins.

Coverage is switched on inside the test (``coverage.enable()``), whatever ``NICSIM_COVERAGE`` says."""

from __future__ import annotations

from nicsim import artifacts, testing
from nicsim import coverage as fcov
from nicsim.two_hosts import bring_up_pair, build_hosts

TOPLEVEL = "nic_pair_tb"


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
