"""Nothing the TAP bridge makes outlives it (on the simulator under test, ``SIM``): its network
namespace, the TAP in it, the Linux processes started there and the reaper are gone after a failed
test, after the simulator is killed, and after Ctrl-C of ``nicsim tap``, which first answers a Linux
ping. Read from the system itself (``ip netns``, ``ip link``, ``/proc``). The cocotb side of the
first two is ``nicsim/tests/tap_probe.py``. Skipped, with the reason, without root, ``/dev/net/tun``
or ping."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nicsim import proctable, tap
from nicsim.runner import CocotbTestFailed, artifact_dir, run_cocotb

PROBE = "nicsim.tests.tap_probe"
REASON = tap.unavailable(("ping",))
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _mentioning(word: str) -> list[str]:
    """Command lines of running processes that name ``word`` (the namespace: the reaper, ip netns exec)."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if word in cmd and proctable.running(int(proc.name)):
                out.append(f"{proc.name}: {cmd}")
    return out


def _assert_nothing_left(ns: str, pids: list[int], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        left = {"namespaces": [n for n in tap.namespaces() if n == ns],
                "processes": [p for p in pids if proctable.running(p)] + _mentioning(ns),
                "tap in this namespace": tap.IFNAME in subprocess.run(["ip", "-o", "link"], capture_output=True,
                                                                      text=True).stdout}
        if not any(left.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not any(left.values()), left


@pytest.mark.parametrize("testcase", ["probe_fails_with_linux_running", "probe_killed_with_linux_running"])
def test_a_failed_or_killed_run_leaves_nothing(testcase):
    # a killed simulator is the runner's RuntimeError (the command's status, -9), a failed test its report
    with pytest.raises((CocotbTestFailed, RuntimeError)):
        run_cocotb(PROBE, "nic_pair_tb", parameters=tap.PARAMETERS, testcase=testcase)
    folder = artifact_dir(os.environ.get("SIM", "icarus"), PROBE, testcase, tap.PARAMETERS)
    ns, ping = (folder / "tap.txt").read_text().split()
    _assert_nothing_left(ns, [int(ping)])


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sigkill"])
def test_nicsim_tap_ended_by_a_signal_leaves_nothing(how):
    """Ctrl-C (SIGINT to the terminal's process group), or SIGTERM or SIGKILL to the command's own
    process, with a Linux ping still running in the namespace: nothing of the bridge stays."""
    sim = os.environ.get("SIM", "icarus")
    cmd = subprocess.Popen([sys.executable, "-m", "nicsim.cli", "tap", "--sim", sim], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    linux = None
    try:
        for line in cmd.stdout:
            seen.append(line)
            if line.startswith("Ctrl-C ends"):
                break
        text = "".join(seen)
        found = re.search(r"network namespace (\S+)\. ", text)
        assert found, text
        ns = found.group(1)
        ping = subprocess.run(["ip", "netns", "exec", ns, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "5",
                               tap.HOST_ADDR], capture_output=True, text=True, timeout=60)
        assert "2 packets transmitted, 2 received" in ping.stdout, ping.stdout + ping.stderr
        # a person's ping left running in the namespace, and every process the command started
        linux = subprocess.Popen(["ip", "netns", "exec", ns, "ping", "-n", "-i", "0.2", tap.HOST_ADDR],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = proctable.in_session(cmd.pid) + [int(ns[len(tap.NETNS_PREFIX):]), linux.pid]
        if how == "ctrl-c":
            os.killpg(cmd.pid, signal.SIGINT)
        else:
            os.kill(cmd.pid, signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        rest, _ = cmd.communicate(timeout=120)
        expected = {"ctrl-c": 0, "sigterm": 128 + signal.SIGTERM, "sigkill": -signal.SIGKILL}[how]
        assert cmd.returncode == expected, text + rest
        assert "VVP Stop" not in rest, rest  # the simulator never saw the terminal's Ctrl-C
    finally:
        if cmd.poll() is None:
            os.killpg(cmd.pid, signal.SIGKILL)
            cmd.wait()
    linux.wait(timeout=30)  # reaped here once killed, so that it is not a zombie child of this test
    _assert_nothing_left(ns, started)
