"""Two io-pkt hosts on one virtual cable, the setup most tests start from."""

from __future__ import annotations

from dataclasses import dataclass

from iopkt.kern.iopkt import IoPkt
from iopkt.net.if_ import SIOCSIFADDR
from iopkt.netinet import inet_attach, inet_detach
from iopkt.netinet.in_ import in_control
from iopkt.platform.virtual import VirtualPlatform
from iopkt.tests.vwire import VirtualWire, VwireSoftc, vwire_attach, vwire_connect

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
IP_A, IP_B = "10.0.0.1", "10.0.0.2"


@dataclass
class TwoHosts:
    platform: VirtualPlatform
    a: IoPkt
    b: IoPkt
    sca: VwireSoftc
    scb: VwireSoftc
    wire: VirtualWire

    def run(self, coro):
        return self.platform.run(until=coro)

    async def configure(self, which: IoPkt, ifname: str, addr: str, mask: str = "255.255.255.0") -> int:
        ifp = next(i for i in which.ifnet if i.if_xname == ifname)
        return await which.stack_call(in_control, which, ifp, SIOCSIFADDR, (addr, mask))

    def finish(self) -> None:
        """Free what the protocols hold and prove no mbuf leaked on either host."""
        async def detach():
            await inet_detach(self.a)
            await inet_detach(self.b)
        self.platform.run(until=detach())
        self.platform.run(for_ns=1_000_000)  # let in-flight frames land (and be dropped)
        self.a.mbufs.check_no_leaks("test (host a)")
        self.b.mbufs.check_no_leaks("test (host b)")


def two_hosts(configure: bool = True, wire: VirtualWire | None = None) -> TwoHosts:
    p = VirtualPlatform()
    a = IoPkt(p.host(), name="io-pkt-a")
    b = IoPkt(p.host(), name="io-pkt-b")
    wire = wire or VirtualWire()

    async def setup():
        await inet_attach(a)
        await inet_attach(b)
        sca = await a.stack_call(vwire_attach, a, "nic0", MAC_A, wire)
        scb = await b.stack_call(vwire_attach, b, "nic0", MAC_B, wire)
        vwire_connect(sca, scb)
        return sca, scb

    sca, scb = p.run(until=setup())
    h = TwoHosts(p, a, b, sca, scb, wire)
    if configure:
        assert p.run(until=h.configure(a, "nic0", IP_A)) == 0
        assert p.run(until=h.configure(b, "nic0", IP_B)) == 0
    return h


def frames_from(h: TwoHosts, ifname_host: str, since: int = 0) -> list[bytes]:
    """Bytes of the frames one side ("a" or "b") put on the cable."""
    sc = h.sca if ifname_host == "a" else h.scb
    return [f.data for f in h.wire.frames[since:] if f.src == sc.ifp.if_xname and _sent_by(f.data, sc)]


def _sent_by(frame: bytes, sc: VwireSoftc) -> bool:
    return frame[6:12] == sc.ifp.if_lladdr
