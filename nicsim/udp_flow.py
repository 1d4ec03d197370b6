"""Numbered UDP flows between the two hosts, in either direction and several
at once, with a fault fired in the middle, checked frame by frame and
accounted for per direction (``accounting.py``).

Each datagram carries its sequence number and a pattern derived from it, so
the receiver can tell a lost, duplicated, reordered or damaged datagram
apart. ``sendto()`` refusing a datagram (the interface is down: ENETDOWN;
too big for the MTU: EMSGSIZE) means it was never sent; a full send queue
(ENOBUFS) is retried after a back-off that doubles while the queue stays
full, as an application would, but a queue that stays full for 5 ms of
simulated time is a stuck transmit path and fails the flow. A sender's transmit
counters and its peer's receive counters see only that direction's
frames, so two opposite flows are accounted apart.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from devnp_nic.receive import _whole_frame
from devnp_nic.transmit import nic_harvest
from iopkt.kern.errno import ENOBUFS
from iopkt.netinet import udp_socket
from nicdef import regs as R
from nicsim.accounting import accounting_line, flow_counters
from nicsim.two_hosts import Hosts

ADDR = {"hostA": "10.0.0.1", "hostB": "10.0.0.2"}
PORT = 7100
HEADER = struct.Struct("<II")  # sequence number, payload length
# An application's back-off when the send queue is full: 2 µs (three 64-byte
# frames at 1 Gb/s), doubled at each refusal in a row up to 16 µs (a 1518-byte
# frame's 12 µs on the wire, rounded up). A fixed 2 µs made each 1518-byte
# frame cost six refused sends, each building the whole datagram first, as
# udp_output does.
RETRY_NS = 2_000
RETRY_MAX_NS = 16_000
STALL_NS = 5_000_000  # ENOBUFS for this long in a row: the transmit path is stuck
POLL_NS = 10_000
SETTLE_POLLS = 3  # polls in a row with nothing moving
SETTLE_LIMIT_NS = 5_000_000


# the payload pattern: byte k of datagram seq's body is (seq * 7 + k) mod 256,
# a slice of this ramp (a byte-by-byte generator cost a flood of 1518-byte
# frames a tenth of its wall time), long enough for the largest datagram of a
# 9000-byte MTU (8972 bytes) from any start
_RAMP = bytes(range(256)) * 37


def payload(seq: int, size: int) -> bytes:
    """Datagram ``seq`` of ``size`` bytes (8..9227): its header, then the pattern."""
    start = (seq * 7) & 0xFF
    return HEADER.pack(seq, size) + _RAMP[start:start + size - HEADER.size]


def check_payload(data: bytes) -> int:
    """The sequence number of an intact datagram; AssertionError otherwise."""
    seq, size = HEADER.unpack_from(data)
    assert len(data) == size and data == payload(seq, size), f"datagram {seq} arrived damaged"
    return seq


def size_of(seq: int) -> int:
    """Sizes from 18 to 1472 bytes (the largest that fits a 1500-byte MTU), varied."""
    return 18 + (seq * 389) % (1472 - 18 + 1)


@dataclass
class Flow:
    """One direction: ``count`` datagrams ``src`` -> ``dst`` on ``port``,
    sized by ``size(seq)``; the rest is filled in by ``run_flows``."""

    src: str
    dst: str
    port: int
    count: int
    size: Callable[[int], int] = size_of
    sent: int = 0
    delivered: list[int] = field(default_factory=list)  # sequence numbers, in arrival order
    refused: dict[int, int] = field(default_factory=dict)  # errno -> datagrams sendto() refused
    line: str = ""  # the accounting line
    drops: dict[str, int] = field(default_factory=dict)  # what each counter of accounting.py counted

    @property
    def label(self) -> str:
        return f"{self.src}->{self.dst}"


async def _settled(hosts: Hosts, flows: list[Flow], state: dict) -> bool:
    """Nothing of any flow is still on its way: each sender's queue, ring and
    NIC are empty, each receiver's ring holds no frame, and no counter or
    delivery moved since the last look."""
    for f in flows:
        src, sc_s, sc_d = hosts.by_name[f.src], hosts.softc(f.src), hosts.softc(f.dst)
        await src.stack_call(nic_harvest, sc_s)  # the driver harvests lazily; nicinfo would do this too
        if src.ifnet[0].if_snd.ifq_len or sc_s.tx_pkts:
            return False
        if await sc_s.regs.read32(R.REG_STATUS) & (R.STATUS_TX_BUSY | R.STATUS_TX_PENDING):
            return False
        if sc_d.running and _whole_frame(sc_d)[0] is not None:
            return False
    snap = [(await flow_counters(hosts.by_name[f.src], hosts.by_name[f.dst]), len(f.delivered)) for f in flows]
    moved = snap != state.get("snap")
    state["snap"] = snap
    return not moved


async def run_flows(hosts: Hosts, what: str, flows: list[Flow], fault: Callable[[Hosts], Awaitable] | None = None,
                    fault_at: int = 0, settle_limit_ns: int = SETTLE_LIMIT_NS) -> list[Flow]:
    """Run ``flows`` at once; start ``fault(hosts)`` when the first of them
    has sent ``fault_at`` datagrams; wait until everything has arrived or
    been dropped; check that every flow's datagrams arrived intact, unique
    and in order and that ``sent = delivered + drops`` holds for each (its
    line joins the transcript). AssertionError naming what failed."""
    plat = hosts.platforms["hostA"]
    before = [await flow_counters(hosts.by_name[f.src], hosts.by_name[f.dst]) for f in flows]
    receiving = [True]
    fault_task = []

    async def receive(f: Flow, sock):
        while receiving[0]:
            try:
                data, _ = await sock.recvfrom(timeout_ns=POLL_NS)
            except TimeoutError:
                continue
            f.delivered.append(check_payload(data))

    async def send(f: Flow, sock):
        for seq in range(f.count):
            if fault is not None and seq == fault_at and not fault_task:
                fault_task.append(plat.spawn(fault(hosts), f"fault:{what}"))
            data = payload(seq, f.size(seq))
            waited, backoff = 0, RETRY_NS
            while True:
                try:
                    await sock.sendto(data, (ADDR[f.dst], f.port))
                    f.sent += 1
                    break
                except OSError as e:
                    if e.errno != ENOBUFS:
                        f.refused[e.errno] = f.refused.get(e.errno, 0) + 1
                        break
                    assert waited < STALL_NS, (f"{what}: {f.label} stalled at datagram {seq}: sendto() "
                                               f"ENOBUFS for {waited // 1000} us")
                    await plat.sleep(backoff)
                    waited += backoff
                    backoff = min(2 * backoff, RETRY_MAX_NS)

    socks, receivers, senders = [], [], []
    for f in flows:
        rx = await udp_socket(hosts.by_name[f.dst])
        rx.bind(f.port)
        socks.append(rx)
        receivers.append(plat.spawn(receive(f, rx), f"recv:{f.label}"))
    for f in flows:
        tx = await udp_socket(hosts.by_name[f.src])
        socks.append(tx)
        senders.append(plat.spawn(send(f, tx), f"send:{f.label}"))
    for task in senders + fault_task:
        await task.join()
    state: dict = {}
    waited = quiet = 0
    while quiet < SETTLE_POLLS:
        await plat.sleep(POLL_NS)
        waited += POLL_NS
        quiet = quiet + 1 if await _settled(hosts, flows, state) else 0
        assert waited < settle_limit_ns, (f"{what}: the flows did not settle within {settle_limit_ns // 1000} us: "
                                          + "; ".join(f"{f.label} sent {f.sent} got {len(f.delivered)}"
                                                      for f in flows))
    receiving[0] = False
    for task in receivers:
        await task.join()
    for sock in socks:
        sock.close()
    for f, b in zip(flows, before, strict=True):
        after = await flow_counters(hosts.by_name[f.src], hosts.by_name[f.dst])
        label = what if len(flows) == 1 else f"{what} [{f.label}]"
        assert f.delivered == sorted(set(f.delivered)), f"{label}: datagrams duplicated or out of order"
        f.drops = {k: after[k] - b[k] for k in after}
        f.line = accounting_line(label, f.sent, len(f.delivered), b, after)
        hosts.say(f.line)
    return flows


async def udp_flow(hosts: Hosts, what: str, count: int, fault: Callable[[Hosts], Awaitable] | None = None,
                   fault_at: int = 0, **kw) -> Flow:
    """One flow A -> B (``run_flows``)."""
    (flow,) = await run_flows(hosts, what, [Flow("hostA", "hostB", PORT, count)], fault, fault_at, **kw)
    return flow
