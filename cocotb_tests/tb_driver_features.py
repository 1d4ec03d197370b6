"""The devnp-nic driver's features against the live RTL, through io-pkt's
own interfaces: nicinfo, media and the PHY, the multicast filter, jumbo
frames, checksum offload. Two hosts on nic_pair_tb, as in tb_two_hosts."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import cocotb
from scapy.layers.inet import IP, UDP

from devnp_nic.mii import BMCR_AUTOEN, BMCR_FDX, BMCR_SPEED0, BMCR_STARTNEG, MII_BMCR, mii_write
from iopkt.kern.mbuf import m_devget
from iopkt.net.if_ import SIOCADDMULTI, SIOCDELMULTI
from iopkt.net.if_ether import ETHERTYPE_IP, ether_output
from iopkt.netinet import udp_socket
from nicdef import regs as R
from nicsim import testing
from nicsim.two_hosts import bring_up_pair, build_hosts, driver_vs_nic_counters

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)


@testing.test()
async def test_nicinfo_reports_the_nic_counters(dut):
    """nicinfo shows the PHY-resolved media and counts that equal the NIC's registers."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    assert (await hosts.sh("hostA", "ping -c 4 -i 0.00005 10.0.0.2")).value.received == 4
    res = await hosts.sh("hostB", "nicinfo nic0")
    assert res.status == 0, res.text
    text = res.text
    rows = {line.split(" ..")[0].strip(): line.rsplit(" ", 1)[-1] for line in res.output if " .." in line}
    assert "Link is UP" in text and "1000.00 Mb/s full-duplex" in text, text
    assert "020000 000B01" in text, text  # nicinfo prints 02:00:00:00:0b:01 so
    # the description names the driver's release: the newest one in the changelog
    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
    release = re.search(r"^## (\d+\.\d+\.\d+)", changelog, re.M)[1]
    assert f"devnp-nic {release}" in res.output[1], text
    b = hosts.by_name["hostB"]
    counters = await driver_vs_nic_counters(b)
    assert all(d == n for d, n in counters.values()), counters
    sc = b.alldevs[0]
    assert int(rows["Packets Received OK"]) == counters["rxed_ok"][1], text
    assert int(rows["Bytes Transmitted OK"]) == counters["octets_txed_ok"][1], text
    # broadcast: the ARP request A sent; the NIC counts it, and nicinfo shows it
    assert await sc.regs.read32(R.REG_STAT_RX_BCAST) >= 1
    await hosts.teardown()


