"""Per-protocol counters (NetBSD ``ipstat``, ``icmpstat``, ``udpstat``,
``arpstat``), each field with the phrase ``netstat -s`` prints for it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


def _c(text: str):
    return field(default=0, metadata={"text": text})


class ProtoStats:
    """Counters of one protocol; ``lines()`` is its ``netstat -s`` block."""

    title = ""

    def lines(self, all_counters: bool = False) -> list[str]:
        out = [f"{self.title}:"]
        for f in self._counters():
            value = getattr(self, f.name)
            if value or all_counters:
                out.append("\t" + f.metadata["text"].format(value))
        return out

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in self._counters()}

    def _counters(self):
        return [f for f in fields(self) if "text" in f.metadata]


@dataclass
class IpStat(ProtoStats):
    title = "ip"
    ips_total: int = _c("{} total packets received")
    ips_badsum: int = _c("{} bad header checksums")
    ips_toosmall: int = _c("{} with size smaller than minimum")
    ips_tooshort: int = _c("{} with data size < data length")
    ips_badhlen: int = _c("{} with header length < data size")
    ips_badlen: int = _c("{} with data length < header length")
    ips_badvers: int = _c("{} with incorrect version number")
    ips_fragments: int = _c("{} fragments received")
    ips_fragdropped: int = _c("{} fragments dropped (no reassembly in this stack)")
    ips_delivered: int = _c("{} packets for this host")
    ips_noproto: int = _c("{} packets for unknown/unsupported protocol")
    ips_cantforward: int = _c("{} packets not forwardable (not for this host)")
    ips_localout: int = _c("{} packets sent from this host")
    ips_odropped: int = _c("{} output packets dropped due to no bufs, etc.")
    ips_noroute: int = _c("{} output packets discarded due to no route")
    ips_cantfrag: int = _c("{} output datagrams bigger than the MTU (no fragmentation)")


ICMP_TYPE_NAMES = {0: "echo reply", 3: "destination unreachable", 5: "routing redirect", 8: "echo",
                   11: "time exceeded"}


@dataclass
class IcmpStat(ProtoStats):
    title = "icmp"
    icps_error: int = _c("{} calls to icmp_error")
    icps_oldicmp: int = _c("{} errors not generated because old message was icmp")
    icps_badcode: int = _c("{} messages with bad code fields")
    icps_tooshort: int = _c("{} messages < minimum length")
    icps_checksum: int = _c("{} bad checksums")
    icps_reflect: int = _c("{} message responses generated")
    icps_nowaiter: int = _c("{} echo replies nobody was waiting for")
    outhist: dict = field(default_factory=dict)  # icmp type -> count
    inhist: dict = field(default_factory=dict)

    def lines(self, all_counters: bool = False) -> list[str]:
        out = super().lines(all_counters)
        for label, hist in (("Output histogram:", self.outhist), ("Input histogram:", self.inhist)):
            if hist:
                out.append("\t" + label)
                out += [f"\t\t{ICMP_TYPE_NAMES.get(t, f'type {t}')}: {n}" for t, n in sorted(hist.items())]
        return out

    def count_out(self, icmp_type: int) -> None:
        self.outhist[icmp_type] = self.outhist.get(icmp_type, 0) + 1

    def count_in(self, icmp_type: int) -> None:
        self.inhist[icmp_type] = self.inhist.get(icmp_type, 0) + 1


@dataclass
class UdpStat(ProtoStats):
    title = "udp"
    udps_ipackets: int = _c("{} datagrams received")
    udps_hdrops: int = _c("{} with incomplete header")
    udps_badsum: int = _c("{} with bad checksum")
    udps_badlen: int = _c("{} with bad data length field")
    udps_noport: int = _c("{} dropped due to no socket")
    udps_noportbcast: int = _c("{} broadcast/multicast datagrams dropped due to no socket")
    udps_fullsock: int = _c("{} dropped due to full socket buffers")
    udps_opackets: int = _c("{} datagrams output")


@dataclass
class ArpStat(ProtoStats):
    title = "arp"
    as_sndtotal: int = _c("{} packets sent")
    as_sndreply: int = _c("{} reply packets")
    as_sndrequest: int = _c("{} request packets")
    as_rcvtotal: int = _c("{} packets received")
    as_rcvrequest: int = _c("{} valid request packets")
    as_rcvreply: int = _c("{} reply packets")
    as_rcvmcast: int = _c("{} broadcast/multicast packets")
    as_rcvbadproto: int = _c("{} packets with unknown protocol type")
    as_rcvbadlen: int = _c("{} packets with bad (short) length")
    as_rcvzerotpa: int = _c("{} packets with null target IP address")
    as_rcvzerospa: int = _c("{} packets with null source IP address")
    as_rcvnoint: int = _c("{} could not be mapped to an interface")
    as_rcvlocalsha: int = _c("{} packets sent by this host")
    as_rcvbcastsha: int = _c("{} packets with broadcast source hardware address")
    as_rcvlocalspa: int = _c("{} packets with source IP address equal to this host's (duplicate address)")
    as_rcvover: int = _c("{} entries overwritten")
    as_dfrtotal: int = _c("{} packets deferred pending ARP resolution")
    as_dfrsent: int = _c("{} deferred packets sent")
    as_dfrdropped: int = _c("{} deferred packets dropped")
    as_timeouts: int = _c("{} incomplete entries timed out")
