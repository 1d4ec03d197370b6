"""Bad arguments to every utility in ``iopkt/sbin``, through the shell.

Each is a usage error: status 1, a line naming the bad value (or the usage
line alone where there is no value to name), no exception, and nothing in
either io-pkt changed. Numbers go through one parser with explicit ranges
(``iopkt/kern/strnum.py``, NetBSD's ``strtoi``), so huge, infinite, NaN,
negative, fractional, hex-float and non-ASCII digits all fail the same way.
"""

from __future__ import annotations

import math

import pytest

import devnp_sam  # noqa: F401  (registers devnp-sam.so, for mount)
from iopkt.kern.strnum import NumberError, strtod_range, strtoi
from iopkt.netinet.if_arp import arp_entries
from iopkt.netinet.in_ import in_ifaddrs_of
from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import IP_B, two_hosts

HUGE = "99999999999999999999"

# (command line, text the output must contain)
BAD = [
    # ping: -c 1..65535, -s 0..65507, -i and -W 0.000001..60 s
    (f"ping -c {HUGE} {IP_B}", HUGE),
    (f"ping -c 1 -W 1e300 {IP_B}", "1e300"),
    (f"ping -c 1 -i inf {IP_B}", "inf"),
    (f"ping -c 1 -W nan {IP_B}", "nan"),
    (f"ping -c 1 -W -inf {IP_B}", "-inf"),
    (f"ping -c -1 {IP_B}", "count -1"),
    (f"ping -c 0 {IP_B}", "count 0"),
    (f"ping -c 65536 {IP_B}", "65536"),
    (f"ping -c 1.5 {IP_B}", "1.5"),
    (f"ping -c ten {IP_B}", "ten"),
    (f"ping -c 1_0 {IP_B}", "1_0"),
    (f"ping -c \u0661 {IP_B}", "\u0661"),  # ARABIC-INDIC DIGIT ONE: int() would take it
    (f"ping -s -5 {IP_B}", "-5"),
    (f"ping -s 65508 {IP_B}", "65508"),
    (f"ping -s {HUGE} {IP_B}", HUGE),
    (f"ping -i 0 {IP_B}", "interval 0"),
    (f"ping -i 1e-300 {IP_B}", "1e-300"),
    (f"ping -i 0x1p3 {IP_B}", "0x1p3"),
    (f"ping -W 61 {IP_B}", "61"),
    ("ping -c", "-c"),
    (f"ping -x {IP_B}", "-x"),
    (f"ping {IP_B} 10.0.0.3", "10.0.0.3"),
    ("ping", "usage: ping"),
    ("ping 10.0.0.256", "10.0.0.256"),
    # ifconfig: mtu 0..INT_MAX here (the interface says EINVAL), prefix 0..32, netmask 32 bits
    (f"ifconfig nic0 mtu {HUGE}", HUGE),
    ("ifconfig nic0 mtu 1e300", "1e300"),
    ("ifconfig nic0 mtu -1", "-1"),
    ("ifconfig nic0 mtu 1500.5", "1500.5"),
    ("ifconfig nic0 mtu nan", "nan"),
    ("ifconfig nic0 mtu 0", "SIOCSIFMTU: Invalid argument"),
    ("ifconfig nic0 mtu", "mtu"),
    (f"ifconfig nic0 10.0.0.9/{HUGE}", HUGE),
    ("ifconfig nic0 10.0.0.9/-1", "10.0.0.9/-1"),
    ("ifconfig nic0 10.0.0.9/33", "10.0.0.9/33"),
    ("ifconfig nic0 10.0.0.9/\u0663", "\u0663"),
    ("ifconfig nic0 10.0.0.9 netmask 0x1ffffffff", "0x1ffffffff"),
    ("ifconfig nic0 10.0.0.9 netmask 0x_ff", "0x_ff"),
    ("ifconfig nic0 10.0.0.9 netmask 1e300", "1e300"),
    ("ifconfig nic0 10.0.0.\u0669", "10.0.0.\u0669"),
    (f"ifconfig nic0 {HUGE}", HUGE),
    ("ifconfig nic0 up extra", "extra"),
    ("ifconfig nic0 destroy now", "now"),
    ("ifconfig -z", "usage: ifconfig"),
    (f"ifconfig nic{HUGE}", f"nic{HUGE}"),
    # arp
    ("arp -z", "usage: arp"),
    (f"arp {IP_B} 10.0.0.3", "usage: arp"),
    (f"arp {HUGE}", HUGE),
    ("arp -d", "usage: arp"),
    # netstat
    ("netstat -z", "usage: netstat"),
    ("netstat -s 1e300", "usage: netstat"),
    # nicinfo
    ("nicinfo -z", "usage: nicinfo"),
    ("nicinfo nic0 nic0", "usage: nicinfo"),
    (f"nicinfo {HUGE}", HUGE),
    # pidin: a process id is 1..INT_MAX
    (f"pidin -p {HUGE} thread", HUGE),
    ("pidin -p -1 thread", "-1"),
    ("pidin -p 0 thread", "process id 0"),
    ("pidin -p 1e300 thread", "1e300"),
    ("pidin -p", "usage: pidin"),
    ("pidin -z", "usage: pidin"),
    ("pidin thread extra", "usage: pidin"),
    # mount: lan=/unit= are dev_attach's, 0..INT_MAX
    (f"mount -T io-pkt -o lan={HUGE} devnp-sam.so", HUGE),
    ("mount -T io-pkt -o unit=-1 devnp-sam.so", "unit=-1"),
    ("mount -T io-pkt -o lan=1e300 devnp-sam.so", "lan=1e300"),
    ("mount -T io-pkt -o lan=nan devnp-sam.so", "lan=nan"),
    ("mount -T io-pkt -o", "usage: mount"),
    ("mount -T io-pkt", "usage: mount"),
    ("mount -z devnp-sam.so", "usage: mount"),
    ("mount -T io-pkt devnp-sam.so extra", "usage: mount"),
    # umount
    ("umount", "usage: umount"),
    ("umount -f /dev/io-net/nic0", "usage: umount"),
    ("umount /dev/io-net/nic0 extra", "usage: umount"),
    (f"umount /dev/io-net/{HUGE}", HUGE),
]


