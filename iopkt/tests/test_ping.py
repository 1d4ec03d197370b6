"""ping end to end over the virtual cable, through the shell."""

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether

from iopkt.kern.sig import SigInt
from iopkt.sbin.ping import PingResult, echo_payload
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import IP_B, frames_from, two_hosts


@pytest.fixture
def h():
    hosts = two_hosts()
    yield hosts
    hosts.finish()


def test_ping_c10_gets_every_reply_with_matching_data(h):
    r = h.run(run_command({"a": h.a, "b": h.b}, f"ping -c 10 {IP_B}", host="a"))
    res: PingResult = r.value
    assert r.status == 0
    assert (res.transmitted, res.received, res.payload_mismatches, res.duplicates) == (10, 10, 0, 0)
    assert r.lines[0] == f"a# ping -c 10 {IP_B}"
    assert r.lines[1] == f"PING {IP_B} ({IP_B}): 56 data bytes"
    replies = r.lines[2:12]
    for seq, line in enumerate(replies):
        assert line.startswith(f"64 bytes from {IP_B}: icmp_seq={seq} ttl=255 time=") and line.endswith(" us")
    assert r.lines[12:15] == ["", f"----{IP_B} PING Statistics----",
                              "10 packets transmitted, 10 packets received, 0.0% packet loss"]
    mn, avg, mx, sd = res.rtt_stats_us()
    assert r.lines[15] == f"round-trip min/avg/max/stddev = {mn:.3f}/{avg:.3f}/{mx:.3f}/{sd:.3f} us"
    assert 0 < mn <= avg <= mx < 100
    # the requests on the wire, as scapy reads them
    reqs = [Ether(f) for f in frames_from(h, "a") if ICMP in Ether(f)]
    assert [p[ICMP].seq for p in reqs] == list(range(10))
    for p in reqs:
        assert p[ICMP].type == 8 and p[IP].ttl == 64 and len(bytes(p[ICMP].payload)) == 56
        assert bytes(p[ICMP].payload)[8:] == echo_payload(0, 56, 0)[8:]
        sums = (p[IP].chksum, p[ICMP].chksum)
        del p[IP].chksum, p[ICMP].chksum
        assert (Ether(bytes(p))[IP].chksum, Ether(bytes(p))[ICMP].chksum) == sums


def test_ping_honours_interval_and_size(h):
    start = h.platform.now_ns()
    r = h.run(run_command(h.a, f"ping -c 3 -i 0.5 -s 1000 {IP_B}"))
    assert r.lines[0] == f"# ping -c 3 -i 0.5 -s 1000 {IP_B}"
    assert r.value.received == 3 and r.output[1].startswith("1008 bytes from")
    elapsed = h.platform.now_ns() - start
    assert 1_000_000_000 <= elapsed < 1_100_000_000  # two intervals, then the last reply


def test_ping_to_a_missing_host_loses_everything_after_the_wait(h):
    start = h.platform.now_ns()
    r = h.run(run_command(h.a, "ping -c 3 -W 0.25 10.0.0.9"))
    assert r.status == 2
    assert r.value.received == 0 and r.value.transmitted == 3
    assert r.output[-1] == "3 packets transmitted, 0 packets received, 100.0% packet loss"
    assert h.platform.now_ns() - start >= 250_000_000


def test_corrupted_replies_are_counted_as_mismatches(h):
    def corrupt_replies(frame):
        if len(frame) > 50 and frame[23] == 1 and frame[34] == 0:  # ICMP echo reply
            return frame[:-1] + bytes([frame[-1] ^ 0xFF])
        return frame

    h.wire.mangle = corrupt_replies
    r = h.run(run_command(h.a, f"ping -c 2 {IP_B}"))
    # the corruption also breaks the ICMP checksum, so fix it up for a bad-data-good-sum reply
    assert r.value.received == 0 and h.a.inet.icmpstat.icps_checksum == 2

    def corrupt_and_resum(frame):
        if len(frame) > 50 and frame[23] == 1 and frame[34] == 0:
            p = Ether(frame)
            p[ICMP].load = p[ICMP].load[:-1] + b"?"
            del p[ICMP].chksum
            return bytes(p)
        return frame

    h.wire.mangle = corrupt_and_resum
    r = h.run(run_command(h.a, f"ping -c 2 {IP_B}"))
    assert r.value.received == 2 and r.value.payload_mismatches == 2
    assert "wrong data byte #55 should be 0x37 but was 0x3f" in r.output
    assert r.output[-1] == "2 replies with wrong data"


