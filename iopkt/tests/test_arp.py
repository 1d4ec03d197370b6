"""ARP: resolution, the cache and its timeouts (NetBSD's: entries good for 20
minutes, at most 5 requests one a second, then the neighbour is down for
20 s), the one-packet hold queue, answering for our addresses only, and
gratuitous ARP handled safely."""

from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

from iopkt.kern.errno import EHOSTDOWN, EHOSTUNREACH, EOK
from iopkt.netinet.if_arp import ARP_MAXTRIES, ARPT_DOWN_S, ARPT_KEEP_S, arp_entries, arp_isdown
from iopkt.netinet.in_ import inet_addr
from iopkt.netinet.ip_icmp import icmp_echo_listen, icmp_echo_send
from iopkt.netinet.route import route_set_default
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import IP_A, IP_B, MAC_A, MAC_B, frames_from, two_hosts

S = 1_000_000_000


def _send_echo(h, seq, dst=IP_B, data=b"x"):
    return h.a.stack_call(icmp_echo_send, h.a, inet_addr(dst), 0x77, seq, data)


def test_address_assignment_announces_with_gratuitous_arp():
    h = two_hosts()
    grat = Ether(frames_from(h, "a")[0])
    assert grat.dst == "ff:ff:ff:ff:ff:ff" and grat[ARP].op == 1
    assert grat[ARP].psrc == grat[ARP].pdst == IP_A and grat[ARP].hwsrc == "02:00:00:00:00:01"
    # the peer does not learn from someone else's announcement
    assert arp_entries(h.b) == []
    h.finish()


def test_request_reply_and_cache():
    h = two_hosts()
    n = len(h.wire.frames)
    replies = []
    icmp_echo_listen(h.a, 0x77, replies.append)
    assert h.run(_send_echo(h, 1)) == 0
    h.platform.run(for_ns=100_000)
    req = Ether(frames_from(h, "a", n)[0])
    assert req.dst == "ff:ff:ff:ff:ff:ff" and req[ARP].op == 1
    assert (req[ARP].psrc, req[ARP].pdst, req[ARP].hwsrc) == (IP_A, IP_B, "02:00:00:00:00:01")
    rep = Ether(frames_from(h, "b", n)[0])
    assert rep.dst == "02:00:00:00:00:01" and rep[ARP].op == 2
    assert (rep[ARP].psrc, rep[ARP].hwsrc, rep[ARP].pdst, rep[ARP].hwdst) == (IP_B, "02:00:00:00:00:02", IP_A,
                                                                               "02:00:00:00:00:01")
    # the held echo request went out after the reply, and was answered
    assert [r.seq for r in replies] == [1]
    (la,) = arp_entries(h.a)
    assert la.la_lladdr == MAC_B and la.la_expire_ns - h.platform.now_ns() > (ARPT_KEEP_S - 1) * S
    # b learnt a from the request aimed at it
    assert [e.la_lladdr for e in arp_entries(h.b)] == [MAC_A]
    # a second packet needs no ARP
    n = len(h.wire.frames)
    h.run(_send_echo(h, 2))
    h.platform.run(for_ns=100_000)
    assert all(IP in Ether(f) for f in frames_from(h, "a", n))
    assert h.a.inet.arpstat.as_sndrequest == 2  # the announcement and the one request
    h.finish()


def test_complete_entry_expires_after_20_minutes():
    h = two_hosts()
    h.run(_send_echo(h, 1))
    h.platform.run(for_ns=ARPT_KEEP_S * S - 1_000_000)
    assert len(arp_entries(h.a)) == 1
    h.platform.run(for_ns=2 * S)
    assert arp_entries(h.a) == []
    h.finish()


def test_timer_values_are_netbsds():
    assert (ARPT_KEEP_S, ARPT_DOWN_S, ARP_MAXTRIES) == (20 * 60, 20, 5)


def test_hold_queue_keeps_only_the_last_packet_and_incomplete_entry_times_out():
    h = two_hosts()
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"  # no ARP gets through
    for seq in range(3):
        assert h.run(_send_echo(h, seq, dst="10.0.0.9")) == 0
    (la,) = arp_entries(h.a)
    assert not la.resolved and la.la_hold is not None
    st = h.a.inet.arpstat
    assert (st.as_dfrtotal, st.as_dfrdropped, st.as_sndrequest) == (3, 2, 2)  # one request: rate limited
    held = h.a.mbufs.mbufs_in_use
    assert held >= 1
    h.platform.run(for_ns=19 * S)  # no more packets: the entry waits 20 s after its last request
    assert len(arp_entries(h.a)) == 1 and la.la_hold is not None
    h.platform.run(for_ns=S + 100_000_000)
    assert arp_entries(h.a) == []
    assert st.as_timeouts == 1 and st.as_dfrdropped == 3
    assert h.a.mbufs.mbufs_in_use == 0
    h.finish()


