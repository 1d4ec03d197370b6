"""Interface requests: what the stack handles itself (SIOCSIFCAP, destroy),
what it passes to the driver (media, SIOCGDRVCOM), and the errno of bad ones."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

from iopkt.kern.diag import DriverBug
from iopkt.kern.errno import EINVAL, ENOTTY, EOK, EOPNOTSUPP
from iopkt.kern.mbuf import M_CSUM_IPv4, M_CSUM_UDPv4
from iopkt.net.if_ import (
    SIOCADDMULTI,
    SIOCGDRVCOM,
    SIOCGIFCAP,
    SIOCGIFMEDIA,
    SIOCSIFCAP,
    SIOCSIFFLAGS,
    SIOCSIFMEDIA,
    SIOCSIFMTU,
    IFCAP_CSUM_IPv4,
    IFCAP_CSUM_TCPv4,
    IFCAP_CSUM_UDPv4,
    IfCapReq,
    ifioctl,
)
from iopkt.net.if_ether import ether_ioctl
from iopkt.net.if_media import (
    IFM_100_TX,
    IFM_1000_T,
    IFM_ACTIVE,
    IFM_AUTO,
    IFM_AVALID,
    IFM_ETHER,
    IFM_FDX,
    Ifmedia,
    IfMediaReq,
    ifmedia_add,
    ifmedia_init,
    ifmedia_ioctl,
    ifmedia_set,
)
from iopkt.net.nicinfo import (
    DRVCOM_CONFIG,
    DRVCOM_STATS,
    IfDrvCom,
    NicConfig,
    NicStats,
    drvcom_config_stats,
    sizeof,
)
from iopkt.netinet import udp_socket
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import IP_B, two_hosts


@pytest.fixture
def h():
    hosts = two_hosts()
    yield hosts
    hosts.finish()


def ioctl(h, cmd, data, ifp=None):
    ifp = ifp or h.sca.ifp
    return h.run(h.a.stack_call(ifioctl, ifp, cmd, data))


def _count_init_stop(h):
    calls = []
    ifp = h.sca.ifp
    init, stop = ifp.if_init, ifp.if_stop
    ifp.if_init = lambda i: (calls.append("init"), init(i))[1]
    ifp.if_stop = lambda i, d: (calls.append("stop"), stop(i, d))[1]
    return calls


def test_sifcap_outside_capabilities_is_einval(h):
    assert ioctl(h, SIOCSIFCAP, IfCapReq(0, IFCAP_CSUM_TCPv4)) == EINVAL
    assert ioctl(h, SIOCSIFCAP, IfCapReq(IFCAP_CSUM_IPv4, 0)) == EINVAL  # nothing offered for rx
    assert ioctl(h, SIOCSIFCAP, "7") == EINVAL  # malformed


def test_sifcap_on_a_running_interface_stops_sets_and_inits(h):
    calls = _count_init_stop(h)
    assert ioctl(h, SIOCSIFCAP, IfCapReq(0, IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4)) == EOK
    assert calls == ["stop", "init"]
    assert h.sca.ifp.if_capenable_tx == IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4
    assert ioctl(h, SIOCSIFCAP, IfCapReq(0, IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4)) == EOK
    assert calls == ["stop", "init"]  # no change, no restart
    req = IfCapReq()
    assert ioctl(h, SIOCGIFCAP, req) == EOK
    assert (req.ifcr_capabilities_tx, req.ifcr_capenable_tx) == (IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4,) * 2


def test_ifconfig_capability_words(h):
    r = h.run(run_command(h.a, "ifconfig nic0 udp4csum"))
    assert (r.status, r.output) == (1, ["ifconfig: SIOCSIFCAP: Invalid argument"])  # rx not offered
    h.sca.ifp.if_capabilities_rx = IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4
    assert h.run(run_command(h.a, "ifconfig nic0 ip4csum udp4csum")).status == 0
    out = h.run(run_command(h.a, "ifconfig -v nic0")).output
    assert "\tenabled rx=5<IP4CSUM,UDP4CSUM> tx=5<IP4CSUM,UDP4CSUM>" in out
    assert h.run(run_command(h.a, "ifconfig nic0 -ip4csum")).status == 0
    assert h.sca.ifp.if_capenable_tx == IFCAP_CSUM_UDPv4


def test_transmit_checksum_offload_leaves_the_sums_to_the_driver(h):
    """With IPv4/UDP tx offload enabled the stack sends a zero IP checksum and a
    UDP checksum seeded with the pseudo-header, and flags the mbuf; the "NIC"
    completes both and the peer (and scapy) find them correct."""
    assert ioctl(h, SIOCSIFCAP, IfCapReq(0, IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4)) == EOK

    async def exchange():
        rx = await udp_socket(h.b)
        rx.bind(7000)
        tx = await udp_socket(h.a)
        await tx.sendto(b"offloaded", (IP_B, 7000))
        return await rx.recvfrom(10**9)

    data, _ = h.run(exchange())
    assert data == b"offloaded"
    sent = [f for f in h.wire.frames if f.src == "nic0" and f.as_queued[12:14] == b"\x08\x00"
            and f.csum_flags]
    assert len(sent) == 1 and sent[0].csum_flags == M_CSUM_IPv4 | M_CSUM_UDPv4
    queued = Ether(sent[0].as_queued)
    assert queued[IP].chksum == 0
    src, dst = (int.from_bytes(bytes(map(int, a.split("."))), "big") for a in (queued[IP].src, queued[IP].dst))
    seed = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + 17 + queued[UDP].len
    while seed >> 16:
        seed = (seed & 0xFFFF) + (seed >> 16)
    assert queued[UDP].chksum == seed
    assert _scapy_sums_agree(sent[0].data)


def _scapy_sums_agree(frame: bytes) -> bool:
    e = Ether(frame)
    have = (e[IP].chksum, e[UDP].chksum)
    del e[IP].chksum
    del e[UDP].chksum
    redo = Ether(bytes(e))
    return (redo[IP].chksum, redo[UDP].chksum) == have


def test_without_offload_the_stack_computes_both_sums(h):
    async def send():
        tx = await udp_socket(h.a)
        await tx.sendto(b"soft", (IP_B, 7001))
        await h.platform.sleep(10**6)

    h.run(send())
    f = [f for f in h.wire.frames if f.src == "nic0" and UDP in Ether(f.data)][0]
    assert f.csum_flags == 0 and f.as_queued == f.data
    assert _scapy_sums_agree(f.data)


@pytest.mark.parametrize("cmd, data, err", [
    (0xC0206999, None, ENOTTY),  # a request nobody knows
    (SIOCSIFFLAGS, "up", EINVAL),
    (SIOCSIFMTU, None, EINVAL),
    (SIOCSIFMTU, 20, EINVAL),
    (SIOCADDMULTI, "01:00:5e:00:00:01", EINVAL),
    (SIOCGIFMEDIA, IfMediaReq(), ENOTTY),  # this driver has no media
    (SIOCGDRVCOM, IfDrvCom("nic0", DRVCOM_CONFIG, sizeof(NicConfig)), ENOTTY),  # nor nicinfo support
])
def test_unknown_or_malformed_requests_get_io_pkts_errno(h, cmd, data, err):
    assert ioctl(h, cmd, data) == err


class _MediaDriver:
    """The ``bsd_media.c`` and ``devctl.c`` a driver writes, over the stack helpers."""

    def __init__(self, ifp):
        self.ifm = Ifmedia()
        self.changes = []
        self.cfg = NicConfig(mtu=1514, mru=1514, current_address=ifp.if_lladdr)
        self.stats = NicStats(txed_ok=3)
        ifmedia_init(self.ifm, 0, self.change, self.status)
        for word in (IFM_AUTO, IFM_100_TX | IFM_FDX, IFM_1000_T | IFM_FDX):
            ifmedia_add(self.ifm, IFM_ETHER | word, 0, None)
        ifmedia_set(self.ifm, IFM_ETHER | IFM_AUTO)
        self.ifp = ifp
        ifp.if_ioctl = self.ioctl

    def change(self, ifp):
        self.changes.append(self.ifm.ifm_media)
        return EOK

    def status(self, ifp, ifmr):
        ifmr.ifm_status = IFM_AVALID | IFM_ACTIVE
        ifmr.ifm_active = IFM_ETHER | IFM_1000_T | IFM_FDX

    async def ioctl(self, ifp, cmd, data):
        if cmd in (SIOCGIFMEDIA, SIOCSIFMEDIA):
            return await ifmedia_ioctl(ifp, data, self.ifm, cmd)
        if cmd == SIOCGDRVCOM:
            return drvcom_config_stats(data, self.cfg, self.stats)
        return await ether_ioctl(ifp, cmd, data)


def test_media_get_set_and_unknown_word(h):
    drv = _MediaDriver(h.sca.ifp)
    req = IfMediaReq()
    assert ioctl(h, SIOCGIFMEDIA, req) == EOK
    assert req.ifm_current == IFM_ETHER | IFM_AUTO and req.ifm_status == IFM_AVALID | IFM_ACTIVE
    assert req.ifm_active == IFM_ETHER | IFM_1000_T | IFM_FDX and req.ifm_count == 3
    assert ioctl(h, SIOCSIFMEDIA, IFM_ETHER | IFM_100_TX | IFM_FDX) == EOK
    assert ioctl(h, SIOCSIFMEDIA, IFM_ETHER | IFM_100_TX | IFM_FDX) == EOK
    assert drv.changes == [IFM_ETHER | IFM_100_TX | IFM_FDX]  # asking again does not touch the PHY
    assert ioctl(h, SIOCSIFMEDIA, IFM_ETHER | IFM_1000_T) == EINVAL  # half duplex gigabit was never added
    r = h.run(run_command(h.a, "ifconfig -m nic0")).output
    assert "\tmedia: Ethernet 100baseTX full-duplex (1000baseT full-duplex)" in r
    assert r[-4:] == ["\tsupported Ethernet media:", "\t\tmedia autoselect",
                      "\t\tmedia 100baseTX mediaopt full-duplex", "\t\tmedia 1000baseT mediaopt full-duplex"]
    bad = h.run(run_command(h.a, "ifconfig nic0 media 2000baseQ"))
    assert bad.status == 1 and bad.output[0] == "ifconfig: 2000baseQ: bad value"


def test_ifmedia_set_of_a_word_never_added_is_a_driver_bug():
    ifm = Ifmedia()
    ifmedia_init(ifm, 0, None, None)
    with pytest.raises(DriverBug, match="ifmedia_set: no match"):
        ifmedia_set(ifm, IFM_ETHER | IFM_AUTO)


def test_drvcom_length_and_subcommand_rules(h):
    _MediaDriver(h.sca.ifp)
    good = IfDrvCom("nic0", DRVCOM_CONFIG, sizeof(NicConfig))
    assert ioctl(h, SIOCGDRVCOM, good) == EOK and good.ifdc_data.mtu == 1514
    stats = IfDrvCom("nic0", DRVCOM_STATS, sizeof(NicStats))
    assert ioctl(h, SIOCGDRVCOM, stats) == EOK and stats.ifdc_data.txed_ok == 3
    assert ioctl(h, SIOCGDRVCOM, IfDrvCom("nic0", DRVCOM_STATS, sizeof(NicConfig))) == EINVAL
    assert ioctl(h, SIOCGDRVCOM, IfDrvCom("nic0", 99, 4)) == EOPNOTSUPP
    out = h.run(run_command(h.a, "nicinfo nic0")).output
    assert out[0] == "nic0:" and "  Packets Transmitted OK ...................... 3" in out


@pytest.mark.parametrize("line, out", [
    ("nicinfo nic0", ["nicinfo: nic0: SIOCGDRVCOM: Inappropriate I/O control operation"]),
    ("nicinfo nic7", ["nicinfo: Unable to open interface nic7: No such device"]),
    ("nicinfo -x", ["usage: nicinfo [interface]"]),
])
def test_nicinfo_errors(h, line, out):
    r = h.run(run_command(h.a, line))
    assert (r.status, r.output) == (1, out)


def test_sifflags_up_and_down_call_if_init_and_if_stop_and_sifmtu_calls_if_init_again(h):
    """The guide: if_init is called over and over (up, a new MTU, flags on a
    running interface); down calls if_stop."""
    from iopkt.net.if_ import IFF_RUNNING, IFF_UP

    calls = _count_init_stop(h)
    ifp = h.sca.ifp
    assert ioctl(h, SIOCSIFMTU, 1400) == EOK
    assert calls == ["init"] and ifp.if_mtu == 1400  # running: init again with the new MTU
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags & ~IFF_UP) == EOK
    assert calls == ["init", "stop"] and not ifp.if_flags_tx & IFF_RUNNING
    assert ioctl(h, SIOCSIFMTU, 1300) == EOK
    assert calls == ["init", "stop"]  # down: the next init picks the MTU up
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags | IFF_UP) == EOK
    assert calls == ["init", "stop", "init"] and ifp.if_flags_tx & IFF_RUNNING
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags | IFF_UP) == EOK
    assert calls == ["init", "stop", "init", "init"]  # up and running: init again for the other flags