@pytest.mark.parametrize("line, message", [
    ("ping -c x 10.0.0.2", "ping: invalid count: `x'"),
    ("ping -c 0 10.0.0.2", "ping: count 0 out of range 1..65535"),
    ("ping -i -1 10.0.0.2", "ping: interval -1 out of range 0.000001..60"),
    ("ping -s 70000 10.0.0.2", "ping: packet size 70000 out of range 0..65507"),
    ("ping -q 10.0.0.2", "ping: option -q not recognized"),
    ("ping", None),
    ("ping nosuchhost", 'ping: Cannot resolve "nosuchhost" (Unknown host)'),
])
def test_bad_arguments_give_usage_and_status_1(h, line, message):
    r = h.run(run_command(h.a, line))
    assert r.status == 1
    assert r.output[-2].startswith("usage: ping ") and r.output[-1].strip().startswith("count 1..")
    if message:
        assert r.output[0] == message


def test_ping_of_an_oversized_packet_reports_emsgsize(h):
    r = h.run(run_command(h.a, f"ping -c 1 -s 1473 {IP_B}"))
    assert r.output[1] == "ping: sendto: Message too long"
    assert r.status == 2


def test_ping_self_goes_through_loopback(h):
    r = h.run(run_command(h.a, "ping -c 2 10.0.0.1"))
    assert r.value.received == 2 and r.output[1].startswith("64 bytes from 10.0.0.1: icmp_seq=0 ttl=255")


def test_a_late_reply_to_an_earlier_ping_is_not_taken_for_the_next_ones(h):
    """Each ping gets its own echo identifier (NetBSD's uses its pid): a reply
    that comes after its ping gave up is not counted, or checked, by the next."""
    first = h.run(run_command(h.a, f"ping -c 1 -W 0.000001 {IP_B}"))
    assert first.value.received == 0  # gave up before the reply came
    second = h.run(run_command(h.a, f"ping -c 2 -i 0.000001 -W 0.001 {IP_B}"))
    res: PingResult = second.value
    assert (res.received, res.payload_mismatches, res.duplicates) == (2, 0, 0), second.text
    assert not any("wrong data" in line for line in second.lines), second.text


def test_ctrl_c_ends_a_long_ping_with_its_statistics(h):
    """SIGINT 35 ms into a ping every 10 ms: the four requests sent so far (0, 10, 20, 30 ms) and their
    replies are summed up at once, as NetBSD's ping does on SIGINT, and the status says replies came."""
    intr = SigInt()
    start = h.platform.now_ns()

    async def press_ctrl_c():
        await h.platform.sleep(35_000_000)
        intr.raise_()

    h.platform.spawn(press_ctrl_c(), "ctrl-c")
    r = h.run(run_command(h.a, f"ping -c 1000 -i 0.01 {IP_B}", intr=intr))
    assert h.platform.now_ns() - start == 35_000_000  # not a moment after the interrupt
    assert r.status == 0 and (r.value.transmitted, r.value.received) == (4, 4)
    assert r.output[-3:-1] == [f"----{IP_B} PING Statistics----",
                               "4 packets transmitted, 4 packets received, 0.0% packet loss"]
    assert r.output[-1].startswith("round-trip min/avg/max/stddev = ")


def test_an_interrupt_raised_before_ping_starts_sends_nothing(h):
    intr = SigInt()
    intr.raise_()
    r = h.run(run_command(h.a, f"ping -c 3 {IP_B}", intr=intr))
    assert r.status == 2 and r.value.transmitted == 0
    assert r.output[-1] == "0 packets transmitted, 0 packets received, 0.0% packet loss"


def test_utilities_that_ignore_sigint_run_to_their_end(h):
    intr = SigInt()
    intr.raise_()
    r = h.run(run_command(h.a, "ifconfig nic0", intr=intr))
    assert r.status == 0 and r.output[0].startswith("nic0: flags=")
