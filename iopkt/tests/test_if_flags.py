"""SIOCSIFFLAGS as NetBSD and io-pkt do it.

``ifioctl_common`` stores the flags, keeping ``IFF_CANTCHANGE`` (NetBSD
``net/if.h``; RUNNING and OACTIVE live in ``if_flags_tx``); then
``ether_ioctl`` (``net/if_ethersubr.c``) switches on UP and RUNNING: UP alone
is ``if_init``, RUNNING alone ``if_stop(ifp, 1)``, both ``if_init`` again,
neither nothing. The state decides, so an ``up`` whose init failed can be
retried; ``ifconfig`` always issues the request, as NetBSD's ``setifflags``.
"""

from __future__ import annotations

import pytest

import devnp_sam  # noqa: F401  (registers devnp-sam.so)
from iopkt.kern.errno import EINVAL, ENOBUFS, EOK
from iopkt.kern.mbuf import M_DONTWAIT, M_PKTHDR, MT_DATA, m_freem, m_getcl
from iopkt.net.if_ import (
    IFF_ALLMULTI,
    IFF_BROADCAST,
    IFF_CANTCHANGE,
    IFF_DEBUG,
    IFF_LINK0,
    IFF_MULTICAST,
    IFF_OACTIVE,
    IFF_PROMISC,
    IFF_RUNNING,
    IFF_SIMPLEX,
    IFF_UP,
    SIOCSIFCAP,
    SIOCSIFFLAGS,
    SIOCSIFMTU,
    IFCAP_CSUM_IPv4,
    IfCapReq,
    ifioctl,
    ifunit,
)
from iopkt.net.if_ether import ether_ioctl
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import IP_B, two_hosts
from iopkt.tests.vwire import vwire_init, vwire_stop

ETHER_FLAGS = IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST  # what ether_ifattach sets
RING = 8  # receive buffers the ring driver below takes in init


@pytest.fixture
def h():
    hosts = two_hosts(configure=False)
    assert hosts.run(hosts.configure(hosts.b, "nic0", IP_B)) == EOK
    yield hosts
    hosts.finish()


def sh(h, line):
    return h.run(run_command(h.a, line))


def ioctl(h, cmd, data):
    return h.run(h.a.stack_call(ifioctl, h.sca.ifp, cmd, data))


class RingDriver:
    """vwire with a receive ring, as a descriptor driver has: init fills the
    ring with clusters (``ENOBUFS``, holding none, if the pool runs dry),
    stop gives them back. Records what the stack asks of it."""

    def __init__(self, ifp):
        self.ring = []
        self.calls = []
        self.ioctls = []
        ifp.if_init, ifp.if_stop, ifp.if_ioctl = self.init, self.stop, self.ioctl

    def init(self, ifp):
        self.calls.append("init")
        while len(self.ring) < RING:
            m = m_getcl(ifp.if_iopkt.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)
            if m is None:
                self._drain()
                return ENOBUFS
            self.ring.append(m)
        return vwire_init(ifp)

    def stop(self, ifp, disable):
        self.calls.append(("stop", disable))
        vwire_stop(ifp, disable)
        self._drain()

    async def ioctl(self, ifp, cmd, data):
        self.ioctls.append(cmd)
        return await ether_ioctl(ifp, cmd, data)

    def _drain(self):
        while self.ring:
            m_freem(self.ring.pop())


def _take_every_cluster(iopkt):
    hoard = []
    while (m := m_getcl(iopkt.mbufs, M_DONTWAIT, MT_DATA, M_PKTHDR)) is not None:
        hoard.append(m)
    return hoard


def test_a_failed_up_is_retried_by_the_next_up(h):
    drv = RingDriver(h.sca.ifp)
    hoard = _take_every_cluster(h.a)
    r = sh(h, "ifconfig nic0 up")
    assert (r.status, r.output) == (1, ["ifconfig: SIOCSIFFLAGS: No buffer space available"])
    assert sh(h, "ifconfig nic0").output[0] == "nic0: flags=8803<UP,BROADCAST,SIMPLEX,MULTICAST> mtu 1500"
    for m in hoard:
        m_freem(m)
    assert sh(h, "ifconfig nic0 up").status == 0
    assert drv.calls == ["init", "init"] and len(drv.ring) == RING
    assert sh(h, "ifconfig nic0").output[0] == "nic0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500"
    assert sh(h, "ifconfig nic0 10.0.0.1/24").status == 0
    assert sh(h, f"ping -c 2 {IP_B}").value.received == 2
    assert sh(h, "ifconfig nic0 down").status == 0
    assert drv.calls[-1] == ("stop", 1) and drv.ring == []


