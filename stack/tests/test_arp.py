"""ARP: resolution, the cache and its timeouts, the one-packet hold queue,
answering for our addresses only, and gratuitous ARP handled safely."""

from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

from stack.netinet.if_arp import ARPT_DOWN_S, ARPT_KEEP_S, arp_entries
from stack.netinet.in_ import inet_addr
from stack.netinet.ip_icmp import icmp_echo_listen, icmp_echo_send
from stack.tests.hosts import IP_A, IP_B, MAC_A, MAC_B, frames_from, two_hosts

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
    h.platform.run(for_ns=ARPT_DOWN_S * S + 100_000_000)
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


def test_a_late_answer_completes_an_incomplete_entry_and_releases_the_held_packet():
    h = two_hosts()
    h.platform.run(for_ns=1_000_000)  # the announcements land first (one would complete the entry)
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    h.run(_send_echo(h, 1))
    (la,) = arp_entries(h.a)
    assert not la.resolved
    h.platform.run(for_ns=S)  # still within ARPT_DOWN_S
    assert not la.resolved
    h.wire.drop = None
    n = len(h.wire.frames)
    h.run(_send_echo(h, 2))  # the rate limit allows a new request now, and it gets through
    h.platform.run(for_ns=100_000)
    (la,) = arp_entries(h.a)
    assert la.resolved and la.la_hold is None
    assert la.la_expire_ns - h.platform.now_ns() > (ARPT_KEEP_S - 1) * S  # now a complete entry's life
    assert any(ICMP in Ether(f) and Ether(f)[ICMP].seq == 2 for f in frames_from(h, "a", n))
    h.platform.run(for_ns=(ARPT_DOWN_S + 1) * S)  # the incomplete timeout no longer applies
    assert len(arp_entries(h.a)) == 1
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


def test_after_an_incomplete_entry_times_out_the_next_packet_starts_over():
    h = two_hosts()
    h.wire.drop = lambda frame: frame[12:14] == b"\x08\x06"
    h.run(_send_echo(h, 1, dst="10.0.0.9"))
    h.platform.run(for_ns=ARPT_DOWN_S * S + S)
    assert arp_entries(h.a) == []
    n = len(h.wire.frames)
    h.run(_send_echo(h, 2, dst="10.0.0.9"))
    (la,) = arp_entries(h.a)
    assert not la.resolved and la.la_hold is not None
    assert len(_arp_requests_from_a(h, n)) == 1
    h.platform.run(for_ns=ARPT_DOWN_S * S + S)
    h.finish()
