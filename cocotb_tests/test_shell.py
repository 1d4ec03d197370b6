"""``nicsim shell`` as a person uses it, on the simulator under test (``SIM``):
driven through a pseudo-terminal with pexpect (prompt, line editing's
terminal, Ctrl-C as the terminal sends it), and with a script piped in.

What the session is checked against comes from outside the shell: the
addresses and MACs the two-host bench is built with, ping's own request count
and NetBSD's output format, the datasheet's link behaviour (a pulled cable
drops both links), and the process table (/proc) for what is left behind.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from nicsim import proctable, tap
from nicsim.two_hosts import MAC_A

NICSIM = str(Path(sys.executable).with_name("nicsim"))
# a cold Verilator build of nic_pair_tb takes minutes on a loaded 2-core machine
START_TIMEOUT_S = 900
TIMEOUT_S = 120


def _env(tmp_path: Path) -> dict:
    # the session's files and the history go to the test's own folder, not the user's
    return {**os.environ, "NICSIM_REPORTS": str(tmp_path / "reports"),
            "NICSIM_SHELL_HISTORY": str(tmp_path / "history"), "TERM": "dumb"}


def test_a_session_on_a_terminal(tmp_path):
    sim = os.environ.get("SIM", "icarus")
    sh = pexpect.spawn(NICSIM, ["shell", "--sim", sim], env=_env(tmp_path), encoding="utf-8",
                       timeout=TIMEOUT_S, dimensions=(50, 200))
    try:
        sh.expect_exact("hostA# ", timeout=START_TIMEOUT_S)
        simulation = proctable.descendants(sh.pid)
        assert simulation, "no simulation process under the shell"

        sh.sendline("ifconfig nic0")
        sh.expect_exact("hostA# ")
        assert "inet 10.0.0.1 netmask 0xffffff00" in sh.before and "status: active" in sh.before, sh.before

        sh.sendline("ping -c 3 -i 0.0001 10.0.0.2")
        sh.expect_exact("hostA# ")
        replies = re.findall(r"64 bytes from 10\.0\.0\.2: icmp_seq=(\d+) ttl=255 time=[\d.]+ us", sh.before)
        assert replies == ["0", "1", "2"], sh.before
        assert "3 packets transmitted, 3 packets received, 0.0% packet loss" in sh.before, sh.before

        sh.sendline("nicinfo nic0")
        sh.expect_exact("hostA# ")
        mac = MAC_A.hex().upper()
        assert "Link is UP" in sh.before, sh.before
        assert re.search(rf"Current Physical Node ID \.+ {mac[:6]} {mac[6:]}", sh.before), sh.before

        sh.sendline("cable pull")
        sh.expect_exact("hostA# ")
        assert re.search(r"io-pkt@hostA: nic0: link down", sh.before), sh.before
        assert re.search(r"io-pkt@hostB: nic0: link down", sh.before), sh.before
        sh.sendline("ifconfig nic0")
        sh.expect_exact("hostA# ")
        assert "status: no carrier" in sh.before, sh.before
        sh.sendline("cable plug")
        sh.expect_exact("hostA# ")
        sh.sendline("sleep 500us")  # time for auto-negotiation and the drivers' link interrupt
        sh.expect_exact("hostA# ")
        assert "io-pkt@hostA: nic0: link up, 1000baseT-FDX" in sh.before, sh.before

        # a ping that would take 13 s of simulated time, interrupted once three replies are in
        sh.sendline("ping -c 65535 -i 0.0002 10.0.0.2")
        for _ in range(3):
            sh.expect(r"icmp_seq=\d+ ttl=255")
        sh.sendintr()
        sh.expect_exact("PING Statistics----")
        sh.expect_exact("hostA# ")
        sent, got = map(int, re.search(r"(\d+) packets transmitted, (\d+) packets received", sh.before).groups())
        assert 3 <= got <= sent < 65535, sh.before
        assert "round-trip min/avg/max/stddev" in sh.before, sh.before

        sh.sendintr()  # at the prompt: a new prompt, the simulation untouched
        sh.expect_exact("hostA# ")
        sh.sendline("time")
        sh.expect(r"simulated time (\d+)\.(\d{9}) s")
        assert 0 < int(sh.match.group(2)) < 100_000_000  # milliseconds, not the 65 s the ping asked for
        sh.expect_exact("hostA# ")

        sh.sendline("ping")
        sh.expect_exact("hostA# ")
        assert "usage: ping [-c count] [-i interval] [-s packetsize] [-W waittime] host" in sh.before, sh.before
        sh.sendline("cable sideways")
        sh.expect_exact("hostA# ")
        assert "usage: cable [pull | plug | status]" in sh.before, sh.before
        sh.sendline("frobnicate")
        sh.expect_exact("hostA# ")
        assert "sh: frobnicate: not found" in sh.before, sh.before

        sh.sendline("host B")
        sh.expect_exact("hostB# ")
        sh.sendline("@hostA arp -a")
        sh.expect_exact("hostB# ")
        assert "(10.0.0.2) at 02:00:00:00:0b:01 on nic0" in sh.before, sh.before

        sh.sendeof()
        sh.expect_exact("every interface destroyed, nothing left allocated")
        sh.expect(pexpect.EOF)
    finally:
        sh.close(force=True)
    assert sh.exitstatus == 1  # frobnicate, ping's usage and cable's failed
    left = proctable.wait_gone(simulation)
    assert not left, f"left running after exit: {left}"


def test_a_piped_script_reads_as_a_transcript(tmp_path):
    sim = os.environ.get("SIM", "icarus")
    script = "# a bug report\nifconfig nic0\nping -c 2 -i 0.0001 10.0.0.2\n@hostB arp -a\nexit\n"
    done = subprocess.run([NICSIM, "shell", "--sim", sim], input=script, env=_env(tmp_path), text=True,
                          capture_output=True, timeout=START_TIMEOUT_S)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    lines = out.splitlines()
    typed = [line for line in lines if line.startswith(("hostA# ", "hostB# "))]
    assert typed == ["hostA# # a bug report", "hostA# ifconfig nic0", "hostA# ping -c 2 -i 0.0001 10.0.0.2",
                     "hostA# @hostB arp -a", "hostA# exit"], out
    at = lines.index("hostA# ping -c 2 -i 0.0001 10.0.0.2")
    assert lines[at + 1] == "PING 10.0.0.2 (10.0.0.2): 56 data bytes", out
    assert "2 packets transmitted, 2 packets received, 0.0% packet loss" in out, out
    assert "? (10.0.0.1) at 02:00:00:00:0a:01 on nic0" in out, out

    # a command that fails makes the status 1, and the rest still runs
    failing = "ping -c 1 -W 0.0001 10.0.0.9\nifconfig nic0\n"
    done = subprocess.run([NICSIM, "shell", "--sim", sim], input=failing, env=_env(tmp_path), text=True,
                          capture_output=True, timeout=START_TIMEOUT_S)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 packets transmitted, 0 packets received, 100.0% packet loss" in done.stdout, done.stdout
    assert "inet 10.0.0.1 netmask 0xffffff00" in done.stdout, done.stdout


TAP_REASON = tap.unavailable(("ping",))


@pytest.mark.skipif(TAP_REASON is not None, reason=f"the TAP bridge cannot run here: {TAP_REASON}")
def test_the_tap_bench_answers_linux_from_the_prompt(tmp_path):
    """``nicsim shell --tap``: host A's cable is a Linux TAP; Linux's own ping (``linux ...``) gets its
    replies, host A learns the TAP's MAC as Linux reports it, Ctrl-C stops Linux's ping with its
    statistics, and at the end the namespace and every process are gone."""
    sim = os.environ.get("SIM", "icarus")
    sh = pexpect.spawn(NICSIM, ["shell", "--sim", sim, "--tap"], env=_env(tmp_path), encoding="utf-8",
                       timeout=TIMEOUT_S, dimensions=(50, 200))
    try:
        sh.expect(r"in network namespace (nicsim-tap-[\d-]+)\.", timeout=START_TIMEOUT_S)
        ns = sh.match.group(1)
        sh.expect_exact("hostA# ", timeout=START_TIMEOUT_S)
        simulation = proctable.descendants(sh.pid)

        sh.sendline(f"linux ping -c 3 -i 0.2 {tap.HOST_ADDR}")
        sh.expect_exact("hostA# ")
        assert "3 packets transmitted, 3 received, 0% packet loss" in sh.before, sh.before

        link = json.loads(subprocess.run(["ip", "-n", ns, "-j", "link", "show", tap.IFNAME], capture_output=True,
                                         text=True, check=True).stdout)
        sh.sendline("arp -a")
        sh.expect_exact("hostA# ")
        assert f"({tap.LINUX_ADDR}) at {link[0]['address']} on nic0" in sh.before, sh.before

        sh.sendline(f"linux ping -i 0.2 {tap.HOST_ADDR}")
        sh.expect(r"icmp_seq=2 ttl=255")
        sh.sendintr()
        sh.expect_exact(f"--- {tap.HOST_ADDR} ping statistics ---")
        sh.expect_exact("hostA# ")

        # sh's quoting: one argument with two spaces in it, a script of two commands
        sh.sendline('linux echo "a  b" c')
        sh.expect_exact("hostA# ")
        assert "\r\na  b c\r\n" in sh.before, repr(sh.before)
        sh.sendline("linux sh -c 'echo one; echo two'")
        sh.expect_exact("hostA# ")
        assert "\r\none\r\ntwo\r\n" in sh.before, repr(sh.before)
        sh.sendline("help cable")
        sh.expect_exact("hostA# ")
        assert f"Linux's {tap.IFNAME}" in sh.before, sh.before

        # UDP each way, Linux's own nc at the other end
        nc = subprocess.Popen(["ip", "netns", "exec", ns, "nc", "-u", "-l", "-W", "1", "5000"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)  # nc bound
        sh.sendline(f"udpsend {tap.LINUX_ADDR} 5000 from io-pkt")
        sh.expect_exact("hostA# ")
        got, _ = nc.communicate(timeout=30)
        assert got == "from io-pkt\n", got
        sh.sendline("udprecv -c 1 7000")
        time.sleep(1)  # the command started and bound its port
        send = f"printf 'from Linux' | nc -u -w 1 {tap.HOST_ADDR} 7000"
        subprocess.run(["ip", "netns", "exec", ns, "sh", "-c", send], check=True, timeout=30)
        sh.expect(rf"from {re.escape(tap.LINUX_ADDR)}:\d+ \(10 bytes\): from Linux")
        sh.expect_exact("hostA# ")

        sh.sendline("exit")
        sh.expect_exact("every interface destroyed, nothing left allocated")
        sh.expect(pexpect.EOF)
    finally:
        sh.close(force=True)
    assert sh.exitstatus == 0, sh.exitstatus  # iputils ping ends 0 on SIGINT once replies came
    assert ns not in tap.namespaces()
    left = proctable.wait_gone(simulation)
    assert not left, f"left running after exit: {left}"


def test_sessions_side_by_side_keep_their_own_files_and_end_cleanly_when_killed(tmp_path):
    """A second session while one runs works at once in a folder of its own; SIGTERM ends a session
    as exit does (status 143), SIGKILL leaves no simulator and its socket folder goes at the next start."""
    sim = os.environ.get("SIM", "icarus")
    first = pexpect.spawn(NICSIM, ["shell", "--sim", sim], env=_env(tmp_path), encoding="utf-8",
                          timeout=TIMEOUT_S, dimensions=(50, 200))
    try:
        first.expect(r"the session's files: (\S+)/\r\n", timeout=START_TIMEOUT_S)
        first_folder = Path(first.match.group(1))
        first.expect_exact("hostA# ")
        first.sendline("ping -c 1 10.0.0.2")
        first.expect_exact("hostA# ")

        second = subprocess.run([NICSIM, "shell", "--sim", sim], input="ifconfig nic0\nexit 3\n", env=_env(tmp_path),
                                text=True, capture_output=True, timeout=START_TIMEOUT_S)
        assert second.returncode == 3, second.stdout + second.stderr
        second_folder = Path(re.search(r"the session's files: (\S+)/", second.stdout).group(1))
        assert second_folder != first_folder and (second_folder / "slog.txt").is_file(), second.stdout

        simulation = proctable.descendants(first.pid)
        sockets = list(Path("/tmp").glob(f"nicsim-shell-{first.pid}-*"))
        assert sockets and simulation
        first.kill(15)  # SIGTERM
        first.expect(pexpect.EOF)
        first.close()
        assert first.exitstatus == 128 + 15, first.before
    finally:
        first.close(force=True)
    assert not [p for p in sockets if p.exists()]
    assert (first_folder / "slog.txt").is_file() and list(first_folder.glob("*.pcap"))  # the second took nothing

    # SIGKILL: the terminal side cannot clean up; the simulation must still go
    third = pexpect.spawn(NICSIM, ["shell", "--sim", sim], env=_env(tmp_path), encoding="utf-8", timeout=TIMEOUT_S)
    third.expect_exact("hostA# ", timeout=START_TIMEOUT_S)
    simulation = proctable.descendants(third.pid)
    third.kill(9)
    third.close(force=True)
    left = proctable.wait_gone(simulation, within_s=30)
    assert not left, f"left running after SIGKILL of the shell: {left}"
    from nicsim.shell import clean_stale_tmp

    left = list(Path("/tmp").glob(f"nicsim-shell-{third.pid}-*"))
    assert set(clean_stale_tmp()) >= set(left)  # what the next start removes


def test_commands_take_quoting_paths_and_limits_as_documented(tmp_path):
    sim = os.environ.get("SIM", "icarus")
    spaced = tmp_path / "a b"
    afile = tmp_path / "afile"
    afile.write_text("")
    script = "\n".join([f'pcap on "{spaced}"', f"pcap on {afile}", "pcap on ~/nicsim-pcap-test-dir",
                         "pcap on rel", "log 0", "time extra", "sleep 10", "sleep 1s", "sleep -f 1ms",
                         "netstat", "pidin", "exit 4"]) + "\n"
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run([NICSIM, "shell", "--sim", sim], input=script, cwd=tmp_path,
                          env={**_env(tmp_path), "HOME": str(home)}, text=True, capture_output=True,
                          timeout=START_TIMEOUT_S)
    out = done.stdout
    assert done.returncode == 4, out + done.stderr
    assert f"capturing to {spaced} (folder created)" in out and spaced.is_dir(), out
    assert f"pcap: {afile}: not a directory" in out, out
    assert f"capturing to {home}/nicsim-pcap-test-dir (folder created)" in out, out
    assert f"capturing to {tmp_path}/rel (folder created)" in out, out
    assert "Error" not in out, out  # no Python exception names
    assert "usage: log [N]" in out and "usage: time" in out, out
    assert "sleep: 10: give a unit" in out and "sleep: 1s is out of range 1ns..100ms" in out, out
    assert "Active Internet connections" in out and "sbin/io-pkt-v4-hc" in out, out
