"""The soak's pure parts: the generator (seeded, edges weighted), the
datasheet oracle ``traffic.predict`` and the scoreboard's checks. The hash
bin is checked against a bit-by-bit CRC-32 written from IEEE 802.3's
polynomial, not against the code's own zlib call."""

from __future__ import annotations

from dataclasses import replace

from nicsim.scoreboard import Scoreboard
from nicsim.traffic import (
    BROADCAST,
    GROUPS,
    OTHER_STATION,
    Generator,
    RxState,
    ether_hash_bin,
    parse_tag,
    predict,
    raw_frame,
)

STATION = bytes.fromhex("020000000b01")


def _crc_bits(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        for i in range(8):
            bit = (byte >> i) & 1
            crc = ((crc >> 1) ^ 0xEDB88320) if (crc ^ bit) & 1 else crc >> 1
    return crc  # not inverted: the datasheet's "top 6 bits of the Ethernet CRC ..., not inverted"


def test_hash_bin_is_the_top_six_bits_of_the_uninverted_crc():
    for g in GROUPS + [bytes.fromhex("01005e7fffff")]:
        assert ether_hash_bin(g) == _crc_bits(g) >> 26


def test_predict_follows_the_datasheet_receive_rules():
    st = RxState(STATION, 1500, groups=frozenset(GROUPS[:2]))
    assert predict(1518, STATION, st) == "accepted"  # 1522 with FCS: MAX_FRAME_LEN
    assert predict(1519, STATION, st) == "oversize"
    assert predict(30, STATION, st) == "accepted"  # padded to 60
    assert predict(100, BROADCAST, st) == "accepted"
    assert predict(100, OTHER_STATION, st) == "filtered"
    assert predict(100, GROUPS[0], st) == "accepted"
    out = GROUPS[2] if ether_hash_bin(GROUPS[2]) not in {ether_hash_bin(g) for g in GROUPS[:2]} else GROUPS[3]
    assert predict(100, out, st) == "filtered"
    assert predict(100, out, RxState(STATION, 1500, allmulti=True)) == "accepted"
    assert predict(100, OTHER_STATION, RxState(STATION, 1500, promisc=True)) == "accepted"
    assert predict(2000, OTHER_STATION, RxState(STATION, 1500, promisc=True)) == "oversize"
    assert predict(9018, STATION, RxState(STATION, 9000)) == "accepted"


def test_generator_is_seeded_and_weights_the_edges():
    ga, gb = Generator(5, STATION), Generator(5, STATION)
    a = [ga.next(9000, 1500) for _ in range(3000)]
    b = [gb.next(9000, 1500) for _ in range(3000)]
    assert a == b
    classes = {s.size_class for s in a}
    assert {"below_min", "min", "64", "1514", "1518", "1522", "mtu-1", "mtu", "mtu+1", "rx_max", "rx_max+1",
            "jumbo", "small", "mid"} <= classes
    assert {s.addr_class for s in a} == {"station", "broadcast", "mcast_in", "mcast_out", "other"}
    assert {s.proto for s in a} == {"udp", "icmp", "raw"}
    assert any(s.vlan for s in a) and any(s.gap_ns == 0 for s in a)
    assert [s for s in a if s.size_class == "rx_max"][0].length == 1518


def _sent(board: Scoreboard, seq: int, spec, st: RxState) -> bytes:
    frame = raw_frame(bytes.fromhex("020000000a01"), spec, 0, seq)
    board.offered_raw("A->B", seq, frame, spec, st)
    return frame


def test_scoreboard_checks_bytes_order_and_the_filter():
    st = RxState(STATION, 1500, groups=frozenset(GROUPS[:2]))
    gen = Generator(1, STATION)
    board = Scoreboard()
    seen = []
    board.listeners.append(seen.append)
    specs = []
    while len(specs) < 4:
        s = gen.next(1500, 1500)
        if s.proto == "raw" and s.addr_class == "station" and 40 <= s.length <= 1514:
            specs.append(s)
    frames = [_sent(board, i, s, st) for i, s in enumerate(specs)]
    assert parse_tag(frames[2]) == (0, 2)
    board.on_rx("A->B", frames[0] + bytes(max(60 - len(frames[0]), 0)), st)
    assert board.errors == []
    board.on_rx("A->B", frames[2] + bytes(max(60 - len(frames[2]), 0)), st)
    board.on_rx("A->B", frames[1] + bytes(max(60 - len(frames[1]), 0)), st)
    assert any("out of order" in e for e in board.errors)
    board.errors.clear()
    bad = bytearray(frames[3] + bytes(max(60 - len(frames[3]), 0)))
    bad[len(frames[3]) - 1] ^= 1  # the payload's last byte
    board.on_rx("A->B", bytes(bad), st)
    assert any("damaged" in e for e in board.errors)
    board.errors.clear()
    other = specs[0]
    other.dst, other.addr_class = OTHER_STATION, "other"
    f = _sent(board, 10, other, st)
    board.on_rx("A->B", f + bytes(max(60 - len(f), 0)), st)
    assert any("filtered" in e for e in board.errors)
    assert [e["event"] for e in seen].count("offered") == 5


def test_udp_payloads_are_whole_up_to_a_jumbo_datagram():
    """A 9000-byte MTU carries 8972-byte datagrams: every size gets all its bytes (the pattern once ran out
    at 1792, and the soak's jumbo datagrams went out short)."""
    from nicsim.udp_flow import check_payload, payload

    for seq in (0, 29156, 2**31):
        for size in (8, 1472, 1793, 3013, 8972):
            data = payload(seq, size)
            assert len(data) == size and check_payload(data) == seq
            assert all(data[8 + k] == (seq * 7 + k) & 0xFF for k in range(0, size - 8, 97))


def test_icmp_order_survives_the_16_bit_sequence_wrap():
    """ICMP sequence numbers wrap at 65536: 65535 then 0 is in order, 3 then 1 is not."""
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.l2 import Ether

    from nicsim.scoreboard import ICMP_ID
    from nicsim.traffic import FrameSpec

    board = Scoreboard()
    st = RxState(STATION, 1500)
    spec = FrameSpec("icmp", 100, "small", "station", STATION, None, 0)

    def send_and_receive(seq):
        frame = bytes(Ether(dst=STATION.hex(":"), src="02:00:00:00:0a:01") / IP(src="10.0.0.1", dst="10.0.0.2")
                      / ICMP(type=8, id=ICMP_ID["A->B"], seq=seq) / bytes(58))
        board.offered_icmp("A->B", seq, frame, spec, st)
        board.on_rx("A->B", frame, st)

    for seq in (65534, 65535, 0, 1, 3):
        send_and_receive(seq)
    assert board.errors == []
    send_and_receive(1)
    assert any("out of order" in e or "duplicate" in e for e in board.errors)


def test_an_icmp_reply_after_the_sequence_wrapped_is_a_new_one():
    """After 65536 requests a sequence number comes back: its reply is the new request's, not a duplicate."""
    from scapy.layers.inet import ICMP, IP
    from scapy.layers.l2 import Ether

    from nicsim.scoreboard import ICMP_ID
    from nicsim.traffic import FrameSpec

    board = Scoreboard()
    st = RxState(STATION, 1500)
    spec = FrameSpec("icmp", 100, "small", "station", STATION, None, 0)
    request = bytes(Ether(dst=STATION.hex(":"), src="02:00:00:00:0a:01") / IP(src="10.0.0.1", dst="10.0.0.2")
                    / ICMP(type=8, id=ICMP_ID["A->B"], seq=5) / bytes(58))
    reply = bytes(Ether(dst="02:00:00:00:0a:01", src=STATION.hex(":")) / IP(src="10.0.0.2", dst="10.0.0.1")
                  / ICMP(type=0, id=ICMP_ID["A->B"], seq=5) / bytes(58))
    for _ in range(2):
        board.offered_icmp("A->B", 5, request, spec, st)
        board.on_rx("B->A", reply, st)
    assert board.errors == []
    board.on_rx("B->A", reply, st)
    assert any("arrived twice" in e for e in board.errors)


def test_predict_wire_follows_the_datasheet_precedence():
    """Framing before anything; then runt, oversize, bad FCS/rx_er, the filter, in the datasheet's order; a
    wire error past the frame's end spoils nothing, as the injector's comment says."""
    from nicsim.traffic import predict_wire

    st = RxState(STATION, 1500, groups=frozenset(GROUPS[:2]))
    assert predict_wire(60, STATION, st) == "accepted"
    assert predict_wire(59, STATION, st) == "runt"  # 63 with FCS, sent unpadded
    assert predict_wire(2000, OTHER_STATION, st, error=4, pos=3) == "framing"
    assert predict_wire(2000, STATION, st, error=2, pos=10) == "oversize"  # too long outranks rx_er
    assert predict_wire(1518, STATION, st, error=3, pos=59) == "runt"  # cut to 59 bytes
    assert predict_wire(1518, OTHER_STATION, st, error=1, pos=1521) == "fcs"  # a bit of the FCS itself
    assert predict_wire(1518, OTHER_STATION, st, error=1, pos=1522) == "filtered"  # past the end: unspoiled
    assert predict_wire(100, GROUPS[2], replace(st, allmulti=True)) == "accepted"


def test_on_frame_checks_order_and_bytes():
    """offered_frame/on_frame: the next frame owed must arrive, byte for byte; a later one names what it skipped."""
    from nicsim.traffic import FrameSpec

    board = Scoreboard()
    st = RxState(STATION, 1500)
    spec = FrameSpec("raw", 60, "min", "station", STATION, None, 0)
    frames = [bytes([n]) * 60 for n in range(4)]
    for n, f in enumerate(frames):
        board.offered_frame("in", n, f, spec, st, "filtered" if n == 1 else "accepted")
    board.on_frame("in", frames[0], st)
    assert board.errors == []
    board.on_frame("in", frames[3], st)
    assert "#3 delivered before #2" in board.errors[0]
    board.on_frame("in", frames[3][:-1] + b"\x01", st)
    assert "when none was owed" in board.errors[1]