@pytest.mark.parametrize("request_, data", [
    ("SIOCSIFFLAGS", lambda ifp: ifp.if_flags | IFF_UP),
    ("SIOCSIFMTU", lambda ifp: 1400),
    ("SIOCSIFCAP", lambda ifp: IfCapReq(0, IFCAP_CSUM_IPv4)),
])
def test_every_request_that_reinitialises_an_up_interface_retries_a_failed_init(h, request_, data):
    """NetBSD keys the re-init on IFF_UP (the MTU in ether_ioctl, capabilities
    in io-pkt's ifioctl), so an interface left up but not running by a failed
    init gets another one from any of them."""
    ifp = h.sca.ifp
    drv = RingDriver(ifp)
    hoard = _take_every_cluster(h.a)
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags | IFF_UP) == ENOBUFS
    for m in hoard:
        m_freem(m)
    cmd = {"SIOCSIFFLAGS": SIOCSIFFLAGS, "SIOCSIFMTU": SIOCSIFMTU, "SIOCSIFCAP": SIOCSIFCAP}[request_]
    assert ioctl(h, cmd, data(ifp)) == EOK
    assert ifp.if_flags_tx & IFF_RUNNING and drv.calls[-1] == "init"
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags & ~IFF_UP) == EOK  # the ring goes back before the leak check


@pytest.mark.parametrize("up, running, want", [
    (False, False, []),
    (True, False, ["init"]),  # marked up, stopped: start it
    (True, True, ["init"]),  # up and running: init again to pick up the other flags
    (False, True, [("stop", 1)]),  # marked down, running: stop and disable
])
def test_up_and_running_decide_what_the_driver_is_asked(h, up, running, want):
    ifp = h.sca.ifp
    drv = RingDriver(ifp)
    if running:
        assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags | IFF_UP) == EOK
    drv.calls.clear()
    assert ioctl(h, SIOCSIFFLAGS, (ifp.if_flags | IFF_UP) if up else (ifp.if_flags & ~IFF_UP)) == EOK
    assert drv.calls == want
    ioctl(h, SIOCSIFFLAGS, ifp.if_flags & ~IFF_UP)


def test_ifconfig_always_issues_sifflags(h):
    drv = RingDriver(h.sca.ifp)
    for line in ("ifconfig nic0 down", "ifconfig nic0 up", "ifconfig nic0 up", "ifconfig nic0 down"):
        assert sh(h, line).status == 0
    assert drv.ioctls.count(SIOCSIFFLAGS) == 4
    assert drv.calls == ["init", "init", ("stop", 1)]


def test_sam_goes_down_and_up_again():
    """sam's stop with disable detaches its interrupt; the next init attaches it."""
    h = two_hosts(configure=False)
    p, iopkt = h.platform, h.a
    assert h.run(run_command(iopkt, "mount -T io-pkt devnp-sam.so")).status == 0
    assert h.run(run_command(iopkt, "ifconfig sam0 10.0.0.1/24")).status == 0
    sam = next(d for d in iopkt.alldevs if d.dv_xname == "sam0")
    assert h.run(run_command(iopkt, "ifconfig sam0 down")).status == 0
    assert iopkt.kernel.attached == [] and not sam.ifp.if_flags_tx & IFF_RUNNING
    assert h.run(run_command(iopkt, "ifconfig sam0 up")).status == 0
    assert [name for _, _, name in iopkt.kernel.attached] == ["sam0"]
    before = sam.sc_intr_cnt
    p.run(for_ns=5_000_000)
    assert sam.sc_intr_cnt > before
    assert h.run(run_command(iopkt, "ifconfig sam0 destroy")).status == 0
    h.finish()