def test_requests_for_other_addresses_are_not_answered():
    h = two_hosts()
    n = len(h.wire.frames)
    frame = bytes(Ether(src="02:00:00:00:00:99", dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc="02:00:00:00:00:99", psrc="10.0.0.99", pdst="10.0.0.50"))
    h.run(h.wire.inject(h.scb, frame))
    h.platform.run(for_ns=100_000)
    assert frames_from(h, "b", n) == []
    assert arp_entries(h.b) == []
    h.finish()


def test_gratuitous_arp_claiming_our_address_is_reported_and_not_believed():
    h = two_hosts()
    frame = bytes(Ether(src="02:00:00:00:00:99", dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc="02:00:00:00:00:99", psrc=IP_B, pdst=IP_B))
    h.run(h.wire.inject(h.scb, frame))
    h.platform.run(for_ns=100_000)
    assert h.b.inet.arpstat.as_rcvlocalspa == 1
    assert any("is using my IP address 10.0.0.2" in line for line in h.b.log)
    assert arp_entries(h.b) == []
    h.finish()


def test_gratuitous_arp_refreshes_an_existing_entry():
    h = two_hosts()
    h.run(_send_echo(h, 1))
    h.platform.run(for_ns=100_000)
    frame = bytes(Ether(src="02:00:00:00:00:22", dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc="02:00:00:00:00:22", psrc=IP_B, pdst=IP_B))
    h.run(h.wire.inject(h.sca, frame))
    (la,) = arp_entries(h.a)
    assert la.la_lladdr == bytes.fromhex("020000000022")
    assert h.a.inet.arpstat.as_rcvover == 1
    n = len(h.wire.frames)
    h.run(_send_echo(h, 2))
    assert Ether(frames_from(h, "a", n)[0]).dst == "02:00:00:00:00:22" and ICMP in Ether(frames_from(h, "a", n)[0])
    h.finish()


def _arp_requests_from_a(h, since=0):
    out = []
    for f in frames_from(h, "a", since):
        e = Ether(f)
        if ARP in e and e[ARP].op == 1 and e[ARP].psrc != e[ARP].pdst:
            out.append(e)
    return out


def test_unknown_neighbour_is_asked_by_broadcast_at_most_once_a_second_until_it_answers():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"  # the neighbour is silent
    n = len(h.wire.frames)
    t0 = h.platform.now_ns()
    for at in (0.0, 0.5, 1.1, 1.6, 2.2):  # packets keep coming for the unresolved address
        h.platform.run(for_ns=t0 + int(at * S) - h.platform.now_ns())
        h.run(_send_echo(h, 1, dst="10.0.0.7"))
    reqs = _arp_requests_from_a(h, n)
    assert len(reqs) == 3  # at 0, 1.1 and 2.2 s: not once per packet
    for r in reqs:
        assert r.dst == "ff:ff:ff:ff:ff:ff" and r[ARP].pdst == "10.0.0.7" and r[ARP].hwdst == "00:00:00:00:00:00"
        assert (r[ARP].psrc, r[ARP].hwsrc) == (IP_A, "02:00:00:00:00:01")
    h.finish()


def _every_second(h, seconds, dst="10.0.0.9"):
    """Send one echo to ``dst`` at each whole second from now; each send's error."""
    t0 = h.platform.now_ns()
    errs = []
    for k in range(seconds):
        h.platform.run(for_ns=t0 + k * S - h.platform.now_ns())
        errs.append(h.run(_send_echo(h, k, dst=dst)))
    return t0, errs


def test_five_requests_one_a_second_then_the_host_is_down_for_20_seconds():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"  # 10.0.0.9 never answers
    n = len(h.wire.frames)
    t0, errs = _every_second(h, 26)
    reqs = [(f.t_ns, Ether(f.data)) for f in h.wire.frames[n:]
            if f.data[6:12] == MAC_A and ARP in Ether(f.data) and Ether(f.data)[ARP].op == 1]
    # five requests, one a second, for the packets at 0..4 s; the packet at 5 s
    # (the 6th, unanswered asking exhausted) marks the neighbour down and is
    # held without error; from 6 s until 25 s packets are refused; at 25 s the
    # down time is over and the next packet starts over with a new request.
    assert [round((t - t0) / S) for t, _ in reqs] == [0, 1, 2, 3, 4, 25]
    assert all(r[ARP].pdst == "10.0.0.9" and r.dst == "ff:ff:ff:ff:ff:ff" for _, r in reqs)
    assert errs[:6] == [EOK] * 6
    assert errs[6:25] == [EHOSTDOWN] * 19
    assert errs[25:] == [EOK]
    (la,) = arp_entries(h.a)
    assert not la.resolved and la.la_asked == 1 and not arp_isdown(h.a, la)
    # while down, nothing reached the wire for 10.0.0.9 (no IP ever does: no link address)
    assert not any(IP in Ether(f.data) for f in h.wire.frames[n:])
    h.finish()


