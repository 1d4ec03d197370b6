"""One host owning both NICs of nic_pair_tb (their cable loops back to the
same machine): two devices of one driver, traffic between them, then the
guide's detach rules: `ifconfig destroy` of the first leaves the driver
loaded, of the last unloads it, and nothing is left behind."""

from __future__ import annotations

import functools

import cocotb

import devnp_nic  # registers devnp-nic.so
import devnp_nic.transmit
from iopkt.net.if_ import ifunit
from iopkt.netinet import udp_socket
from nicsim import testing
from nicsim.one_host import MAC0, build_looped_host, must, send_over_cable

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)


@testing.test()
async def test_two_nics_one_driver_destroy_one_by_one(dut):
    """Both NICs attach as nic0/nic1 from one mount; frames cross the cable between
    them, both NICs DMAing into the host's one memory (its transaction log shows
    both ports, every burst OKAY); destroying nic0 keeps the driver loaded and nic1
    working; destroying nic1 unloads it and returns the host to what it was before
    the mount."""
    plat, iopkt, before = await build_looped_host(dut)
    sh = functools.partial(must, iopkt)

    await sh("mount -T io-pkt /lib/dll/devnp-nic.so")
    assert sorted(i.if_xname for i in iopkt.ifnet) == ["nic0", "nic1"]
    await sh("ifconfig nic0 10.0.0.1/24 up")
    await sh("ifconfig nic1 10.0.0.2/24 up")
    sock = await udp_socket(iopkt)
    sock.bind(9000)
    log = plat.dma_log()
    assert await send_over_cable(iopkt, "nic1", MAC0, "10.0.0.1", b"over the cable") == 0
    data, _ = await sock.recvfrom(timeout_ns=200_000)
    assert data == b"over the cable"
    assert ifunit(iopkt, "nic0").if_ipackets >= 1
    dma = log.drain()
    port0, port1 = plat.dma_ports  # nic0 (side a), nic1 (side b)
    assert {(t.port, t.write) for t in dma} >= {(port1, False), (port0, True)}, dma  # nic1 reads, nic0 writes
    assert all(t.resp_name == "OKAY" and t.addr + t.nbytes <= plat.memory.size for t in dma), dma

    await sh("ifconfig nic0 destroy")
    assert [i.if_xname for i in iopkt.ifnet] == ["nic1"]
    assert "devnp-nic.so" in iopkt.dlls, "the driver must stay loaded while nic1 uses it"
    sc1 = iopkt.alldevs[0]
    sent = sc1.stats.octets_txed_ok
    assert await send_over_cable(iopkt, "nic1", MAC0, "10.0.0.1", b"nobody home") == 0
    await cocotb.triggers.Timer(5, "us")
    await iopkt.stack_call(devnp_nic.transmit.nic_harvest, sc1)
    assert sc1.stats.octets_txed_ok > sent  # nic1 still transmits after nic0 went

    await sh("ifconfig nic1 destroy")
    sock.close()
    after = iopkt.live_resources()
    assert "devnp-nic.so" not in iopkt.dlls
    assert not after.differs_from(before), f"left behind: {after} (before: {before})"
    if plat.dma_checker is not None:
        plat.dma_checker.finish()
