"""BPF write and taps (net/bpf.py): a raw frame written on one host reaches
the other host's input tap byte for byte, frames are refused as NetBSD's
bpf_movein refuses them, and the output tap sees what the send queue took.
Frames are built by scapy, the independent oracle for their bytes."""

from __future__ import annotations

from scapy.layers.l2 import Dot1Q, Ether

from iopkt.kern.errno import EINVAL, EMSGSIZE, ENETDOWN, EOK
from iopkt.net.bpf import bpf_attach_tap, bpf_detach_tap, bpf_write
from iopkt.net.if_ import IFF_UP
from iopkt.tests.hosts import MAC_A, MAC_B, two_hosts


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def test_raw_frames_reach_the_peer_tap_intact_and_refusals_follow_netbsd():
    h = two_hosts()
    ifa, ifb = h.a.ifnet[0], h.b.ifnet[0]
    for ifp in (ifa, ifb):
        ifp.if_flags |= IFF_UP
    h.platform.run(for_ns=1_000_000)  # the addresses' gratuitous ARPs have landed
    got_in, got_out = [], []
    bpf_attach_tap(ifb, got_in.append, "in")
    bpf_attach_tap(ifa, got_out.append, "out")
    frames = [
        bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=_mac(MAC_A), type=0x88B5) / (b"\x5a" * 46)),
        bytes(Ether(dst=_mac(MAC_B), src=_mac(MAC_A)) / Dot1Q(vlan=7, type=0x88B6) / bytes(range(200))),
        bytes(Ether(dst="01:00:5e:00:00:fb", src="02:00:00:00:77:77", type=0x88B5) / (b"\x01" * 1500)),
    ]
    noproto = ifb.if_noproto
    for f in frames:
        assert h.run(h.a.stack_call(bpf_write, ifa, f)) == EOK
    h.platform.run(for_ns=1_000_000)
    assert got_out == frames
    assert got_in == frames  # the source address as written (header complete)
    assert ifb.if_noproto == noproto + 3  # no protocol takes these EtherTypes
    too_big = bytes(Ether(dst=_mac(MAC_B), src=_mac(MAC_A), type=0x88B5) / (b"\0" * 1501))
    assert h.run(h.a.stack_call(bpf_write, ifa, too_big)) == EMSGSIZE
    assert h.run(h.a.stack_call(bpf_write, ifa, b"\0" * 13)) == EINVAL
    bpf_detach_tap(ifa, got_out.append, "out")
    ifa.if_flags &= ~IFF_UP
    assert h.run(h.a.stack_call(bpf_write, ifa, frames[0])) == ENETDOWN
    assert len(got_out) == 3
    h.finish()
