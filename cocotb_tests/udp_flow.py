"""A numbered UDP flow from host A to host B, with a fault fired in the
middle of it, checked frame by frame and accounted for (``accounting.py``).

Each datagram carries its sequence number and a pattern derived from it, so
the receiver can tell a lost, duplicated, reordered or damaged datagram
apart. ``sendto()`` refusing a datagram (the interface is down: ENETDOWN;
too big for the MTU: EMSGSIZE) means it was never sent; a full send queue
(ENOBUFS) is retried, as an application would.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from accounting import accounting_line, flow_counters
from two_hosts import Hosts

from driver.receive import _whole_frame
from driver.transmit import nic_harvest
from nicdef import regs as R
from stack.kern.errno import ENOBUFS
from stack.netinet import udp_socket

PORT = 7100
HEADER = struct.Struct("<II")  # sequence number, payload length
RETRY_NS = 2_000  # an application's back-off when the send queue is full
POLL_NS = 10_000
SETTLE_POLLS = 3  # polls in a row with nothing moving
SETTLE_LIMIT_NS = 5_000_000


def payload(seq: int, size: int) -> bytes:
    body = bytes((seq * 7 + k) & 0xFF for k in range(size - HEADER.size))
    return HEADER.pack(seq, size) + body


def check_payload(data: bytes) -> int:
    """The sequence number of an intact datagram; AssertionError otherwise."""
    seq, size = HEADER.unpack_from(data)
    assert len(data) == size and data == payload(seq, size), f"datagram {seq} arrived damaged"
    return seq


def size_of(seq: int) -> int:
    """Sizes from 18 to 1472 bytes (the largest that fits a 1500-byte MTU), varied."""
    return 18 + (seq * 389) % (1472 - 18 + 1)


@dataclass
class FlowResult:
    what: str
    sent: int
    delivered: list[int]
    refused: dict[int, int] = field(default_factory=dict)  # errno -> datagrams sendto() refused
    line: str = ""
    drops: dict[str, int] = field(default_factory=dict)  # what each counter of accounting.py counted


async def _settled(hosts: Hosts, got: list, before_counts: dict) -> bool:
    """Nothing of the flow is still on its way: A's queue, ring and NIC are
    empty, B's ring holds no frame, and no counter or delivery moved."""
    a, b = hosts.by_name["hostA"], hosts.by_name["hostB"]
    sca, scb = hosts.softc("hostA"), hosts.softc("hostB")
    await a.stack_call(nic_harvest, sca)  # the driver harvests lazily; nicinfo would do this too
    if a.ifnet[0].if_snd.ifq_len or sca.tx_pkts:
        return False
    if await sca.regs.read32(R.REG_STATUS) & (R.STATUS_TX_BUSY | R.STATUS_TX_PENDING):
        return False
    if scb.running and _whole_frame(scb)[0] is not None:
        return False
    counts = await flow_counters(a, b)
    moved = counts != before_counts.get("counts") or len(got) != before_counts.get("got")
    before_counts["counts"], before_counts["got"] = counts, len(got)
    return not moved


async def udp_flow(hosts: Hosts, what: str, count: int, fault: Callable[[Hosts], Awaitable] | None = None,
                   fault_at: int = 0) -> FlowResult:
    """Send ``count`` numbered datagrams A -> B, start ``fault(hosts)`` after
    ``fault_at`` of them, wait until everything has arrived or been dropped,
    and check ``sent = delivered + drops``. The delivered datagrams must be
    intact, unique and in order."""
    a, b = hosts.by_name["hostA"], hosts.by_name["hostB"]
    plat = hosts.platforms["hostA"]
    rx = await udp_socket(b)
    rx.bind(PORT)
    tx = await udp_socket(a)
    before = await flow_counters(a, b)
    got: list[int] = []
    receiving = [True]

    async def receive():
        while receiving[0]:
            try:
                data, _ = await rx.recvfrom(timeout_ns=POLL_NS)
            except TimeoutError:
                continue
            got.append(check_payload(data))

    receiver = plat.spawn(receive(), "flow-receiver")
    result = FlowResult(what, 0, got)
    fault_task = None
    for seq in range(count):
        if fault is not None and seq == fault_at:
            fault_task = plat.spawn(fault(hosts), f"fault:{what}")
        data = payload(seq, size_of(seq))
        while True:
            try:
                await tx.sendto(data, ("10.0.0.2", PORT))
                result.sent += 1
                break
            except OSError as e:
                if e.errno == ENOBUFS:
                    await plat.sleep(RETRY_NS)
                    continue
                result.refused[e.errno] = result.refused.get(e.errno, 0) + 1
                break
    if fault_task is not None:
        await fault_task.join()
    state: dict = {}
    waited = 0
    quiet = 0
    while quiet < SETTLE_POLLS:
        await plat.sleep(POLL_NS)
        waited += POLL_NS
        quiet = quiet + 1 if await _settled(hosts, got, state) else 0
        assert waited < SETTLE_LIMIT_NS, f"{what}: the flow did not settle within {SETTLE_LIMIT_NS // 1000} us"
    receiving[0] = False
    await receiver.join()
    rx.close()
    tx.close()
    after = await flow_counters(a, b)
    assert got == sorted(set(got)), f"{what}: datagrams duplicated or out of order: {got}"
    result.line = accounting_line(what, result.sent, len(got), before, after)
    result.drops = {k: after[k] - before[k] for k in after}
    hosts.say(result.line)
    return result