# -- what the flag word may say ----------------------------------------------------------

@pytest.mark.parametrize("bad", [-1, -IFF_UP, 0x10000, 2**64, True, 1.0, "up", None])
def test_a_flag_word_that_is_not_one_is_einval_and_changes_nothing(h, bad):
    ifp = h.sca.ifp
    drv = RingDriver(ifp)
    before = (ifp.if_flags, ifp.if_flags_tx)
    assert ioctl(h, SIOCSIFFLAGS, bad) == EINVAL
    assert (ifp.if_flags, ifp.if_flags_tx) == before and drv.calls == []
    assert h.run(h.a.stack_call(ether_ioctl, ifp, SIOCSIFFLAGS, bad)) == EINVAL  # a driver passing it on


def test_up_alone_keeps_the_flags_only_the_stack_and_driver_set(h):
    ifp = h.sca.ifp
    ifp.if_flags |= IFF_ALLMULTI  # as a driver does for a multicast range
    assert ioctl(h, SIOCSIFFLAGS, IFF_UP) == EOK
    assert ifp.if_flags == IFF_UP | ETHER_FLAGS | IFF_ALLMULTI
    assert sh(h, "ifconfig nic0").output[0] == \
        "nic0: flags=8a43<UP,BROADCAST,RUNNING,ALLMULTI,SIMPLEX,MULTICAST> mtu 1500"


def test_every_changeable_bit_changes_and_no_other(h):
    ifp = h.sca.ifp
    assert ioctl(h, SIOCSIFFLAGS, 0xFFFF) == EOK
    assert ifp.if_flags == ETHER_FLAGS | (0xFFFF & ~IFF_CANTCHANGE)
    assert not ifp.if_flags & (IFF_RUNNING | IFF_OACTIVE | IFF_PROMISC)  # RUNNING comes from init, in if_flags_tx
    assert ifp.if_flags_tx == IFF_RUNNING
    assert ioctl(h, SIOCSIFFLAGS, IFF_DEBUG | IFF_LINK0) == EOK  # down, and the stack's bits stay
    assert ifp.if_flags == ETHER_FLAGS | IFF_DEBUG | IFF_LINK0 and ifp.if_flags_tx == 0
    assert sh(h, "ifconfig nic0").output[0] == \
        "nic0: flags=9806<BROADCAST,DEBUG,SIMPLEX,LINK0,MULTICAST> mtu 1500"
    assert ifunit(h.a, "nic0") is ifp


def test_promiscuous_mode_is_asked_for_with_ifpromisc_not_siocsifflags(h):
    """IFF_PROMISC is an IFF_CANTCHANGE flag (NetBSD net/if.h): SIOCSIFFLAGS leaves it as it is, and a
    listener asks for it with ifpromisc (net/if.c), which counts the requests: the first sets the flag and
    initialises the up interface again so its driver programs the filter, the last one given back clears it
    (and initialises it again); giving back a request never made is EINVAL."""
    from iopkt.net.if_ import ifpromisc

    ifp = h.sca.ifp
    drv = RingDriver(ifp)
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags | IFF_UP) == EOK
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags | IFF_PROMISC) == EOK
    assert not ifp.if_flags & IFF_PROMISC
    inits = drv.calls.count("init")
    assert h.run(h.a.stack_call(ifpromisc, ifp, True)) == EOK
    assert ifp.if_flags & IFF_PROMISC and drv.calls.count("init") == inits + 1
    assert h.run(h.a.stack_call(ifpromisc, ifp, True)) == EOK  # a second listener: nothing to change
    assert drv.calls.count("init") == inits + 1
    assert h.run(h.a.stack_call(ifpromisc, ifp, False)) == EOK
    assert ifp.if_flags & IFF_PROMISC, "one listener still wants it"
    assert h.run(h.a.stack_call(ifpromisc, ifp, False)) == EOK
    assert not ifp.if_flags & IFF_PROMISC and drv.calls.count("init") == inits + 2
    assert h.run(h.a.stack_call(ifpromisc, ifp, False)) == EINVAL
    assert ioctl(h, SIOCSIFFLAGS, ifp.if_flags & ~IFF_UP) == EOK  # the ring goes back before the leak check
