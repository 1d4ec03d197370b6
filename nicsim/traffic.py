"""Seeded constrained-random traffic for the two-host soak and the one-NIC
GMII bench, and the datasheet's receive rules as an oracle. No cocotb here:
the soak (``nicsim.soak``) and ``cocotb_tests/tb_traffic_one_nic.py`` send
what this module chooses, the scoreboard (``nicsim.scoreboard``) checks what
arrived against ``predict`` (``predict_wire`` where every wire byte is known,
wire errors included).

Every choice comes from one ``random.Random(seed)`` per direction, so a seed
replays the same frames, gaps and wire errors in the same order. Frame
lengths (``FrameSpec.length``) are the bytes a sender hands its interface:
Ethernet header to the end of the payload, no FCS; on the wire a frame is
padded to 60 and gets 4 bytes of FCS. The size classes weight the edges:
the minimum frame (60) and the one below it (padded), 64, 1514, 1518, 1522,
the sender's MTU ± 1 (``mtu+1`` is refused by the sender's stack:
``EMSGSIZE``), the largest frame the receiver takes and one byte more
(oversize at the receiver: only reachable when the sender's MTU is the
larger), and jumbo lengths when the sender's MTU allows them.

Raw frames (EtherType ``RAW_TYPE``, optionally 802.1Q-tagged) carry a tag
(``TAG``: magic, direction, sequence number) and a payload pattern, so the
receiving host's BPF tap can match each one byte for byte; ICMP echo
requests (built by scapy) make the receiver's stack answer; UDP datagrams
use ``nicsim.udp_flow``'s numbered payloads.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass, field

RAW_TYPE = 0x88B5  # IEEE 802 local experimental EtherType 1: no protocol of the stack takes it
VLAN_TYPE = 0x8100
TAG = struct.Struct(">4sBI")  # magic, direction (0: A->B, 1: B->A), sequence number
MAGIC = b"SOAK"
BROADCAST = b"\xff" * 6
OTHER_STATION = bytes.fromhex("020000000c01")  # a station on neither host
# multicast groups: the receiver joins the first two; the others it never joins (their hash bins are
# checked at run time: a group whose bin collides with a joined one is accepted, as the datasheet says)
GROUPS = [bytes.fromhex(h) for h in ("01005e000101", "01005e000102", "01005e7f0003", "333300000009")]

# wire errors the injector applies (rtl/tb/gmii_fault_inject.v): kind -> the receiver's counter
WIRE_ERRORS = {1: "CRC errors", 2: "CRC errors", 3: "runts", 4: "framing"}
WIRE_ERROR_NAMES = {1: "bad FCS", 2: "rx_er", 3: "truncated", 4: "no SFD"}

ETHER_HDR = 14
MAX_FRAME_OVERHEAD = 14 + 4 + 4  # the receiver's MAX_FRAME_LEN is its MTU + this (header, one tag, FCS)


def ether_hash_bin(addr: bytes) -> int:
    """The multicast hash bin of ``addr`` by the datasheet: the top 6 bits of
    the Ethernet CRC of the 6 bytes, not inverted."""
    return (zlib.crc32(addr) ^ 0xFFFFFFFF) >> 26


@dataclass(frozen=True)
class RxState:
    """What decides a receiver's filter and size rules: its station address,
    MTU, RX_CTRL.PROMISC and ALLMULTI, and the groups whose hash bins are set."""

    station: bytes
    mtu: int = 1500
    promisc: bool = False
    allmulti: bool = False
    groups: frozenset = frozenset()

    @property
    def filter_mode(self) -> str:
        return "promisc" if self.promisc else "allmulti" if self.allmulti else "hash"


def predict(length: int, dst: bytes, st: RxState) -> str:
    """The datasheet's receive rules (*Receive rules*, *Address filter*) for
    a good frame of ``length`` bytes (no FCS) to ``dst``: "oversize" (longer
    than MAX_FRAME_LEN with its FCS), "filtered" (the address filter rejects
    it) or "accepted". Runts and FCS errors come only from wire errors."""
    if max(length, 60) + 4 > st.mtu + MAX_FRAME_OVERHEAD:
        return "oversize"
    if st.promisc or dst == st.station or dst == BROADCAST:
        return "accepted"
    if dst[0] & 1:
        bins = {ether_hash_bin(g) for g in st.groups}
        if st.allmulti or ether_hash_bin(dst) in bins:
            return "accepted"
    return "filtered"


# what predict_wire says about a frame that does not reach host memory -> the receive counter it lands in
VERDICT_COUNTER = {"runt": "STAT_RX_RUNT", "oversize": "STAT_RX_TOOLONG", "fcs": "STAT_RX_FCS_ERR",
                   "framing": "STAT_RX_FRAMING", "filtered": "STAT_RX_FILTERED"}


def predict_wire(length: int, dst: bytes, st: RxState, error: int | None = None, pos: int = 0) -> str:
    """The datasheet's receive rules (*Framing*, *Receive rules* in their
    order of precedence, *Address filter*) for a frame whose every wire byte
    is known: ``length`` bytes after the SFD without the FCS, padding
    included (a sender that does not pad sends a runt), to ``dst``, spoiled
    by wire error ``error`` (a ``WIRE_ERRORS`` kind at byte ``pos`` after the
    SFD, counted from 0, as ``rtl/tb/gmii_fault_inject.v`` applies it: a
    ``pos`` past the frame's end spoils nothing). Returns "framing", "runt",
    "oversize", "fcs" (a keyword of ``VERDICT_COUNTER``), "filtered" or
    "accepted"."""
    wire = length + 4
    if error == 4:
        return "framing"
    if error is not None and pos >= wire:
        error = None
    if error == 3:
        wire = pos
    if wire < 64:
        return "runt"
    if wire > st.mtu + MAX_FRAME_OVERHEAD:
        return "oversize"
    if error in (1, 2):
        return "fcs"
    return "accepted" if predict(length, dst, st) == "accepted" else "filtered"


@dataclass
class FrameSpec:
    """One frame the generator chose: protocol ("udp", "icmp", "raw"),
    ``length`` (bytes without FCS), size class, address class ("station",
    "broadcast", "mcast_in", "mcast_out", "other"), destination, 802.1Q VLAN
    id or None, and the gap in ns before the next frame (0: back to back)."""

    proto: str
    length: int
    size_class: str
    addr_class: str
    dst: bytes
    vlan: int | None
    gap_ns: int


@dataclass
class Generator:
    """The frames of one direction, from ``random.Random(seed)``. ``station``
    is the receiver's address; ``jumbo`` allows jumbo lengths."""

    seed: int
    station: bytes
    jumbo: bool = True
    rng: random.Random = field(init=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def size(self, sender_mtu: int, receiver_mtu: int) -> tuple[str, int]:
        """(size class, length) for a sender at ``sender_mtu`` and a receiver at ``receiver_mtu``."""
        r = self.rng
        edges = [("below_min", r.randint(30, 59)), ("min", 60), ("64", 64), ("1514", 1514), ("1518", 1518),
                 ("1522", 1522), ("mtu-1", sender_mtu + ETHER_HDR - 1), ("mtu", sender_mtu + ETHER_HDR),
                 ("mtu+1", sender_mtu + ETHER_HDR + 1),
                 ("rx_max", receiver_mtu + MAX_FRAME_OVERHEAD - 4),
                 ("rx_max+1", receiver_mtu + MAX_FRAME_OVERHEAD - 3)]
        pick = r.random()
        if pick < 0.45:
            return edges[r.randrange(len(edges))]
        if pick < 0.55 and self.jumbo and sender_mtu > 1500:
            return "jumbo", r.randint(1523, sender_mtu + ETHER_HDR)
        if pick < 0.75:
            return "small", r.randint(60, 200)
        return "mid", r.randint(201, 1513)

    def next(self, sender_mtu: int, receiver_mtu: int) -> FrameSpec:
        """The next frame (its gap included)."""
        r = self.rng
        size_class, length = self.size(sender_mtu, receiver_mtu)
        p = r.random()
        proto = "udp" if p < 0.4 else "icmp" if p < 0.5 else "raw"
        vlan = None
        if proto == "raw":
            a = r.random()
            addr_class, dst = (("station", self.station) if a < 0.4 else ("broadcast", BROADCAST) if a < 0.55
                               else ("mcast_in", GROUPS[r.randrange(2)]) if a < 0.7
                               else ("mcast_out", GROUPS[2 + r.randrange(2)]) if a < 0.85
                               else ("other", OTHER_STATION))
            if r.random() < 0.25:
                vlan = r.randint(1, 4094)
        else:
            addr_class, dst = "station", self.station
        b = r.random()
        gap = 0 if b < 0.35 else r.randint(100, 2_000) if b < 0.85 else r.randint(2_000, 40_000)
        return FrameSpec(proto, length, size_class, addr_class, dst, vlan, gap)

    def wire_error(self, rate: float) -> tuple[int, int] | None:
        """With probability ``rate``, a wire error to arm: (kind, byte position),
        the position inside every frame's first 60 bytes so it always bites
        (a cut there leaves a runt)."""
        r = self.rng
        if r.random() >= rate:
            return None
        kind = r.choice(list(WIRE_ERRORS))
        return kind, r.randint(1, 59) if kind == 3 else r.randint(0, 59)


def raw_frame(src: bytes, spec: FrameSpec, direction: int, seq: int) -> bytes:
    """A raw frame of ``spec``: header (802.1Q tag when ``spec.vlan``), ``TAG``,
    then bytes (seq + k) mod 256 up to ``spec.length`` (at least the tag)."""
    head = spec.dst + src
    if spec.vlan is not None:
        head += struct.pack(">HH", VLAN_TYPE, spec.vlan)
    head += struct.pack(">H", RAW_TYPE) + TAG.pack(MAGIC, direction, seq)
    n = max(spec.length - len(head), 0)
    body = bytes((seq + k) & 0xFF for k in range(min(n, 256))) * (n // 256 + 1)
    return head + body[:n]


def parse_tag(frame: bytes) -> tuple[int, int] | None:
    """(direction, seq) of a raw frame of this module, or None."""
    off = 12
    if frame[off:off + 2] == struct.pack(">H", VLAN_TYPE):
        off += 4
    if frame[off:off + 2] != struct.pack(">H", RAW_TYPE) or len(frame) < off + 2 + TAG.size:
        return None
    magic, direction, seq = TAG.unpack_from(frame, off + 2)
    return (direction, seq) if magic == MAGIC else None