def test_a_down_gateway_is_reported_as_unreachable():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)
    route_set_default(h.a, inet_addr("10.0.0.254"))  # a gateway that never answers ARP
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    _, errs = _every_second(h, 8, dst="192.168.7.7")
    assert errs == [EOK] * 6 + [EHOSTUNREACH] * 2  # NetBSD: EHOSTDOWN only for the destination itself
    assert [e.la_addr for e in arp_entries(h.a)] == [inet_addr("10.0.0.254")]
    h.finish()


def test_ping_says_host_is_down():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    r = h.run(run_command({"a": h.a, "b": h.b}, "ping -c 8 -i 1 -W 1 10.0.0.9", host="a"))
    assert r.status != 0
    assert r.value.transmitted == 8 and r.value.received == 0 and r.value.send_errors == 2
    assert r.lines[1] == "PING 10.0.0.9 (10.0.0.9): 56 data bytes"
    assert r.lines[2:4] == ["ping: sendto: Host is down"] * 2  # icmp_seq 6 and 7
    assert "8 packets transmitted, 0 packets received, 100.0% packet loss" in r.lines
    h.finish()


def test_a_late_answer_completes_an_incomplete_entry_and_releases_the_held_packet():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)  # the announcements land first (one would complete the entry)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    _every_second(h, 3, dst=IP_B)  # three requests, all lost
    (la,) = arp_entries(h.a)
    assert not la.resolved and la.la_asked == 3
    h.wire.drop = None
    h.platform.run(for_ns=S)
    n = len(h.wire.frames)
    h.run(_send_echo(h, 7))  # the 4th request gets through
    h.platform.run(for_ns=100_000)
    (la,) = arp_entries(h.a)
    assert la.resolved and la.la_hold is None and la.la_asked == 0
    assert la.la_expire_ns - h.platform.now_ns() > (ARPT_KEEP_S - 1) * S  # now a complete entry's life
    assert any(ICMP in Ether(f) and Ether(f)[ICMP].seq == 7 for f in frames_from(h, "a", n))
    h.platform.run(for_ns=(ARPT_DOWN_S + 1) * S)  # the incomplete timeout no longer applies
    assert len(arp_entries(h.a)) == 1
    h.finish()


def test_an_answer_while_down_completes_the_entry_and_sends_the_held_packet():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    _, errs = _every_second(h, 8, dst="10.0.0.9")
    assert errs[6:] == [EHOSTDOWN] * 2
    (la,) = arp_entries(h.a)
    assert arp_isdown(h.a, la) and la.la_hold is not None  # the packet sent at 5 s
    h.wire.drop = None
    n = len(h.wire.frames)
    reply = bytes(Ether(src="02:00:00:00:00:09", dst="02:00:00:00:00:01") /
                  ARP(op=2, hwsrc="02:00:00:00:00:09", psrc="10.0.0.9", hwdst="02:00:00:00:00:01", pdst=IP_A))
    h.run(h.wire.inject(h.sca, reply))
    h.platform.run(for_ns=100_000)
    (la,) = arp_entries(h.a)
    assert la.resolved and la.la_lladdr == bytes.fromhex("020000000009") and not arp_isdown(h.a, la)
    released = [Ether(f) for f in frames_from(h, "a", n) if ICMP in Ether(f)]
    assert [(p.dst, p[ICMP].seq) for p in released] == [("02:00:00:00:00:09", 5)]
    assert h.run(_send_echo(h, 8, dst="10.0.0.9")) == EOK
    h.finish()


def test_after_a_complete_entry_expires_the_next_packet_asks_again():
    h = two_hosts()
    h.run(_send_echo(h, 1))
    h.platform.run(for_ns=100_000)
    h.platform.run(for_ns=ARPT_KEEP_S * S + S)
    assert arp_entries(h.a) == []
    n = len(h.wire.frames)
    h.run(_send_echo(h, 2))
    h.platform.run(for_ns=100_000)
    assert len(_arp_requests_from_a(h, n)) == 1  # a fresh broadcast request
    assert [e.la_lladdr for e in arp_entries(h.a)] == [MAC_B]
    h.finish()


def test_after_the_down_time_the_next_packet_starts_over():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    _every_second(h, 7, dst="10.0.0.9")  # five requests, then down from 5 s
    h.platform.run(for_ns=(ARPT_DOWN_S - 1) * S + 100_000_000)  # just past 25 s
    assert arp_entries(h.a) == []  # the down entry went, with its held packet
    assert h.a.inet.arpstat.as_timeouts == 1
    n = len(h.wire.frames)
    h.wire.drop = None
    assert h.run(_send_echo(h, 9, dst=IP_B)) == EOK  # another neighbour, unaffected
    assert h.run(_send_echo(h, 2, dst="10.0.0.9")) == EOK
    (la,) = [e for e in arp_entries(h.a) if e.la_addr == inet_addr("10.0.0.9")]
    assert not la.resolved and la.la_asked == 1 and la.la_hold is not None
    assert [r[ARP].pdst for r in _arp_requests_from_a(h, n)] == [IP_B, "10.0.0.9"]
    h.finish()
