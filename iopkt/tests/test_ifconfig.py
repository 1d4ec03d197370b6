"""ifconfig's output and argument handling, as NetBSD's ifconfig prints."""

import pytest

from iopkt.sbin.shell import run_command
from iopkt.tests.hosts import two_hosts


@pytest.fixture
def h():
    hosts = two_hosts(configure=False)
    yield hosts
    hosts.finish()


def run(h, line):
    return h.run(run_command(h.a, line))


def test_unconfigured_interface(h):
    r = run(h, "ifconfig nic0")
    assert r.lines == ["# ifconfig nic0", "nic0: flags=8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500",
                       "\taddress: 02:00:00:00:00:01"]


def test_setting_an_address_brings_the_interface_up(h):
    assert run(h, "ifconfig nic0 10.0.0.1/24").status == 0
    assert run(h, "ifconfig").output == [
        "nic0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500",
        "\taddress: 02:00:00:00:00:01",
        "\tinet 10.0.0.1 netmask 0xffffff00 broadcast 10.0.0.255",
    ]
    assert run(h, "ifconfig -a").output == run(h, "ifconfig nic0").output
    assert run(h, "ifconfig -l").output == ["nic0"]


@pytest.mark.parametrize("line, shown", [
    ("ifconfig nic0 inet 192.168.1.5 netmask 255.255.0.0",
     "\tinet 192.168.1.5 netmask 0xffff0000 broadcast 192.168.255.255"),
    ("ifconfig nic0 172.16.0.9 netmask 0xfffffff0 up", "\tinet 172.16.0.9 netmask 0xfffffff0 broadcast 172.16.0.15"),
    ("ifconfig nic0 10.1.2.3", "\tinet 10.1.2.3 netmask 0xff000000 broadcast 10.255.255.255"),
])
def test_netmask_forms(h, line, shown):
    assert run(h, line).status == 0
    assert run(h, "ifconfig nic0").output[-1] == shown


def test_down_and_up(h):
    run(h, "ifconfig nic0 10.0.0.1/24")
    assert run(h, "ifconfig nic0 down").status == 0
    assert run(h, "ifconfig nic0").output[0] == "nic0: flags=8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500"
    assert run(h, "ifconfig nic0 up").status == 0
    assert run(h, "ifconfig nic0").output[0] == "nic0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500"


def test_mtu(h):
    assert run(h, "ifconfig nic0 mtu 1000").status == 0
    assert run(h, "ifconfig nic0").output[0].endswith("mtu 1000")
    r = run(h, "ifconfig nic0 mtu 9000")  # no jumbo capability on this NIC
    assert (r.status, r.output) == (1, ["ifconfig: SIOCSIFMTU: Invalid argument"])


@pytest.mark.parametrize("line, first", [
    ("ifconfig nic9", "ifconfig: SIOCGIFFLAGS: nic9: No such interface"),
    ("ifconfig nic9 up", "ifconfig: SIOCGIFFLAGS: nic9: No such interface"),
    ("ifconfig nic0 10.0.0.300", "ifconfig: 10.0.0.300: bad value"),
    ("ifconfig nic0 10.0.0.1/33", "ifconfig: 10.0.0.1/33: bad value"),
    ("ifconfig nic0 10.0.0.1 netmask 255.0.255.0", "ifconfig: 255.0.255.0: bad value"),
    ("ifconfig nic0 10.0.0.1 netmask", "ifconfig: netmask: bad value"),
    ("ifconfig -z", "usage: ifconfig [-mv] [-a | -l]"),
    ("ifconfig nic0 10.0.0.0/24", "ifconfig: SIOCSIFADDR: Can't assign requested address"),
])
def test_errors_give_a_message_and_status_1(h, line, first):
    r = run(h, line)
    assert r.status == 1
    assert r.output[0] == first


def test_unknown_command(h):
    r = run(h, "route add default 10.0.0.254")
    assert (r.status, r.output) == (127, ["sh: route: not found"])
