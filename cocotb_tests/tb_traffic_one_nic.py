"""Seeded constrained-random traffic on the one-NIC GMII bench (toplevel ``nic``), both directions at once.

Into the NIC (a cocotbext-eth ``GmiiSource`` on its receive pins): the frames of
``traffic.Generator`` (sizes from runts to jumbo with the edges weighted,
station / broadcast / multicast in and out of the hash / another station,
802.1Q tags, UDP, ICMP and raw EtherTypes, back to back at the minimum IFG or
with gaps), some sent unpadded (runts with a good FCS), some spoiled as
``rtl/tb/gmii_fault_inject.v`` spoils them (a flipped bit, ``rx_er``, cut
short, no SFD), under each filter mode in turn (station only, multicast hash,
all-multicast, promiscuous; MTU 1500 or 9000). Out of it, at the same time:
the frames of a second generator posted on its TX ring (now and then split
over two descriptors, at odd addresses) and taken by a ``GmiiSink``.

The oracle is the datasheet, not the RTL: ``traffic.predict_wire`` says for
each frame whether it is delivered or which ``STAT_RX_*`` counter takes it,
the scoreboard (``Scoreboard.offered_frame``/``on_frame``) checks every
delivered frame byte for byte and in order, and each frame out of the NIC is
checked against what was posted, padded to 60 bytes, its FCS against zlib's
CRC-32. The test ends with one accounting line per direction,
``offered = delivered + <each counter>``, each counter equal to its prediction.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import Counter, deque

import cocotb
from cocotb.triggers import Timer
from cocotbext.eth import GmiiFrame
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from nicdef import regs
from nicdef.desc import rx_desc
from nicsim import testing
from nicsim.nic_harness import MAC, RX_BUF0, RX_RING, TX_RING, GmiiBench, wait_until
from nicsim.scoreboard import Scoreboard
from nicsim.traffic import (
    BROADCAST,
    GROUPS,
    MAX_FRAME_OVERHEAD,
    VERDICT_COUNTER,
    WIRE_ERROR_NAMES,
    Generator,
    RxState,
    ether_hash_bin,
    predict_wire,
    raw_frame,
)

TOPLEVEL = "nic"  # the HDL toplevel these tests run on (read by nicsim.collect)

PEER = bytes.fromhex("020000000002")  # the station at the far end of the GMII models
RX_DIR, TX_DIR = "wire->nic", "nic->wire"
RING = 64  # descriptors per ring: a jumbo frame takes five 2048-byte RX buffers
RX_BUF = 0x800  # RX_BUF_SIZE's reset value
TX_BUF0, TX_SLOT = 0x40000, 0x2400  # one TX slot per descriptor, room for a 9014-byte frame at an odd address
JUMBO_MTU = 9000  # what the GMII source may send, and the NIC's MTU in a jumbo phase
WIRE_ERROR_RATE = 0.1
POLL_NS = 2_000  # the reapers look at the rings this often: no per-clock Python
# the filter modes a run visits, each with the NIC's receive state for the station MAC and an MTU
MODES = ("station", "hash", "allmulti", "promisc")
SINK_STATE = RxState(PEER, JUMBO_MTU, promisc=True)  # the GMII sink takes every frame
RX_COUNTERS = ("STAT_RX_RUNT", "STAT_RX_TOOLONG", "STAT_RX_FCS_ERR", "STAT_RX_FRAMING", "STAT_RX_FILTERED",
               "STAT_RX_MISSED")


def _frames(verilator: int, icarus: int) -> int:
    return verilator if cocotb.SIM_NAME.lower().startswith("verilator") else icarus


def mode_state(mode: str, mtu: int) -> RxState:
    """The NIC's receive state in filter ``mode`` (one of ``MODES``) at ``mtu``: the hash holds the two groups
    the generator treats as joined, except in "station" mode (empty hash: station and broadcast only)."""
    groups = frozenset() if mode == "station" else frozenset(GROUPS[:2])
    return RxState(MAC, mtu, promisc=mode == "promisc", allmulti=mode == "allmulti", groups=groups)


def build_frame(src: bytes, spec, direction: int, seq: int) -> bytes:
    """The frame of ``spec`` (no FCS, not padded): a raw frame (``traffic.raw_frame``, tagged with ``direction``
    and ``seq``), or a UDP datagram or ICMP echo request built by scapy to ``spec.length`` bytes (42 at least)."""
    if spec.proto == "raw":
        return raw_frame(src, spec, direction, seq)
    data = bytes((seq + k) & 0xFF for k in range(max(spec.length - 42, 0)))
    ip = IP(src="10.0.0.2", dst="10.0.0.1")
    l4 = UDP(sport=7301 + direction, dport=7301) if spec.proto == "udp" else ICMP(type=8, id=0x5A03,
                                                                                  seq=seq & 0xFFFF)
    return bytes(Ether(dst=spec.dst.hex(":"), src=src.hex(":")) / ip / l4 / Raw(data))


def gmii_burst(frame: bytes, error: int | None, pos: int) -> GmiiFrame:
    """``frame`` (padding included) on GMII: preamble, SFD, the bytes and zlib's FCS, spoiled by wire error
    ``error`` at byte ``pos`` after the SFD exactly as ``rtl/tb/gmii_fault_inject.v`` spoils a frame
    (1: bit 0 flipped, 2: rx_er on that byte, 3: cut there, 4: the SFD sent as 0x55; past the end: nothing)."""
    body = bytearray(frame + struct.pack("<L", zlib.crc32(frame)))
    sfd = b"\x55" if error == 4 else b"\xd5"
    er = None
    if pos < len(body):
        if error == 1:
            body[pos] ^= 1
        elif error == 2:
            er = [0] * (8 + len(body))
            er[8 + pos] = 1
        elif error == 3:
            del body[pos:]
    burst = GmiiFrame(b"\x55" * 7 + sfd + bytes(body))
    burst.error = er
    return burst


def counts_by_dst(frames, what: str) -> int:
    """How many of ``frames`` (bytes) are broadcast (``what`` "bcast") or multicast, by their destination."""
    if what == "bcast":
        return sum(f[:6] == BROADCAST for f in frames)
    return sum(bool(f[0] & 1) and f[:6] != BROADCAST for f in frames)


class TrafficBench:
    """The NIC on its GMII models with both rings driven as a driver would: RX buffers handed back as frames
    are taken, TX frames posted while the ring has room and reaped by DD. ``seed`` picks everything."""

    def __init__(self, dut, seed: int):
        self.dut = dut
        self.seed = seed
        self.tb = GmiiBench(dut)
        self.nic = self.tb.nic
        self.board = Scoreboard()
        self.gen_rx = Generator(seed * 2, MAC)
        self.gen_tx = Generator(seed * 2 + 1, PEER)
        # the bench's own choices (filter modes, MTUs, unpadded runts, split TX frames): the generators'
        # streams stay those the two-host soak draws from the same seeds
        self.rng = random.Random(seed * 7919 + 17)
        self.state = mode_state("hash", 1500)
        self.verdicts: Counter = Counter()
        self.wire_errors: Counter = Counter()
        self.rx_got: list[bytes] = []
        self.tx_posted: list[bytes] = []
        self.tx_got: list[bytes] = []
        self.tx_frames: deque = deque()  # (first descriptor, descriptors) of each frame not yet reaped
        self.tx_owned = 0  # descriptors handed to the NIC and not reaped
        self.stop = False

    async def start(self) -> None:
        await self.tb.start(rx_buffers=0)
        await self.nic.setup(MAC, TX_RING, RING, RX_RING, RING)
        await self.nic.post_rx([RX_BUF0 + RX_BUF * i for i in range(RING - 1)])  # one descriptor stays unused
        cocotb.start_soon(self.reap_rx())
        cocotb.start_soon(self.watch_sink())

    async def program(self, st: RxState) -> None:
        """The filter and length registers for ``st`` (datasheet *Address filter*; BAM stays set)."""
        bins = 0
        for g in st.groups:
            bins |= 1 << ether_hash_bin(g)
        await self.nic.wr("MC_HASH_LO", bins & 0xFFFFFFFF)
        await self.nic.wr("MC_HASH_HI", bins >> 32)
        await self.nic.wr("RX_CTRL", regs.RX_CTRL_BAM | (regs.RX_CTRL_PROMISC if st.promisc else 0)
                          | (regs.RX_CTRL_ALLMULTI if st.allmulti else 0))
        await self.nic.wr("MAX_FRAME_LEN", st.mtu + MAX_FRAME_OVERHEAD)
        self.state = st

    # ------------------------------------------------------------ receive
    async def send_rx(self, count: int) -> None:
        """``count`` generator frames into the NIC under the current state, each with the oracle's verdict."""
        for _ in range(count):
            seq = self.board.offered.get(RX_DIR, 0)
            spec = self.gen_rx.next(JUMBO_MTU, self.state.mtu)
            frame = build_frame(PEER, spec, 0, seq)
            if spec.size_class != "below_min" or self.rng.random() < 0.5:
                frame += bytes(max(60 - len(frame), 0))  # padded as a MAC pads; else a runt with a good FCS
            error, pos = self.gen_rx.wire_error(WIRE_ERROR_RATE) or (None, 0)
            verdict = predict_wire(len(frame), spec.dst, self.state, error, pos)
            if error is not None:
                self.wire_errors[WIRE_ERROR_NAMES[error]] += 1
            self.verdicts[verdict] += 1
            self.board.offered_frame(RX_DIR, seq, frame, spec, self.state, verdict)
            await self.tb.source.send(gmii_burst(frame, error, pos))
            if spec.gap_ns:
                await self.tb.source.wait()
                await Timer(spec.gap_ns, unit="ns")
            elif self.tb.source.count() >= 4:
                await self.tb.source.wait()  # back to back at the minimum IFG, a few frames queued at a time

    async def reap_rx(self) -> None:
        """Take each completed frame (one or more descriptors up to EOP), give it to the scoreboard and hand
        its buffers back at the tail."""
        nic, parts = self.nic, []
        while True:
            taken = False
            while (st := nic.rx_status(nic.rx_next)).done:
                parts.append(nic.ram.read(st.addr, st.length))
                if not st.sta & regs.RX_DESC_STA_EOP and st.sta != regs.RX_DESC_STA_DD:
                    self.board.fail(f"{RX_DIR}: RX[{nic.rx_next}] written back with STA {st.sta:#x}")
                nic.ram.write(nic.rx_desc_addr(nic.rx_tail), rx_desc(st.addr))
                nic.rx_tail = (nic.rx_tail + 1) % RING
                nic.rx_next = (nic.rx_next + 1) % RING
                taken = True
                if st.sta & regs.RX_DESC_STA_EOP:
                    frame = b"".join(parts)
                    parts = []
                    self.rx_got.append(frame)
                    self.board.on_frame(RX_DIR, frame, self.state)
            if taken:
                await nic.wr("RX_TAIL", nic.rx_tail)
            await Timer(POLL_NS, unit="ns")

    async def drain_rx(self, timeout_us: float = 500) -> None:
        """Wait for the source to go idle and every frame the oracle accepted to be taken."""
        await self.tb.source.wait()
        try:
            await wait_until(lambda: not self.board.expected.get(RX_DIR), timeout_us, POLL_NS)
        except AssertionError:
            raise AssertionError(f"seed {self.seed}: {len(self.board.expected[RX_DIR])} frames the datasheet's "
                                 f"rules accept never arrived {timeout_us} us after the last was sent\n"
                                 + "\n".join(await self.accounting())) from None

    # ------------------------------------------------------------ transmit
    def reap_tx(self) -> None:
        while self.tx_frames:
            first, n = self.tx_frames[0]
            if not self.nic.tx_sta((first + n - 1) % RING) & regs.TX_DESC_STA_DD:
                break
            self.tx_frames.popleft()
            self.tx_owned -= n

    async def send_tx(self, count: int) -> None:
        """``count`` generator frames through the TX ring (RS on each frame's last descriptor)."""
        for seq in range(count):
            spec = self.gen_tx.next(self.state.mtu, JUMBO_MTU)
            frame = build_frame(MAC, spec, 1, seq)
            cut = self.rng.randrange(1, len(frame)) if self.rng.random() < 0.25 else len(frame)
            pieces = [frame[:cut], frame[cut:]] if cut < len(frame) else [frame]
            while True:
                self.reap_tx()
                if self.tx_owned + len(pieces) <= RING - 1:  # one descriptor stays unused
                    break
                await Timer(POLL_NS, unit="ns")
            first = self.nic.tx_tail
            bufs = [(TX_BUF0 + TX_SLOT * ((first + k) % RING) + (seq + k) % 8, p) for k, p in enumerate(pieces)]
            padded = frame + bytes(max(60 - len(frame), 0))
            self.tx_posted.append(frame)
            self.board.offered_frame(TX_DIR, seq, padded, spec, SINK_STATE, "accepted")
            self.tx_frames.append((first, len(pieces)))
            self.tx_owned += len(pieces)
            await self.nic.send(bufs)
            if spec.gap_ns:
                await Timer(spec.gap_ns, unit="ns")

    async def watch_sink(self) -> None:
        while True:
            got = await self.tb.sink.recv()
            payload, fcs = bytes(got.get_payload()), bytes(got.get_fcs())
            n = len(self.tx_got)
            if got.error and any(got.error):
                self.board.fail(f"{TX_DIR}: frame #{n} left with gmii_tx_er set")
            if fcs != struct.pack("<L", zlib.crc32(payload)):
                self.board.fail(f"{TX_DIR}: frame #{n} left with FCS {fcs.hex()}, zlib says "
                                f"{struct.pack('<L', zlib.crc32(payload)).hex()}")
            self.tx_got.append(payload)
            self.board.on_frame(TX_DIR, payload, SINK_STATE)

    # ------------------------------------------------------------ the end
    async def accounting(self) -> list[str]:
        """One line per direction, ``offered = delivered + <each counter>``, and under it every difference from
        the oracle (counters, delivered frames and octets, broadcast and multicast counts); empty differences
        mean the line is exact."""
        stat = await self.nic.rd_stat()
        lines, wrong = [], []
        rx_counted = {name: stat[name[5:]] for name in RX_COUNTERS}
        offered, delivered = self.board.offered.get(RX_DIR, 0), len(self.rx_got)
        lines.append(f"{RX_DIR}: offered {offered} = delivered {delivered} + "
                     + " + ".join(f"{k} {v}" for k, v in rx_counted.items())
                     + f" (wire errors: {dict(self.wire_errors) or 'none'})")
        predicted = {c: self.verdicts[v] for v, c in VERDICT_COUNTER.items()} | {"STAT_RX_MISSED": 0}
        if offered != delivered + sum(rx_counted.values()):
            wrong.append(f"{RX_DIR}: offered - delivered - counters = {offered - delivered - sum(rx_counted.values())}")
        wrong += [f"{RX_DIR}: {k} counted {rx_counted[k]}, the datasheet's rules say {predicted[k]}"
                  for k in RX_COUNTERS if rx_counted[k] != predicted[k]]
        checks = {"delivered frames": (delivered, self.verdicts["accepted"]),
                  "STAT_RX_FRAMES": (stat["RX_FRAMES"], delivered),
                  "STAT_RX_OCTETS": (stat["RX_OCTETS"], sum(map(len, self.rx_got))),
                  "STAT_RX_BCAST": (stat["RX_BCAST"], counts_by_dst(self.rx_got, "bcast")),
                  "STAT_RX_MCAST": (stat["RX_MCAST"], counts_by_dst(self.rx_got, "mcast"))}
        offered, delivered = len(self.tx_posted), len(self.tx_got)
        lines.append(f"{TX_DIR}: offered {offered} = delivered {delivered} + STAT_TX_NO_CARRIER "
                     f"{stat['TX_NO_CARRIER']}")
        checks |= {"frames on the sink": (delivered + stat["TX_NO_CARRIER"], offered),
                   "STAT_TX_NO_CARRIER": (stat["TX_NO_CARRIER"], 0),
                   "STAT_TX_FRAMES": (stat["TX_FRAMES"], offered),
                   "STAT_TX_OCTETS": (stat["TX_OCTETS"], sum(map(len, self.tx_posted))),
                   "STAT_TX_BCAST": (stat["TX_BCAST"], counts_by_dst(self.tx_posted, "bcast")),
                   "STAT_TX_MCAST": (stat["TX_MCAST"], counts_by_dst(self.tx_posted, "mcast"))}
        wrong += [f"{k}: {got}, expected {want}" for k, (got, want) in checks.items() if got != want]
        return lines + [f"  differs: {w}" for w in wrong]


