"""One io-pkt owning both NICs of ``nic_pair_tb``: their cable loops back to
the same host, so one driver has two devices (nic0 on side ``a``, nic1 on
side ``b``), on two interrupt lines or sharing one.

The stack delivers a datagram to one of its own addresses without the wire,
so traffic between the two is sent below IP (``send_over_cable``).
"""

from __future__ import annotations

from scapy.layers.inet import IP, UDP

import devnp_nic  # noqa: F401  (registers devnp-nic.so with io-pkt's driver table)
from iopkt.kern.iopkt import IoPkt, LiveResources
from iopkt.kern.mbuf import m_devget
from iopkt.net.if_ import ifunit
from iopkt.net.if_ether import ETHERTYPE_IP, ether_output
from iopkt.netinet import inet_attach
from iopkt.sbin.shell import run_command
from nicsim import coverage as _coverage
from nicsim.dma_checker import attach_dma_checker
from nicsim.host_platform import CocotbPlatform
from nicsim.nic_harness import start_clock_and_reset

MAC0 = bytes.fromhex("020000000c00")  # nic0, side a
MAC1 = bytes.fromhex("020000000c01")  # nic1, side b
PORT = 9000


async def build_looped_host(dut, irqs: tuple[int, int] = (10, 11),
                            coverage: bool = False) -> tuple[CocotbPlatform, IoPkt, LiveResources]:
    """Reset ``dut`` (a ``nic_pair_tb``) and build one io-pkt with IPv4 over both NICs' host memory, NIC a on
    interrupt ``irqs[0]`` and NIC b on ``irqs[1]`` (the same number: one shared line), a DMA permission
    checker on both unless ``NICSIM_DMA_CHECKER=0``, and functional coverage sampled on both when
    ``coverage`` (``nicsim.coverage``, switched on). Nothing is mounted yet.

    Returns ``(platform, io-pkt, live_resources() before the mount)``."""
    await start_clock_and_reset(dut)
    plat = CocotbPlatform(dut, "a", MAC0, irq_number=irqs[0], more=(("b", MAC1, irqs[1]),))
    iopkt = IoPkt(plat, name="io-pkt@host")
    await inet_attach(iopkt)
    if coverage:
        _coverage.enable()
        _coverage.attach("host", plat, iopkt)
    attach_dma_checker(plat, iopkt)
    return plat, iopkt, iopkt.live_resources()


async def must(iopkt: IoPkt, line: str):
    """Run the shell command ``line`` on ``iopkt``; fails (AssertionError with its output) unless it exits 0.
    Returns its ``run_command`` result."""
    res = await run_command(iopkt, line)
    assert res.status == 0, f"{line!r} exited {res.status}:\n{res.text}"
    return res


async def send_over_cable(iopkt: IoPkt, out_if: str, dst_mac: bytes, dst_ip: str, payload: bytes,
                          port: int = PORT) -> int:
    """One UDP datagram (source 10.0.0.9, ``port`` to ``port``) carrying ``payload``, out of interface
    ``out_if`` to the station ``dst_mac`` by ``ether_output``. Returns its errno (0 queued; ``ENOBUFS`` the
    send queue is full)."""
    datagram = bytes(IP(src="10.0.0.9", dst=dst_ip) / UDP(sport=port, dport=port) / payload)
    ifp = ifunit(iopkt, out_if)

    async def send():
        return await ether_output(ifp, m_devget(iopkt.mbufs, datagram), dst_mac, ETHERTYPE_IP)

    return await iopkt.stack_call(send)
