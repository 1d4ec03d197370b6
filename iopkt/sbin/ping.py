"""``ping``: ICMP echo, printing as NetBSD's (and QNX's) ping does.

    ping [-c count] [-i interval] [-s packetsize] [-W waittime] host

Counts and sizes are decimal integers, times decimal seconds; each has the
range the usage text lists (``OPTIONS``), and anything else is a usage
error. Simulated round trips take microseconds, so times are printed in ``us``
where the real ping prints ``ms``. Interval and wait are seconds (fractions
allowed) of simulated time; the defaults are short, to keep simulations
quick, and the default count is finite (a test has no Ctrl-C to press).
Every reply's data is compared with what was sent. Interrupted (the shell's
``SigInt``, Ctrl-C at ``nicsim shell``), it stops at once and prints the
statistics of what it sent so far, as NetBSD's ping does on SIGINT.
"""

from __future__ import annotations

import getopt
import math
from dataclasses import dataclass, field

from ..kern.errno import EOK, strerror
from ..kern.strnum import NumberError, strtod_range, strtoi
from ..netinet.in_ import inet_addr, inet_ntoa
from ..netinet.in_var import inet_of
from ..netinet.ip import IP_HDR_LEN, IP_MAXPACKET
from ..netinet.ip_icmp import ICMP_MINLEN, EchoReply, icmp_echo_listen, icmp_echo_send, icmp_echo_unlisten
from ..netinet.sockbuf import SockBuf
from .output import line_writer

DEFAULT_COUNT = 5
DEFAULT_SIZE = 56
DEFAULT_INTERVAL_S = 0.001
DEFAULT_WAIT_S = 0.01
MAX_SIZE = IP_MAXPACKET - IP_HDR_LEN - ICMP_MINLEN
# One echo request per 16-bit sequence number: replies are matched by it.
MAX_COUNT = 0xFFFF
# Seconds of simulated time; the simulation keeps nanoseconds, and a minute
# is already millions of events on a busy virtual machine.
MIN_SECONDS = 0.000001
MAX_SECONDS = 60.0
TIMESTAMP_LEN = 8  # NetBSD puts the send time first, then a byte pattern


def _num(value) -> str:
    """A range end as the user would type it: 65535, 0.000001, 60."""
    return str(value) if isinstance(value, int) else f"{value:.6f}".rstrip("0").rstrip(".")


USAGE = ("usage: ping [-c count] [-i interval] [-s packetsize] [-W waittime] host\n"
         f"       count 1..{MAX_COUNT}, packetsize 0..{MAX_SIZE} bytes, "
         f"interval and waittime {_num(MIN_SECONDS)}..{_num(MAX_SECONDS)} s")

# option: (what it is, keyword of ping(), parser, lo, hi)
OPTIONS = {
    "-c": ("count", "count", strtoi, 1, MAX_COUNT),
    "-s": ("packet size", "size", strtoi, 0, MAX_SIZE),
    "-i": ("interval", "interval_s", strtod_range, MIN_SECONDS, MAX_SECONDS),
    "-W": ("wait time", "wait_s", strtod_range, MIN_SECONDS, MAX_SECONDS),
}

_NS = 1_000_000_000


@dataclass
class PingResult:
    host: str
    size: int
    transmitted: int = 0  # as NetBSD, counts sends that failed too
    received: int = 0
    duplicates: int = 0
    payload_mismatches: int = 0
    send_errors: int = 0
    rtts_ns: list[int] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.transmitted

    @property
    def loss_percent(self) -> float:
        return 100.0 * (self.transmitted - self.received) / self.transmitted if self.transmitted else 0.0

    @property
    def rtts_us(self) -> list[float]:
        return [t / 1000 for t in self.rtts_ns]

    def rtt_stats_us(self) -> tuple[float, float, float, float] | None:
        """(min, avg, max, stddev) in microseconds; stddev as NetBSD computes it (population)."""
        if not self.rtts_us:
            return None
        r = self.rtts_us
        avg = sum(r) / len(r)
        var = max(0.0, sum(x * x for x in r) / len(r) - avg * avg)
        return min(r), avg, max(r), math.sqrt(var)

    @property
    def exit_status(self) -> int:
        return 0 if self.received else 2


def echo_payload(seq: int, size: int, sent_ns: int) -> bytes:
    if size < TIMESTAMP_LEN:
        return bytes(range(size))
    return sent_ns.to_bytes(TIMESTAMP_LEN, "big") + bytes(i & 0xFF for i in range(TIMESTAMP_LEN, size))


def _free_ident(iopkt) -> int:
    """A fresh echo identifier per ping (NetBSD's ping uses its pid), skipping
    those of pings still running."""
    inet = inet_of(iopkt)
    ident = inet.next_echo_ident
    while ident in inet.echo_listeners:
        ident = (ident + 1) & 0xFFFF
    inet.next_echo_ident = (ident + 1) & 0xFFFF
    return ident