async def run_traffic(dut, seed: int, rx_frames: int, tx_frames: int) -> None:
    """Seed ``seed``: ``rx_frames`` into the NIC over every filter mode (an equal share each, in a seeded order,
    each at MTU 1500 or 9000) while ``tx_frames`` go out; then the frames and both accounting lines are checked."""
    bench = TrafficBench(dut, seed)
    await bench.start()
    tx = cocotb.start_soon(bench.send_tx(tx_frames))
    modes = list(MODES)
    bench.rng.shuffle(modes)
    for n, mode in enumerate(modes):
        # the filter changes only while the wire into the NIC is quiet, so each frame meets one known state
        await bench.drain_rx()
        await bench.program(mode_state(mode, bench.rng.choice((1500, JUMBO_MTU))))
        await bench.send_rx(rx_frames // len(modes) + (n < rx_frames % len(modes)))
    await bench.drain_rx()
    await tx
    await wait_until(lambda: len(bench.tx_got) >= len(bench.tx_posted), 1_000, POLL_NS)
    await Timer(5, unit="us")  # anything more on the sink would be a frame never posted
    lines = await bench.accounting()
    for line in lines:
        dut._log.info("%s", line)
    dut._log.info("seed %d: %s over modes %s; TX %d frames", seed, dict(bench.verdicts), modes, len(bench.tx_got))
    if bench.board.errors:
        raise AssertionError(f"seed {seed}: " + "\n".join(bench.board.errors + lines))
    if any("differs" in line for line in lines):
        raise AssertionError(f"seed {seed}: accounting not exact\n" + "\n".join(lines))
    bench.nic.bursts.check()


@testing.test()
async def test_traffic_seed_1(dut):
    """Seed 1: random frames into the NIC under each filter mode (wire errors and unpadded runts among them)
    while random frames go out of its TX ring; every frame delivered or counted as the datasheet says."""
    await run_traffic(dut, 1, _frames(400, 80), _frames(300, 60))


@testing.test()
async def test_traffic_seed_2(dut):
    """Seed 2, as seed 1."""
    await run_traffic(dut, 2, _frames(400, 80), _frames(300, 60))


@testing.test()
async def test_traffic_seed_3(dut):
    """Seed 3, as seed 1."""
    await run_traffic(dut, 3, _frames(400, 80), _frames(300, 60))