@testing.test()
async def test_media_follows_the_phy(dut):
    """ifconfig -v shows 1000baseT full-duplex from the PHY; forcing 100baseTX on
    both ends renegotiates, the MAC is re-clocked, and traffic still passes, slower."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    res = await hosts.sh("hostA", "ifconfig -v nic0")
    assert "1000baseT" in res.text and "active" in res.text, res.text
    fast = (await hosts.sh("hostA", "ping -c 2 -s 1000 -i 0.00005 10.0.0.2")).value
    for host in ("hostA", "hostB"):
        res = await hosts.sh(host, "ifconfig nic0 media 100baseTX mediaopt full-duplex")
        assert res.status == 0, res.text
    await cocotb.triggers.Timer(10, "us")  # the PHYs renegotiate (a few microseconds here)
    for host in ("hostA", "hostB"):
        res = await hosts.sh(host, "ifconfig -v nic0")
        assert "100baseTX" in res.text, res.text
        sc = hosts.by_name[host].alldevs[0]
        ctrl = await sc.regs.read32(R.REG_CTRL)
        assert (ctrl & R.CTRL_SPEED) >> R.CTRL_SPEED_SHIFT == R.SPEED_100
    slow = (await hosts.sh("hostA", "ping -c 2 -s 1000 -i 0.00005 -W 0.001 10.0.0.2")).value
    assert slow.received == 2, slow
    # ten times the byte time on the wire: the round trip grows accordingly
    assert min(slow.rtts_ns) > 5 * min(fast.rtts_ns)
    await hosts.teardown()


async def _speeds_and_ping(hosts, want_speed: int, media: str) -> None:
    """After a renegotiation: both drivers clock their MAC at ``want_speed`` (CTRL.SPEED), ifconfig shows
    ``media`` on both, and three pings all come back."""
    # the PHYs renegotiate and each LINK interrupt reaches its driver, which reads the PHY over MDIO
    # (seven reads of 25.6 us at the reset MDC divider) and re-clocks the MAC
    for host in ("hostA", "hostB"):
        sc = hosts.by_name[host].alldevs[0]
        for _ in range(100):
            await cocotb.triggers.Timer(20, "us")
            ctrl = await sc.regs.read32(R.REG_CTRL)
            if (ctrl & R.CTRL_SPEED) >> R.CTRL_SPEED_SHIFT == want_speed and sc.link_up:
                break
        assert (ctrl & R.CTRL_SPEED) >> R.CTRL_SPEED_SHIFT == want_speed, (host, hex(ctrl))
        res = await hosts.sh(host, "ifconfig -v nic0")
        assert media in res.text and "active" in res.text, res.text
    ping = (await hosts.sh("hostA", "ping -c 3 -i 0.00005 -W 0.002 10.0.0.2")).value
    assert ping.received == 3, ping


@testing.test()
async def test_media_follows_what_the_phys_resolve(dut):
    """The partner's PHY stops offering 1000 Mb/s (the testbench withholds it): both PHYs resolve 100FD, both
    drivers re-clock their MAC at 100 from the PHY's registers and ping works; after a cable pull and replug
    still at 100; B's PHY forced to 100 through BMCR (A finds it by parallel detection); back to
    auto-negotiation and the withhold lifted: 1000 again."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    await _speeds_and_ping(hosts, R.SPEED_1000, "1000baseT")
    dut.phy_b_adv_withhold.value = 0b100  # {1000FD, 100FD, 10FD}
    await _speeds_and_ping(hosts, R.SPEED_100, "100baseTX")
    dut.cable_pull.value = 1
    await cocotb.triggers.Timer(10, "us")
    dut.cable_pull.value = 0
    await _speeds_and_ping(hosts, R.SPEED_100, "100baseTX")
    dut.phy_b_adv_withhold.value = 0
    await _speeds_and_ping(hosts, R.SPEED_1000, "1000baseT")
    b = hosts.by_name["hostB"]
    sc = b.alldevs[0]
    await b.stack_call(mii_write, sc, sc.phy, MII_BMCR, BMCR_SPEED0 | BMCR_FDX)  # AN off, 100 full duplex
    await _speeds_and_ping(hosts, R.SPEED_100, "100baseTX")
    await b.stack_call(mii_write, sc, sc.phy, MII_BMCR, BMCR_AUTOEN | BMCR_STARTNEG)
    await _speeds_and_ping(hosts, R.SPEED_1000, "1000baseT")
    await hosts.teardown()


def _group_bin(mac: bytes) -> int:
    # the datasheet's hash from zlib: ether_crc32_le is the CRC without its final inversion
    return ((zlib.crc32(mac) ^ 0xFFFFFFFF) & 0xFFFFFFFF) >> 26


