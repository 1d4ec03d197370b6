"""io-pkt kernel behaviours checked one by one: the mbuf
allocation macros and flags, the multicast list through ether_ioctl, shutdown
hooks' order, and the leak check seeing every kind of resource a driver holds."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import Ether

from iopkt.kern.callout import Callout, callout_init, callout_msec, callout_stop
from iopkt.kern.diag import MbufError
from iopkt.kern.errno import EINVAL, ENETRESET, ENOENT, EOK
from iopkt.kern.intr import InterruptAttach, InterruptDetach, IopktInter, interrupt_entry_init
from iopkt.kern.iopkt import IoPkt
from iopkt.kern.mbuf import (
    M_BCAST,
    M_CSUM_DATA,
    M_CSUM_TCP_UDP_BAD,
    M_DONTWAIT,
    M_EXT,
    M_MCAST,
    M_PKTHDR,
    MCLBYTES,
    MCLGET,
    MGETHDR,
    MHLEN,
    MT_DATA,
    M_CSUM_IPv4,
    M_CSUM_IPv4_BAD,
    M_CSUM_TCPv4,
    M_CSUM_UDPv4,
    m_devget,
    m_free,
    m_freem,
    m_getcl,
    mtod,
)
from iopkt.kern.shutdown import shutdownhook_disestablish, shutdownhook_establish
from iopkt.net.if_ import SIOCADDMULTI, SIOCDELMULTI
from iopkt.net.if_ether import ETHER_FIRST_MULTI, ETHER_NEXT_MULTI, EtherMultiStep, ether_ioctl
from iopkt.platform.virtual import VirtualIrqLine, VirtualPlatform
from iopkt.tests.hosts import two_hosts


@pytest.fixture
def env():
    p = VirtualPlatform()
    yield p, IoPkt(p)
    p.close()


# -- mbufs -----------------------------------------------------------------------------

def test_mgethdr_then_mclget_gives_a_cluster_in_host_memory_and_mtod_is_its_address(env):
    _, iopkt = env
    pool = iopkt.mbufs
    m = MGETHDR(pool, M_DONTWAIT, MT_DATA)
    assert m.m_flags & M_PKTHDR and not m.m_flags & M_EXT and m.m_pkthdr is not None
    assert m.trailing_space() == MHLEN  # a header mbuf's own small data area
    MCLGET(m, M_DONTWAIT)
    assert m.m_flags & M_EXT and m.ext_size == MCLBYTES and mtod(m) == m.ext_buf
    assert pool.mbufs_in_use == 1 and pool.clusters_in_use == 1
    pool.memory.write(mtod(m), b"DMA here")  # what the NIC would do
    m.m_len = m.m_pkthdr.len = 8
    assert m.bytes() == b"DMA here"
    assert m_free(m) is None
    assert pool.mbufs_in_use == 0 and pool.clusters_in_use == 0


def test_a_use_after_free_and_an_exhausted_cluster_pool_are_caught():
    p = VirtualPlatform()
    small = IoPkt(p, nclusters=1)
    a = m_getcl(small.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)
    assert a is not None and m_getcl(small.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR) is None  # no cluster: NULL
    assert small.mbufs.mbufs_in_use == 1  # the failed m_getcl gave its mbuf back
    m_freem(a)
    with pytest.raises(MbufError, match="freed"):
        mtod(a)
    with pytest.raises(MbufError, match="double free"):
        m_freem(a)
    p.close()


def test_checksum_flag_values_are_io_pkts():
    assert (M_CSUM_TCPv4, M_CSUM_UDPv4, M_CSUM_TCP_UDP_BAD, M_CSUM_DATA, M_CSUM_IPv4, M_CSUM_IPv4_BAD) == \
        (0x1, 0x2, 0x4, 0x8, 0x40, 0x80)


def test_received_broadcast_and_multicast_frames_are_flagged_m_bcast_and_m_mcast():
    h = two_hosts()
    seen = []

    async def proto(ifp, m):
        seen.append(m.m_flags & (M_BCAST | M_MCAST))
        m_freem(m)

    h.b.protocols[0x88B5] = proto
    for dst in ("ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "02:00:00:00:00:02"):
        frame = bytes(Ether(dst=dst, src="02:00:00:00:00:01", type=0x88B5) / (b"\0" * 46))
        h.run(h.wire.inject(h.scb, frame))
    assert seen == [M_BCAST, M_MCAST, 0]
    h.finish()


# -- multicast through ether_ioctl --------------------------------------------------------

def test_addmulti_delmulti_return_enetreset_only_when_the_list_really_changes():
    h = two_hosts()
    ifp = h.sca.ifp
    g1, g2 = bytes.fromhex("01005e000001"), bytes.fromhex("01005e000002")

    async def go():
        r = [await ether_ioctl(ifp, SIOCADDMULTI, g1),
             await ether_ioctl(ifp, SIOCADDMULTI, g1),  # duplicate: refcount only
             await ether_ioctl(ifp, SIOCADDMULTI, g2),
             await ether_ioctl(ifp, SIOCADDMULTI, (g1, g2))]  # a range
        step = EtherMultiStep()
        walked = []
        enm = ETHER_FIRST_MULTI(step, ifp.ec)
        while enm is not None:
            walked.append((enm.enm_addrlo.hex(), enm.enm_addrhi.hex(), enm.enm_refcount))
            enm = ETHER_NEXT_MULTI(step)
        r += [await ether_ioctl(ifp, SIOCDELMULTI, g1),  # one reference left
              await ether_ioctl(ifp, SIOCDELMULTI, g1),  # gone now
              await ether_ioctl(ifp, SIOCDELMULTI, g1),  # not there
              await ether_ioctl(ifp, SIOCADDMULTI, bytes.fromhex("020000000009"))]  # not multicast
        return r, walked

    r, walked = h.run(h.a.stack_call(go))
    assert r == [ENETRESET, EOK, ENETRESET, ENETRESET, EOK, ENETRESET, ENOENT, EINVAL]
    assert walked == [("01005e000001", "01005e000001", 2), ("01005e000002", "01005e000002", 1),
                      ("01005e000001", "01005e000002", 1)]
    h.finish()


# -- shutdown hooks -----------------------------------------------------------------------

def test_shutdown_hooks_run_last_in_first_out_at_exit_and_disestablished_ones_do_not(env):
    p, iopkt = env
    ran = []

    async def main():
        shutdownhook_establish(iopkt, ran.append, "first")
        gone = shutdownhook_establish(iopkt, ran.append, "detached")
        shutdownhook_establish(iopkt, ran.append, "second")
        shutdownhook_establish(iopkt, ran.append, "third")
        shutdownhook_disestablish(iopkt, gone)  # the driver's detach

    p.run(iopkt.stack_call(main))
    p.run(iopkt.exit())
    assert ran == ["third", "second", "first"]
    assert iopkt.live_resources().shutdown_hooks == 0


# -- the leak check behind the guide's 100-round test ----------------------------------------

def test_the_leak_check_names_every_kind_of_resource_left_behind(env):
    """devnp_sam's 100-round test relies on ``differs_from``; sam itself has
    no callouts or threads, so here each kind is left behind on purpose."""
    p, iopkt = env
    line = VirtualIrqLine()
    p.irq_lines[11] = line
    base = iopkt.live_resources()
    c = Callout()
    keep = {}

    async def leak():
        keep["m"] = m_devget(iopkt.mbufs, b"x" * 60)
        keep["cl"] = m_getcl(iopkt.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)
        callout_init(c, iopkt)
        callout_msec(c, 1000, lambda arg: None, None)
        keep["ient"] = IopktInter(name="leaky0")
        interrupt_entry_init(iopkt, keep["ient"])
        keep["iid"] = InterruptAttach(iopkt, 11, lambda area, iid: None, None)
        keep["hook"] = shutdownhook_establish(iopkt, lambda arg: None, None)

    p.run(iopkt.stack_call(leak))
    left = iopkt.live_resources().differs_from(base)
    kinds = [line.split(":")[0] for line in left]
    assert kinds == ["mbufs", "clusters", "shutdown_hooks", "callouts", "interrupt_entries", "interrupt_handlers"]

    async def tidy():
        m_freem(keep["m"])
        m_freem(keep["cl"])
        callout_stop(c)
        iopkt.interrupt_entries.discard(keep["ient"])
        InterruptDetach(iopkt, keep["iid"])
        shutdownhook_disestablish(iopkt, keep["hook"])

    p.run(iopkt.stack_call(tidy))
    assert iopkt.live_resources().differs_from(base) == []


def test_the_leak_check_sees_a_driver_thread_and_its_device(env):
    from iopkt.tests.test_threads import attach

    p, iopkt = env
    base = iopkt.live_resources()
    attach(p, iopkt)  # devnp-abc100 with its "abc0 Rx" thread
    assert iopkt.live_resources().differs_from(base) == ["threads: ['abc0 Rx']", "devices: ['abc0']"]
