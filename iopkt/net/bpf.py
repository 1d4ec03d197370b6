"""A minimal BPF (NetBSD ``net/bpf.c``): a raw frame written to an interface,
and taps that see each frame the interface takes in or accepts for output.

``bpf_write`` is ``write(2)`` on a ``/dev/bpf`` descriptor bound to an
Ethernet interface: the caller hands a whole link-level frame (destination,
source, type, payload; no FCS, the NIC adds it), and the frame goes to the
interface's send queue through ``if_transmit`` as any protocol's output
does, so the driver sees a packet it cannot tell from one the stack built.
As NetBSD's ``bpf_movein`` does, the payload after the 14-byte header may
not exceed the interface's MTU (``EMSGSIZE``), the interface must be up and
running (``ENETDOWN``), and the frame must hold a header (``EINVAL``); the
source address is sent as written (``BIOCSHDRCMPLT`` set).

Taps (``bpf_mtap``'s callers): ``ether_input`` shows every received frame
to the interface's input taps (``ifp.if_bpf_in``) before its own filtering,
as NetBSD's Ethernet input does; ``if_transmit`` shows each frame the send
queue accepted to the output taps (``ifp.if_bpf_out``). A tap is a callable
taking the frame's bytes (header included, no FCS); with none attached the
cost is one empty-list test per frame.
"""

from __future__ import annotations

from collections.abc import Callable

from ..kern.errno import EINVAL, EMSGSIZE, ENETDOWN, ENOBUFS
from ..kern.mbuf import M_BCAST, M_MCAST, m_chain_bytes, m_devget
from .if_ import IFF_RUNNING, IFF_UP, Ifnet, if_transmit

ETHER_HDR_LEN = 14
ETHERBROADCAST = b"\xff" * 6

Tap = Callable[[bytes], None]


async def bpf_write(ifp: Ifnet, frame: bytes) -> int:
    """Send ``frame`` (bytes: a complete Ethernet header then the payload, no
    FCS) out of ``ifp``; call in stack context. Returns an errno: EOK once the
    send queue took it, ``ENETDOWN``, ``EINVAL`` (shorter than a header),
    ``EMSGSIZE`` (payload over the MTU), ``ENOBUFS`` (no mbufs, or the queue
    full)."""
    if not ifp.if_flags & IFF_UP or not ifp.if_flags_tx & IFF_RUNNING:
        return ENETDOWN
    if len(frame) < ETHER_HDR_LEN:
        return EINVAL
    if len(frame) - ETHER_HDR_LEN > ifp.if_mtu:
        return EMSGSIZE
    m = m_devget(ifp.if_iopkt.mbufs, bytes(frame))
    if m is None:
        return ENOBUFS
    if frame[0] & 1:
        m.m_flags |= M_BCAST if frame[:6] == ETHERBROADCAST else M_MCAST
    return await if_transmit(ifp, m)


def bpf_attach_tap(ifp: Ifnet, tap: Tap, direction: str) -> None:
    """Show ``tap`` each frame of ``ifp`` in ``direction`` ("in": received,
    before any filtering; "out": accepted by the send queue). ValueError for
    another direction."""
    _taps(ifp, direction).append(tap)


def bpf_detach_tap(ifp: Ifnet, tap: Tap, direction: str) -> None:
    """Undo ``bpf_attach_tap`` (ValueError if it was not attached)."""
    _taps(ifp, direction).remove(tap)


def _taps(ifp: Ifnet, direction: str) -> list[Tap]:
    if direction == "in":
        return ifp.if_bpf_in
    if direction == "out":
        return ifp.if_bpf_out
    raise ValueError(f"direction must be 'in' or 'out', not {direction!r}")


def bpf_mtap(taps: list[Tap], m) -> None:
    """Show the packet ``m`` (a chain) to each tap, as bytes."""
    if taps:
        data = m_chain_bytes(m)
        for tap in list(taps):
            tap(data)

