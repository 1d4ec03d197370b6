"""The Internet checksum against RFC 1071's worked example and scapy."""

import random

from scapy.layers.inet import IP, UDP
from scapy.utils import checksum

from iopkt.netinet.in_ import inet_addr
from iopkt.netinet.in_cksum import in4_cksum, in_cksum, in_cksum_add, in_cksum_fold
from iopkt.netinet.ip import IPPROTO_UDP


def test_rfc1071_example():
    # RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
    data = bytes.fromhex("0001f203f4f5f6f7")
    assert in_cksum_fold(in_cksum_add(data)) == 0x220D
    assert in_cksum(data + (0x220D).to_bytes(2, "big")) == 0


def test_odd_lengths_and_random_data_match_scapy():
    rng = random.Random(1071)
    for n in list(range(0, 70)) + [1499, 1500, 9000]:
        data = bytes(rng.randrange(256) for _ in range(n))
        assert in_cksum(data) == checksum(data), n


def test_sums_at_the_fold_edges_match_scapy():
    # all zeros sums to 0; words summing to a nonzero multiple of 0xFFFF
    # fold to 0xFFFF (checksum 0), not 0 (checksum 0xFFFF)
    for data in (b"", b"\x00" * 8, b"\xff\xff", b"\xff" * 1500, b"\x00\x01\xff\xfe", b"\x80\x00\x7f\xff",
                 b"\xff\xff\x00\x00\xff", bytes(range(256)) * 6):
        assert in_cksum(data) == checksum(data), data[:8]


def test_udp_pseudo_header_checksum_matches_scapy():
    src, dst = "10.0.0.1", "10.0.0.2"
    raw = bytes(UDP(sport=1234, dport=5678) / b"hello, world!")
    built = bytes(IP(src=src, dst=dst) / UDP(sport=1234, dport=5678) / b"hello, world!")
    scapy_sum = int.from_bytes(built[20 + 6:20 + 8], "big")
    zeroed = raw[:6] + b"\x00\x00" + raw[8:]
    assert in4_cksum(zeroed, IPPROTO_UDP, inet_addr(src), inet_addr(dst)) == scapy_sum
    assert in4_cksum(built[20:], IPPROTO_UDP, inet_addr(src), inet_addr(dst)) == 0