@pytest.fixture(scope="module")
def h():
    hosts = two_hosts()
    yield hosts
    hosts.finish()


def _state(h) -> list:
    """Everything a utility could change on either host."""
    out = [len(h.wire.frames)]
    for iopkt in (h.a, h.b):
        out.append(sorted(iopkt.dlls))
        out.append([d.dv_xname for d in iopkt.alldevs])
        out.append([(la.la_addr, la.la_lladdr) for la in arp_entries(iopkt)])
        for ifp in iopkt.ifnet:
            out.append((ifp.if_xname, ifp.if_flags, ifp.if_flags_tx, ifp.if_mtu, ifp.if_capenable_rx,
                        ifp.if_capenable_tx, [(ia.ia_addr, ia.ia_netmask) for ia in in_ifaddrs_of(ifp)],
                        [(e.enm_addrlo, e.enm_addrhi, e.enm_refcount) for e in ifp.ec.ec_multi]))
    return out


@pytest.mark.parametrize("line, names", BAD, ids=[line for line, _ in BAD])
def test_a_bad_argument_is_a_usage_error_and_changes_nothing(h, line, names):
    before = _state(h)
    r = h.run(run_command(h.a, line))
    util = line.split()[0]
    assert r.status == 1, r.text
    assert any(x.startswith((f"{util}:", f"usage: {util}")) for x in r.output), r.text
    assert any(names in x for x in r.output), r.text
    assert _state(h) == before