@testing.test()
async def test_multicast_filter_from_the_group_list(dut):
    """SIOCADDMULTI programs the hash bit zlib's CRC-32 predicts; a frame to that
    group reaches the stack, and after SIOCDELMULTI the NIC drops it."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    a, b = hosts.by_name["hostA"], hosts.by_name["hostB"]
    group = bytes.fromhex("01005e0a0b0c")
    bifp, aifp = b.ifnet[0], a.ifnet[0]
    sc = b.alldevs[0]
    assert await b.stack_call(bifp.if_ioctl, bifp, SIOCADDMULTI, group) == 0
    table = await sc.regs.read32(R.REG_MC_HASH_LO) | await sc.regs.read32(R.REG_MC_HASH_HI) << 32
    assert table == 1 << _group_bin(group)
    rx = await udp_socket(b)
    rx.bind(7001)
    datagram = bytes(IP(src="10.0.0.1", dst="10.0.0.2", ttl=64) / UDP(sport=7001, dport=7001) / b"to the group")

    async def send():
        m = m_devget(a.mbufs, datagram)
        return await ether_output(aifp, m, group, ETHERTYPE_IP)

    assert await a.stack_call(send) == 0
    data, _ = await rx.recvfrom(timeout_ns=200_000)
    assert data == b"to the group"
    filtered = await sc.regs.read32(R.REG_STAT_RX_FILTERED)
    assert await b.stack_call(bifp.if_ioctl, bifp, SIOCDELMULTI, group) == 0
    assert await sc.regs.read32(R.REG_MC_HASH_LO) == 0 and await sc.regs.read32(R.REG_MC_HASH_HI) == 0
    assert await a.stack_call(send) == 0
    try:
        await rx.recvfrom(timeout_ns=100_000)
        raise AssertionError("a frame to a group B left was delivered")
    except TimeoutError:
        pass
    assert await sc.regs.read32(R.REG_STAT_RX_FILTERED) == filtered + 1
    await hosts.teardown()


@testing.test()
async def test_jumbo_frames_with_mtu_9000(dut):
    """ifconfig mtu 9000 on both hosts: an 8000-byte ping crosses in one frame,
    received in several 2 KiB buffers and handed up as one chain."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    for host in ("hostA", "hostB"):
        res = await hosts.sh(host, "ifconfig nic0 mtu 9000")
        assert res.status == 0, res.text
        sc = hosts.by_name[host].alldevs[0]
        assert await sc.regs.read32(R.REG_MAX_FRAME_LEN) == 9000 + 22
    res = await hosts.sh("hostA", "ping -c 2 -s 8000 -i 0.00005 -W 0.002 10.0.0.2")
    assert res.value.received == 2 and res.value.payload_mismatches == 0, res.text
    b = hosts.by_name["hostB"]
    sc = b.alldevs[0]
    assert sc.stats.octets_rxed_ok >= 2 * 8000
    counters = await driver_vs_nic_counters(b)
    assert all(d == n for d, n in counters.values()), counters
    await hosts.teardown()


@testing.test()
async def test_checksum_offload_both_ways(dut):
    """A inserts checksums in hardware (ifconfig ip4csum udp4csum); B, with
    offload off, verifies every one in software; then B verifies in hardware."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    a, b = hosts.by_name["hostA"], hosts.by_name["hostB"]
    res = await hosts.sh("hostA", "ifconfig nic0 ip4csum udp4csum")
    assert res.status == 0, res.text
    assert a.ifnet[0].if_capenable_tx & 0x5 == 0x5
    assert (await hosts.sh("hostA", "ping -c 1 10.0.0.2")).value.received == 1  # resolve ARP
    rx = await udp_socket(b)
    rx.bind(7002)
    tx = await udp_socket(a)
    for i in range(5):
        await tx.sendto(bytes([i]) * (20 + 7 * i), ("10.0.0.2", 7002))
    for i in range(5):
        data, _ = await rx.recvfrom(timeout_ns=200_000)
        assert data == bytes([i]) * (20 + 7 * i)
    assert b.inet.udpstat.udps_badsum == 0 and b.inet.ipstat.ips_badsum == 0
    res = await hosts.sh("hostB", "ifconfig nic0 ip4csum udp4csum")
    assert res.status == 0, res.text
    for i in range(3):
        await tx.sendto(b"hw verified %d" % i, ("10.0.0.2", 7002))
        data, _ = await rx.recvfrom(timeout_ns=200_000)
        assert data == b"hw verified %d" % i
    await hosts.teardown()