async def ping(iopkt, host: str, count: int = DEFAULT_COUNT, size: int = DEFAULT_SIZE,
               interval_s: float = DEFAULT_INTERVAL_S, wait_s: float = DEFAULT_WAIT_S, out=None,
               intr=None) -> PingResult:
    """Send ``count`` echo requests to ``host`` (a dotted quad) and collect the
    replies; ``intr`` (a ``kern.sig.SigInt``), once raised, ends it early with
    the statistics of what was sent."""
    emit = line_writer(out)
    platform = iopkt.platform
    dst = inet_addr(host)
    result = PingResult(host, size)
    ident = _free_ident(iopkt)
    replies = SockBuf(platform, f"ping-{ident}", limit=1024)
    icmp_echo_listen(iopkt, ident, replies.append)
    sent_at: dict[int, int] = {}
    payloads: dict[int, bytes] = {}
    seen: set[int] = set()
    emit(f"PING {host} ({host}): {size} data bytes")
    try:
        for seq in range(count):
            if intr is not None and intr.raised:
                break
            now = platform.now_ns()
            payloads[seq] = echo_payload(seq, size, now)
            sent_at[seq] = now
            result.transmitted += 1
            err = await iopkt.stack_call(icmp_echo_send, iopkt, dst, ident, seq & 0xFFFF, payloads[seq],
                                         proc_name="ping")
            if err != EOK:
                result.send_errors += 1
                emit(f"ping: sendto: {strerror(err)}")
            last = seq == count - 1
            until = now + int((wait_s if last else interval_s) * _NS)
            while True:
                if last and len(seen) >= result.transmitted - result.send_errors:
                    break
                reply = await replies.get(max(0, until - platform.now_ns()), intr)
                if reply is None:
                    break
                _account(result, reply, sent_at, payloads, seen, emit)
    finally:
        icmp_echo_unlisten(iopkt, ident)
    _summary(result, emit)
    return result


def _account(result: PingResult, reply: EchoReply, sent_at, payloads, seen, emit) -> None:
    seq = reply.seq
    if seq not in payloads:
        return  # not one of ours (an old sequence number wrapping around)
    rtt = reply.received_ns - sent_at[seq]
    dup = seq in seen
    line = (f"{len(reply.data) + ICMP_MINLEN} bytes from {inet_ntoa(reply.src)}: icmp_seq={seq} "
            f"ttl={reply.ttl} time={rtt / 1000:.3f} us")
    if dup:
        result.duplicates += 1
        line += " (DUP!)"
    else:
        seen.add(seq)
        result.received += 1
        result.rtts_ns.append(rtt)
    emit(line)
    want = payloads[seq]
    if reply.data != want:
        result.payload_mismatches += 1
        if len(reply.data) != len(want):
            emit(f"wrong total length {len(reply.data) + ICMP_MINLEN} instead of {len(want) + ICMP_MINLEN}")
        else:
            i = next(i for i, (a, b) in enumerate(zip(want, reply.data, strict=True)) if a != b)
            emit(f"wrong data byte #{i} should be 0x{want[i]:x} but was 0x{reply.data[i]:x}")


def _summary(result: PingResult, emit) -> None:
    emit("")
    emit(f"----{result.host} PING Statistics----")
    line = f"{result.transmitted} packets transmitted, {result.received} packets received, "
    if result.duplicates:
        line += f"+{result.duplicates} duplicates, "
    line += f"{result.loss_percent:.1f}% packet loss"
    emit(line)
    stats = result.rtt_stats_us()
    if stats is not None:
        emit("round-trip min/avg/max/stddev = {:.3f}/{:.3f}/{:.3f}/{:.3f} us".format(*stats))
    if result.payload_mismatches:
        emit(f"{result.payload_mismatches} replies with wrong data")


def _parse(argv: list[str]):
    """``(host, keywords)`` for ``ping()``, or the message for a bad argument
    (``None`` when the usage line alone says it). NetBSD's ping takes the same
    options (``sbin/ping/ping.c``: count > 0, interval > 0, size 0..MAXPACKET);
    here every one also has an upper bound, listed in the usage text."""
    try:
        opts, rest = getopt.getopt(argv[1:], "c:i:s:W:")
    except getopt.GetoptError as e:
        return f"ping: {e.msg}"
    kw = {}
    for opt, val in opts:
        what, key, parse, lo, hi = OPTIONS[opt]
        try:
            kw[key] = parse(val, lo, hi)
        except NumberError as bad:
            if bad.reason == "invalid":
                return f"ping: invalid {what}: `{val}'"
            return f"ping: {what} {val} out of range {_num(lo)}..{_num(hi)}"
    if not rest:
        return None
    if len(rest) > 1:
        return f"ping: extra operand `{rest[1]}'"
    try:
        inet_addr(rest[0])
    except ValueError:
        return f'ping: Cannot resolve "{rest[0]}" (Unknown host)'
    return rest[0], kw


async def run(iopkt, argv: list[str], out, intr=None) -> tuple[int, PingResult | None]:
    """``main`` that also hands back the ``PingResult``; ``intr`` as ``ping()`` takes it."""
    emit = line_writer(out)
    parsed = _parse(argv)
    if not isinstance(parsed, tuple):
        if parsed:
            emit(parsed)
        emit(USAGE)
        return 1, None
    host, kw = parsed
    result = await ping(iopkt, host, out=emit, intr=intr, **kw)
    return result.exit_status, result


async def main(iopkt, argv: list[str], out) -> int:
    status, _ = await run(iopkt, argv, out)
    return status