def test_usage_lines_give_the_ranges(h):
    out = h.run(run_command(h.a, "ping")).output
    assert out == ["usage: ping [-c count] [-i interval] [-s packetsize] [-W waittime] host",
                   "       count 1..65535, packetsize 0..65507 bytes, interval and waittime 0.000001..60 s"]


def test_the_ends_of_each_range_are_accepted(h):
    for line in (f"ping -c 1 -s 0 -W 0.000001 {IP_B}", f"ping -c 1 -s 1472 -i 60 -W .5 {IP_B}"):
        r = h.run(run_command(h.a, line))
        assert r.value is not None and r.value.transmitted == 1, r.text  # sent: the arguments were taken
    for line in ("pidin -p 4100 thread", "pidin -p 2147483647 thread"):
        assert h.run(run_command(h.a, line)).status == 0, line
    assert h.run(run_command(h.a, "ifconfig nic0 10.0.0.1 netmask 0xffffff00")).status == 0
    assert h.run(run_command(h.a, "ifconfig nic0 10.0.0.1/24 mtu 68")).status == 0
    assert h.run(run_command(h.a, "ifconfig nic0 mtu 1500")).status == 0


@pytest.mark.parametrize("line, status, first", [
    ("ping -c '1", 2, "sh: syntax error: No closing quotation"),
    (HUGE, 127, f"sh: {HUGE}: not found"),
    ("   ", 0, None),
])
def test_the_shell_reports_its_own_errors_as_sh_does(h, line, status, first):
    before = _state(h)
    r = h.run(run_command(h.a, line))
    assert r.status == status and (r.output[:1] == [first] if first else r.output == [])
    assert _state(h) == before


@pytest.mark.parametrize("text, lo, hi, base, value", [
    ("42", 0, 100, 10, 42), ("-7", -10, 10, 10, -7), ("+7", 0, 10, 10, 7),
    ("0xff", 0, 255, 16, 255), ("ff", 0, 255, 16, 255), ("0x10", 0, 99, 0, 16), ("010", 0, 99, 0, 8),
    ("0", 0, 0, 0, 0),
])
def test_strtoi_reads_what_c_reads(text, lo, hi, base, value):
    assert strtoi(text, lo, hi, base) == value


@pytest.mark.parametrize("text, reason", [
    ("", "invalid"), (" 1", "invalid"), ("1 ", "invalid"), ("1_0", "invalid"), ("\u0661", "invalid"),
    ("1.0", "invalid"), ("1e3", "invalid"), ("0x10", "invalid"), ("--1", "invalid"),
    ("101", "too large"), ("-1", "too small"), ("9" * 5000, "too large"), ("-" + "9" * 5000, "too small"),
])
def test_strtoi_refuses_with_strtonums_reasons(text, reason):
    with pytest.raises(NumberError) as e:
        strtoi(text, 0, 100)
    assert e.value.reason == reason and e.value.text == text


@pytest.mark.parametrize("text, value", [("1", 1.0), (".5", 0.5), ("2.", 2.0), ("1e-3", 0.001), ("+3E1", 30.0)])
def test_strtod_range_reads_decimals(text, value):
    assert math.isclose(strtod_range(text, 0, 100), value)


@pytest.mark.parametrize("text, reason", [
    ("nan", "invalid"), ("inf", "invalid"), ("-infinity", "invalid"), ("0x1p3", "invalid"), ("1_0", "invalid"),
    ("\u0661", "invalid"), ("", "invalid"), (".", "invalid"), ("1e", "invalid"),
    ("1e300", "too large"), ("1e400", "too large"), ("-1e400", "too small"), ("1e-400", "too small"),
    ("-0.5", "too small"), ("100.5", "too large"),
])
def test_strtod_range_refuses_what_is_not_a_finite_number_in_range(text, reason):
    with pytest.raises(NumberError) as e:
        strtod_range(text, 0.000001, 100)
    assert e.value.reason == reason
