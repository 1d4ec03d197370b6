"""A test-only io-pkt driver: Ethernet interfaces joined by a virtual cable.

The cable copies each frame out of the sender's mbufs, and after the time
the bytes take at ``rate_bps`` plus ``propagation_ns`` hands a fresh copy to
the peer's ``if_input`` in the peer's stack context, as a NIC's receive path
would. Frames in one direction arrive in order. ``frames`` records all
traffic for the tests' oracles; ``drop`` (a predicate) loses frames and
``mangle`` corrupts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iopkt.kern.mbuf import M_CSUM_IPv4, M_CSUM_UDPv4, m_copydata, m_devget, m_freem
from iopkt.kern.siglock import NW_SIGUNLOCK_P
from iopkt.net.if_ import IFF_RUNNING, IFQ_DEQUEUE, IFQ_PURGE, IFCAP_CSUM_IPv4, IFCAP_CSUM_UDPv4, Ifnet, if_attach
from iopkt.net.if_ether import ether_ifattach, ether_ioctl
from iopkt.netinet.in_cksum import in_cksum


@dataclass
class WireFrame:
    t_ns: int
    src: str  # interface that sent it
    data: bytes
    dropped: bool = False
    csum_flags: int = 0  # the offload the stack asked of the "NIC"
    as_queued: bytes = b""  # the frame as the stack left it, before the offload filled it in


@dataclass
class VwireSoftc:
    iopkt: object
    ifp: Ifnet
    wire: VirtualWire
    peer: VwireSoftc | None = None
    busy_until_ns: int = 0
    rx_frames: int = 0


@dataclass
class VirtualWire:
    rate_bps: int = 1_000_000_000
    propagation_ns: int = 100
    frames: list[WireFrame] = field(default_factory=list)
    drop: object = None  # callable(bytes) -> bool
    mangle: object = None  # callable(bytes) -> bytes, applied to frames that are not dropped

    def carry(self, sc: VwireSoftc, frame: bytes, csum_flags: int = 0) -> None:
        platform = sc.iopkt.platform
        now = platform.now_ns()
        queued = frame
        frame = offload_checksums(frame, csum_flags)
        rec = WireFrame(now, sc.ifp.if_xname, frame, csum_flags=csum_flags, as_queued=queued)
        self.frames.append(rec)
        start = max(now, sc.busy_until_ns)
        sc.busy_until_ns = start + len(frame) * 8 * 1_000_000_000 // self.rate_bps
        if sc.peer is None or (self.drop is not None and self.drop(frame)):
            rec.dropped = True
            return
        if self.mangle is not None:
            frame = self.mangle(frame)
        platform.spawn(self._deliver(sc.peer, frame, sc.busy_until_ns + self.propagation_ns - now), "vwire")

    async def _deliver(self, to: VwireSoftc, frame: bytes, delay_ns: int) -> None:
        await to.iopkt.platform.sleep(delay_ns)
        await to.iopkt.stack_call(vwire_receive, to, frame, proc_name="vwire-rx")

    def inject(self, to: VwireSoftc, frame: bytes):
        """A coroutine delivering ``frame`` to ``to`` now, as if from the cable."""
        return to.iopkt.stack_call(vwire_receive, to, bytes(frame), proc_name="vwire-inject")


def offload_checksums(frame: bytes, flags: int) -> bytes:
    """What a NIC with IPv4/UDP transmit checksum offload does with the flags."""
    if not flags & (M_CSUM_IPv4 | M_CSUM_UDPv4):
        return frame
    f = bytearray(frame)
    hlen = (f[14] & 0xF) * 4
    if flags & M_CSUM_IPv4:
        f[24:26] = in_cksum(bytes(f[14:14 + hlen])).to_bytes(2, "big")
    if flags & M_CSUM_UDPv4:
        start = 14 + hlen
        ulen = int.from_bytes(f[start + 4:start + 6], "big")
        # the field holds the pseudo-header sum; the sum over the segment completes it
        f[start + 6:start + 8] = (in_cksum(bytes(f[start:start + ulen])) or 0xFFFF).to_bytes(2, "big")
    return bytes(f)


async def vwire_receive(sc: VwireSoftc, frame: bytes) -> None:
    ifp = sc.ifp
    if not ifp.if_flags_tx & IFF_RUNNING:
        return
    m = m_devget(sc.iopkt.mbufs, frame, ifp)
    if m is None:
        ifp.if_ierrors += 1
        return
    ifp.if_ipackets += 1
    sc.rx_frames += 1
    await ifp.if_input(ifp, m)


async def vwire_start(ifp: Ifnet) -> None:
    """Called with ``if_snd_ex`` held, which it must release on every path."""
    sc = ifp.if_softc
    try:
        if not ifp.if_flags_tx & IFF_RUNNING:
            IFQ_PURGE(ifp.if_snd)
            return
        while (m := IFQ_DEQUEUE(ifp.if_snd)) is not None:
            frame = m_copydata(m, 0, m.m_pkthdr.len)
            flags = m.m_pkthdr.csum_flags
            m_freem(m)
            ifp.if_opackets += 1
            sc.wire.carry(sc, frame, flags)
    finally:
        NW_SIGUNLOCK_P(ifp.if_snd_ex, sc.iopkt, sc.iopkt.ctx.owner)


def vwire_init(ifp: Ifnet) -> int:
    ifp.if_flags_tx |= IFF_RUNNING
    return 0


def vwire_stop(ifp: Ifnet, disable: int) -> None:
    ifp.if_flags_tx &= ~IFF_RUNNING
    IFQ_PURGE(ifp.if_snd)


def vwire_attach(iopkt, name: str, mac: bytes, wire: VirtualWire) -> VwireSoftc:
    """Attach one interface. Stack context, as a driver's attach runs."""
    ifp = Ifnet()
    ifp.if_xname = name
    sc = VwireSoftc(iopkt, ifp, wire)
    ifp.if_softc = sc
    ifp.if_start = vwire_start
    ifp.if_init = vwire_init
    ifp.if_stop = vwire_stop
    ifp.if_ioctl = ether_ioctl
    # Offered, not enabled: SIOCSIFCAP turns the offload on.
    ifp.if_capabilities_tx = IFCAP_CSUM_IPv4 | IFCAP_CSUM_UDPv4
    if_attach(iopkt, ifp)
    ether_ifattach(ifp, mac)
    return sc


def vwire_connect(a: VwireSoftc, b: VwireSoftc) -> None:
    a.peer, b.peer = b, a
