"""Frame accounting for a one-way flow between two hosts running devnp-nic.

Every datagram the sender's ``sendto()`` accepted is either delivered to the
receiver's socket or counted, exactly once, by one named counter on its way:
the sender's driver (no carrier, DMA error, dropped by a stop, no cluster to
compact it), ARP, the receiver's NIC (bad FCS, runt, framing, oversize, missed), the
receiver's driver (DMA error, no cluster, dropped by a stop) or its stack
(bad checksum, full socket buffer). ``FlowCounters`` takes a snapshot of all
of them; the difference of two snapshots is what a burst cost, and
``accounting_line`` prints and checks ``sent = delivered + drops``.

The counters come from where a user would read them: ``nic_stats_t`` through
the driver's ``SIOCGDRVCOM`` (what ``nicinfo`` prints), the driver's own
counts in its softc, ``netstat -s``'s protocol statistics.
"""

from __future__ import annotations

from devnp_nic.nicinfo import nic_stats
from devnp_nic.softc import nic_hw_count
from nicdef import regs as R

# (label, host side, how to read it from (iopkt, softc, nic_stats_t, hw))
SENDER_DROPS = {
    "no carrier": lambda io, sc, st, hw: st.un.no_carrier,
    "tx DMA error": lambda io, sc, st, hw: sc.stats.tx_dma_errors,
    "stopped (tx)": lambda io, sc, st, hw: sc.stats.tx_stopped,
    "no cluster (tx)": lambda io, sc, st, hw: sc.stats.tx_failed_allocs,
    "ARP hold dropped": lambda io, sc, st, hw: io.inet.arpstat.as_dfrdropped,
}
RECEIVER_DROPS = {
    "CRC errors": lambda io, sc, st, hw: st.un.fcs_errors,
    "runts": lambda io, sc, st, hw: st.un.short_packets,
    "framing": lambda io, sc, st, hw: st.un.framing_errors,
    "oversize": lambda io, sc, st, hw: st.un.oversized_packets,
    "missed": lambda io, sc, st, hw: hw[R.REG_STAT_RX_MISSED],
    "rx DMA error": lambda io, sc, st, hw: sc.stats.rx_dma_errors,
    "stopped (rx)": lambda io, sc, st, hw: sc.stats.rx_stopped,
    "no cluster (rx)": lambda io, sc, st, hw: sc.stats.rx_failed_allocs,
    "IP bad": lambda io, sc, st, hw: (io.inet.ipstat.ips_badsum + io.inet.ipstat.ips_tooshort
                                      + io.inet.ipstat.ips_badlen + io.inet.ipstat.ips_badhlen),
    "UDP bad checksum": lambda io, sc, st, hw: io.inet.udpstat.udps_badsum,
    "socket full": lambda io, sc, st, hw: io.inet.udpstat.udps_fullsock,
}


# The counters a frame can end in between one host's interface output queue
# and the other host's ether_input (the soak's per-host line): the sender's
# driver, then the receiver's NIC and driver. The address filter's rejections
# (STAT_RX_FILTERED) are not errors but end a frame all the same.
SENDER_LINK_DROPS = {k: SENDER_DROPS[k] for k in ("no carrier", "tx DMA error", "stopped (tx)", "no cluster (tx)")}
RECEIVER_LINK_DROPS = {
    **{k: RECEIVER_DROPS[k] for k in ("CRC errors", "runts", "framing", "oversize", "missed")},
    "filtered": lambda io, sc, st, hw: hw[R.REG_STAT_RX_FILTERED],
    **{k: RECEIVER_DROPS[k] for k in ("rx DMA error", "stopped (rx)", "no cluster (rx)")},
}


async def _side(iopkt, table: dict) -> dict[str, int]:
    sc = iopkt.alldevs[0]
    regs = [R.REG_STAT_RX_MISSED] + ([R.REG_STAT_RX_FILTERED] if "filtered" in table else [])

    async def read():
        st = await nic_stats(sc)
        hw = {reg: await nic_hw_count(sc, reg) for reg in regs}
        return {name: fn(iopkt, sc, st, hw) for name, fn in table.items()}

    return await iopkt.stack_call(read, proc_name="accounting")


async def flow_counters(sender, receiver) -> dict[str, int]:
    """A snapshot of every counter a frame of the flow can end in, keyed
    ``"A no carrier"``, ``"B missed"``, ... (A the sender, B the receiver)."""
    out = {f"A {k}": v for k, v in (await _side(sender, SENDER_DROPS)).items()}
    out.update({f"B {k}": v for k, v in (await _side(receiver, RECEIVER_DROPS)).items()})
    return out


async def link_counters(sender, receiver, labels: tuple[str, str] = ("A", "B")) -> dict[str, int]:
    """A snapshot of every counter a frame can end in between ``sender``'s
    send queue and ``receiver``'s ``ether_input``, keyed ``"A no carrier"``,
    ``"B filtered"``, ... (``labels``: the sender's and the receiver's name)."""
    out = {f"{labels[0]} {k}": v for k, v in (await _side(sender, SENDER_LINK_DROPS)).items()}
    out.update({f"{labels[1]} {k}": v for k, v in (await _side(receiver, RECEIVER_LINK_DROPS)).items()})
    return out


def offered_line(what: str, offered: int, delivered: int, before: dict[str, int], after: dict[str, int]) -> str:
    """``"<what>: offered N = delivered D + B CRC errors 3 + ..."``, naming every
    counter that moved; AssertionError naming the difference when they disagree."""
    return accounting_line(what, offered, delivered, before, after, word="offered")


def accounting_line(what: str, sent: int, delivered: int, before: dict[str, int], after: dict[str, int],
                    word: str = "sent") -> str:
    """``"<what>: sent N = delivered D + A no carrier 3 + B missed 2 (holds)"``,
    naming every counter that moved; AssertionError naming the difference
    when the two sides disagree."""
    drops = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    counted = delivered + sum(drops.values())
    terms = "".join(f" + {k} {v}" for k, v in drops.items())
    line = f"{what}: {word} {sent} = delivered {delivered}{terms}"
    if counted != sent:
        gap = sent - counted
        raise AssertionError(f"{line} does NOT hold: {abs(gap)} frame(s) "
                             f"{'unaccounted for' if gap > 0 else 'counted twice'}")
    return line + " (holds)"
