"""One host owning both NICs of nic_pair_tb (their cable loops back to the
same machine): two devices of one driver, traffic between them, then the
guide's detach rules: `ifconfig destroy` of the first leaves the driver
loaded, of the last unloads it, and nothing is left behind."""

from __future__ import annotations

import cocotb
from scapy.layers.inet import IP, UDP

import devnp_nic  # registers devnp-nic.so
import devnp_nic.transmit
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.mbuf import m_devget
from iopkt.net.if_ import ifunit
from iopkt.net.if_ether import ETHERTYPE_IP, ether_output
from iopkt.netinet import inet_attach, udp_socket
from iopkt.sbin.shell import run_command
from nicsim import testing
from nicsim.dma_checker import attach_dma_checker
from nicsim.host_platform import CocotbPlatform
from nicsim.nic_harness import start_clock_and_reset

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)

MAC0 = bytes.fromhex("020000000c00")
MAC1 = bytes.fromhex("020000000c01")


async def _send_raw(iopkt, out_if: str, dst_mac: bytes, dst_ip: str, payload: bytes) -> int:
    """A UDP datagram out of one interface to the other's address, by
    ether_output: the stack would deliver a local address without the wire."""
    datagram = bytes(IP(src="10.0.0.9", dst=dst_ip) / UDP(sport=9000, dport=9000) / payload)
    ifp = ifunit(iopkt, out_if)

    async def send():
        return await ether_output(ifp, m_devget(iopkt.mbufs, datagram), dst_mac, ETHERTYPE_IP)

    return await iopkt.stack_call(send)


@testing.test()
async def test_two_nics_one_driver_destroy_one_by_one(dut):
    """Both NICs attach as nic0/nic1 from one mount; frames cross the cable between
    them, both NICs DMAing into the host's one memory (its transaction log shows
    both ports, every burst OKAY); destroying nic0 keeps the driver loaded and nic1
    working; destroying nic1 unloads it and returns the host to what it was before
    the mount."""
    await start_clock_and_reset(dut)
    plat = CocotbPlatform(dut, "a", MAC0, irq_number=10, more=(("b", MAC1, 11),))
    iopkt = IoPkt(plat, name="io-pkt@host")
    await inet_attach(iopkt)
    before = iopkt.live_resources()
    checker = attach_dma_checker(plat, iopkt)
    out = []

    async def sh(line: str):
        res = await run_command(iopkt, line, out=out.append)
        assert res.status == 0, res.text
        return res

    await sh("mount -T io-pkt /lib/dll/devnp-nic.so")
    assert sorted(i.if_xname for i in iopkt.ifnet) == ["nic0", "nic1"]
    await sh("ifconfig nic0 10.0.0.1/24 up")
    await sh("ifconfig nic1 10.0.0.2/24 up")
    sock = await udp_socket(iopkt)
    sock.bind(9000)
    log = plat.dma_log()
    assert await _send_raw(iopkt, "nic1", MAC0, "10.0.0.1", b"over the cable") == 0
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
    assert await _send_raw(iopkt, "nic1", MAC0, "10.0.0.1", b"nobody home") == 0
    await cocotb.triggers.Timer(5, "us")
    await iopkt.stack_call(devnp_nic.transmit.nic_harvest, sc1)
    assert sc1.stats.octets_txed_ok > sent  # nic1 still transmits after nic0 went

    await sh("ifconfig nic1 destroy")
    sock.close()
    after = iopkt.live_resources()
    assert "devnp-nic.so" not in iopkt.dlls
    assert not after.differs_from(before), f"left behind: {after} (before: {before})"
    if checker is not None:
        checker.finish()
