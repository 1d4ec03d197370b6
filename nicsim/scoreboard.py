"""The soak's scoreboard: what each receiver must deliver, checked frame by
frame, and the events a coverage model samples. No cocotb here.

What the soak offers is recorded here as it is sent (``offered_raw``,
``offered_icmp``, ``offered_udp``); what each receiving host's BPF input tap
sees (``on_rx``: every frame its driver hands to ``ether_input``) and what
its UDP sockets return (``udp_delivered``) is checked as it arrives:

- a raw frame of ours arrives byte for byte as sent (padded with zeros to
  60 bytes by the NIC, FCS stripped), at most once, in the order sent (one
  send queue per direction keeps order), and only if the datasheet's rules
  (``traffic.predict``) accept it under the receiver's filter and MTU as they
  were when it was sent or as they are when it arrives (a filter or MTU
  change may race a frame on the wire);
- an ICMP echo request of ours arrives as sent; each echo reply the sender
  gets back carries the request's identifier, sequence number and payload;
- a UDP datagram arrives intact, at most once and in order per direction.

Where every byte on a wire is known (the one-NIC bench: a GMII model drives
it, damaged frames included), ``offered_frame`` records each frame with the
oracle's verdict (``traffic.predict_wire``) and ``on_frame`` checks each
frame the receiver delivered against the next one that must arrive: byte for
byte, in order, none skipped (``expected`` holds those still owed).

The first difference is kept in ``errors`` (the soak fails on it, naming the
frame). Counting is the accounting lines' job (``nicsim.accounting``).

Events: every ``listeners`` callable gets each event as a plain dict, and
the last ``EVENT_KEEP`` are kept in ``events``. Kinds and keys (all values
str or int):

- ``{"event": "offered", "dir", "proto", "size_class", "addr_class",
  "filter_mode", "vlan", "length", "predicted"}``: a frame the sender's
  interface accepted (``predicted``: accepted / filtered / oversize by the
  receiver's state at send time);
- ``{"event": "delivered", "dir", "proto", "size_class", "addr_class",
  "filter_mode", "vlan", "length"}``: one of ours reached the receiver's
  ``ether_input`` (UDP: its socket);
- ``{"event": "wire_error", "dir", "kind", "pos"}``: an injector armed;
- ``{"event": "fault", "name", "host", "driver_state", "time_ns"}``: the fault
  scheduler fired a fault (``driver_state``: "idle", "mid_burst" or "stopping");
- ``{"event": "counted", "host", "counter", "count"}``: at the end, what each
  named counter of a host's accounting line counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from nicsim.traffic import FrameSpec, RxState, parse_tag, predict

EVENT_KEEP = 100_000
DIRS = ("A->B", "B->A")
ICMP_ID = {"A->B": 0x5A01, "B->A": 0x5A02}


@dataclass
class _Sent:
    frame: bytes
    spec: FrameSpec
    state: RxState
    time_ns: int = 0


@dataclass
class Scoreboard:
    listeners: list[Callable[[dict], None]] = field(default_factory=list)
    events: deque = field(default_factory=lambda: deque(maxlen=EVENT_KEEP))
    errors: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=lambda: {d: {} for d in DIRS})  # dir -> seq -> _Sent
    icmp: dict = field(default_factory=lambda: {d: {} for d in DIRS})  # dir -> icmp seq -> _Sent
    udp: dict = field(default_factory=lambda: {d: {} for d in DIRS})  # dir -> seq -> (spec, state)
    last: dict = field(default_factory=dict)  # (dir, proto) -> last seq delivered
    seen: dict = field(default_factory=lambda: {d: set() for d in DIRS})  # dir -> raw seqs delivered
    replies: dict = field(default_factory=lambda: {d: set() for d in DIRS})
    offered: dict = field(default_factory=lambda: {d: 0 for d in DIRS})  # ours, per direction
    delivered: dict = field(default_factory=lambda: {d: 0 for d in DIRS})
    expected: dict = field(default_factory=dict)  # dir -> deque of (seq, _Sent) still owed (offered_frame)

    def emit(self, event: dict) -> None:
        self.events.append(event)
        for fn in self.listeners:
            fn(event)

    def fail(self, msg: str) -> None:
        if len(self.errors) < 20:
            self.errors.append(msg)

    def _offered(self, d: str, proto: str, spec: FrameSpec, length: int, state: RxState,
                 predicted: str | None = None) -> None:
        self.offered[d] = self.offered.get(d, 0) + 1
        self.emit({"event": "offered", "dir": d, "proto": proto, "size_class": spec.size_class,
                   "addr_class": spec.addr_class, "filter_mode": state.filter_mode, "vlan": int(spec.vlan is not None),
                   "length": length, "predicted": predicted or predict(length, spec.dst, state)})

    def _delivered(self, d: str, proto: str, spec: FrameSpec, length: int, state: RxState) -> None:
        self.delivered[d] = self.delivered.get(d, 0) + 1
        self.emit({"event": "delivered", "dir": d, "proto": proto, "size_class": spec.size_class,
                   "addr_class": spec.addr_class, "filter_mode": state.filter_mode, "vlan": int(spec.vlan is not None),
                   "length": length})

    def offered_raw(self, d: str, seq: int, frame: bytes, spec: FrameSpec, state: RxState, time_ns: int = 0) -> None:
        """A raw frame (``traffic.raw_frame``) the sender's interface took at ``time_ns``."""
        self.raw[d][seq] = _Sent(frame, spec, state, time_ns)
        self._offered(d, "raw", spec, len(frame), state)

    def offered_icmp(self, d: str, seq: int, frame: bytes, spec: FrameSpec, state: RxState) -> None:
        """An ICMP echo request (identifier ``ICMP_ID[d]``, sequence ``seq``) the sender's interface took."""
        self.icmp[d][seq] = _Sent(frame, spec, state)
        self.replies[d].discard(seq)  # the 16-bit sequence wrapped: a new request, its reply not seen yet
        self._offered(d, "icmp", spec, len(frame), state)

    def offered_udp(self, d: str, seq: int, spec: FrameSpec, state: RxState) -> None:
        """A UDP datagram ``sendto()`` accepted (it may still wait for ARP)."""
        self.udp[d][seq] = (spec, state)
        self._offered(d, "udp", spec, spec.length, state)

    def _order(self, d: str, proto: str, seq: int, what: str) -> None:
        last = self.last.get((d, proto), -1)
        if seq <= last:
            self.fail(f"{d}: {what} {seq} arrived after {last} ({'a duplicate' if seq == last else 'out of order'})")
        self.last[(d, proto)] = max(seq, last)

    def on_rx(self, d: str, frame: bytes, state: RxState,
              states_since: Callable[[int], list[RxState]] | None = None) -> None:
        """A frame the receiving host of direction ``d`` took in (its BPF input
        tap), with that host's receive state now; ``states_since(t_ns)``: every
        receive state it had since ``t_ns`` (default: the state at send time
        and now)."""
        tag = parse_tag(frame)
        if tag is not None:
            direction, seq = tag
            sent = self.raw[DIRS[direction]].get(seq)
            if DIRS[direction] != d or sent is None:
                self.fail(f"{d}: a raw frame tagged {DIRS[direction]} #{seq} that was never offered on this wire")
                return
            want = sent.frame + bytes(max(60 - len(sent.frame), 0))
            if frame != want:
                first = next((i for i, (x, y) in enumerate(zip(frame, want, strict=False)) if x != y),
                             min(len(frame), len(want)))
                self.fail(f"{d}: raw frame #{seq} ({sent.spec.size_class}, {len(sent.frame)} bytes) arrived "
                          f"damaged: {len(frame)} bytes, first difference at byte {first}")
            if seq in self.seen[d]:
                self.fail(f"{d}: raw frame #{seq} delivered twice")
            self.seen[d].add(seq)
            self._order(d, "raw", seq, "raw frame")
            states = states_since(sent.time_ns) if states_since else [sent.state, state]
            verdicts = {predict(len(sent.frame), sent.spec.dst, st) for st in states}
            if "accepted" not in verdicts:
                self.fail(f"{d}: raw frame #{seq} to {sent.spec.dst.hex(':')} ({sent.spec.addr_class}, "
                          f"{len(sent.frame)} bytes) was delivered, but the datasheet's rules say "
                          f"{'/'.join(sorted(verdicts))} (filter {sent.state.filter_mode}, MTU {sent.state.mtu} "
                          f"when sent; {state.filter_mode}, MTU {state.mtu} now)")
            self._delivered(d, "raw", sent.spec, len(sent.frame), state)
            return
        self._icmp(d, frame, state)

    def _icmp(self, d: str, frame: bytes, state: RxState) -> None:
        if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 1:
            return
        ihl = (frame[14] & 0x0F) * 4
        icmp = frame[14 + ihl:]
        total = int.from_bytes(frame[16:18], "big")
        icmp = frame[14 + ihl:14 + total]
        if len(icmp) < 8:
            return
        itype, ident, seq = icmp[0], int.from_bytes(icmp[4:6], "big"), int.from_bytes(icmp[6:8], "big")
        if itype == 8 and ident == ICMP_ID[d]:
            sent = self.icmp[d].get(seq)
            if sent is None:
                self.fail(f"{d}: an ICMP echo request #{seq} that was never offered")
                return
            if frame[:len(sent.frame)] != sent.frame:
                self.fail(f"{d}: ICMP echo request #{seq} arrived damaged")
            # the sequence number is 16 bits: ordered by its distance from the last one, across the wrap
            last = self.last.get((d, "icmp"), -1)
            step = (seq - max(last, 0)) & 0xFFFF
            self._order(d, "icmp", max(last, 0) + (step - 0x10000 if step >= 0x8000 else step) if last >= 0 else seq,
                        "ICMP echo request")
            self._delivered(d, "icmp", sent.spec, len(sent.frame), state)
        elif itype == 0:
            back = DIRS[1 - DIRS.index(d)]  # a reply travels against its request
            if ident != ICMP_ID[back]:
                return
            sent = self.icmp[back].get(seq)
            if sent is None:
                self.fail(f"{d}: an ICMP echo reply #{seq} to a request never offered")
                return
            req_total = int.from_bytes(sent.frame[16:18], "big")
            req = sent.frame[14 + ihl:14 + req_total]
            if icmp[4:] != req[4:]:
                self.fail(f"{d}: ICMP echo reply #{seq} does not carry its request's identifier, sequence and data")
            if seq in self.replies[back]:
                self.fail(f"{d}: ICMP echo reply #{seq} arrived twice")
            self.replies[back].add(seq)

    def udp_delivered(self, d: str, seq: int, state: RxState) -> None:
        """Datagram ``seq`` of direction ``d`` came out of the receiver's socket intact."""
        got = self.udp[d].get(seq)
        if got is None:
            self.fail(f"{d}: UDP datagram #{seq} that was never offered")
            return
        self._order(d, "udp", seq, "UDP datagram")
        spec, _ = got
        self._delivered(d, "udp", spec, spec.length, state)

    def offered_frame(self, d: str, seq: int, frame: bytes, spec: FrameSpec, state: RxState, verdict: str) -> None:
        """Frame ``seq`` of direction ``d`` (any name) went onto the wire; ``frame`` is
        what the receiver must deliver if ``verdict`` (the oracle's, e.g.
        ``traffic.predict_wire`` under ``state``) is "accepted": the bytes after
        the SFD, padding included, FCS stripped."""
        if verdict == "accepted":
            self.expected.setdefault(d, deque()).append((seq, _Sent(frame, spec, state)))
        self._offered(d, spec.proto, spec, len(frame), state, verdict)

    def on_frame(self, d: str, frame: bytes, state: RxState) -> None:
        """The receiver of ``d`` delivered ``frame``: it must be the oldest frame
        still owed (``offered_frame``), byte for byte. A frame that matches a
        later one names the frames skipped; one that matches none is named by
        its length and first bytes."""
        owed = self.expected.setdefault(d, deque())
        if not owed:
            self.fail(f"{d}: a frame of {len(frame)} bytes delivered when none was owed "
                      f"(the datasheet's rules accepted no frame still outstanding): {frame[:20].hex()}...")
            return
        seq, sent = owed[0]
        if frame != sent.frame:
            later = next((k for k, (_, s) in enumerate(owed) if s.frame == frame), None)
            if later is not None:
                skipped = [str(q) for q, _ in list(owed)[:later]]
                self.fail(f"{d}: frame #{owed[later][0]} delivered before #{', #'.join(skipped)}, which the "
                          f"datasheet's rules accepted earlier (lost or out of order)")
                for _ in range(later):
                    owed.popleft()
            else:
                first = next((i for i, (x, y) in enumerate(zip(frame, sent.frame, strict=False)) if x != y),
                             min(len(frame), len(sent.frame)))
                self.fail(f"{d}: frame #{seq} ({sent.spec.proto}, {sent.spec.size_class}, to "
                          f"{sent.spec.addr_class}, {len(sent.frame)} bytes) arrived as {len(frame)} bytes "
                          f"differing from byte {first}")
        seq, sent = owed.popleft()
        self._delivered(d, sent.spec.proto, sent.spec, len(sent.frame), state)
