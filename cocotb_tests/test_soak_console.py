"""``nicsim soak`` as a person runs it, on the simulator under test (``SIM``),
through a pseudo-terminal: Ctrl-C (as the terminal sends it, to the whole
foreground process group) stops the traffic, and the soak ends with its
summary, each host's accounting line and the command that replays the frames
it ran; status 130, no traceback, nothing left running (the process table).
SIGTERM to ``nicsim soak`` alone (what a CI timeout sends) does the same, with status 143, and SIGHUP (a
closed terminal) with status 129."""

import os
import re
import signal
import sys
from pathlib import Path

import pexpect
import pytest

from nicsim import proctable

NICSIM = str(Path(sys.executable).with_name("nicsim"))
START_TIMEOUT_S = 900  # a cold Verilator build of nic_pair_tb on a loaded 2-core machine takes minutes
TIMEOUT_S = 120


def test_ctrl_c_ends_a_soak_with_its_accounting_and_replay(tmp_path):
    sim = os.environ.get("SIM", "icarus")
    env = {**os.environ, "NICSIM_REPORTS": str(tmp_path / "reports"), "SOAK_PROGRESS": "0.5", "TERM": "dumb"}
    soak = pexpect.spawn(NICSIM, ["soak", "--seed", "3", "--seconds", "300", "--sim", sim], env=env,
                         encoding="utf-8", timeout=TIMEOUT_S, dimensions=(50, 400))
    try:
        soak.expect(r"ms sim; frames \d+ generated", timeout=START_TIMEOUT_S)
        simulation = proctable.descendants(soak.pid)
        assert simulation
        soak.sendintr()
        soak.expect(pexpect.EOF)
        soak.close()
        out = soak.before
        assert soak.exitstatus == 130, out
    finally:
        soak.close(force=True)
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    generated = int(re.search(r"interrupted by Ctrl-C after (\d+) frames generated", out).group(1))
    assert len(re.findall(r"^host[AB]: offered \d+ = delivered \d+.* \(holds\)\r?$", out, re.M)) == 2, out
    assert f"replay the frames it ran with:\r\n  make soak SEED=3 FRAMES={generated} SIM={sim}" in out, out
    folder = tmp_path / "reports" / "tests" / sim / "nicsim.soak.soak_job-seed3"
    assert (folder / "sim.log").is_file() and "(holds)" in (folder / "sim.log").read_text()
    left = proctable.wait_gone(simulation)
    assert not left, f"left running after Ctrl-C: {left}"


@pytest.mark.parametrize("sig, word, status", [(signal.SIGTERM, "SIGTERM", 143), (signal.SIGHUP, "SIGHUP", 129)],
                         ids=["SIGTERM", "SIGHUP"])  # the same ids on every Python (Signals print differently)
def test_sigterm_or_sighup_ends_a_soak_as_ctrl_c_does(tmp_path, sig, word, status):
    sim = os.environ.get("SIM", "icarus")
    env = {**os.environ, "NICSIM_REPORTS": str(tmp_path / "reports"), "SOAK_PROGRESS": "0.5", "TERM": "dumb"}
    soak = pexpect.spawn(NICSIM, ["soak", "--seed", "4", "--seconds", "300", "--sim", sim], env=env,
                         encoding="utf-8", timeout=TIMEOUT_S, dimensions=(50, 400))
    try:
        soak.expect(r"ms sim; frames \d+ generated", timeout=START_TIMEOUT_S)
        simulation = proctable.descendants(soak.pid)
        assert simulation
        soak.kill(sig)  # to nicsim soak alone, not its process group: the simulator hears it from it
        soak.expect(pexpect.EOF)
        soak.close()
        out = soak.before
        assert soak.exitstatus == status, out
    finally:
        soak.close(force=True)
    assert "Traceback" not in out, out
    generated = int(re.search(rf"interrupted by {word} after (\d+) frames generated", out).group(1))
    assert len(re.findall(r"^host[AB]: offered \d+ = delivered \d+.* \(holds\)\r?$", out, re.M)) == 2, out
    assert f"replay the frames it ran with:\r\n  make soak SEED=4 FRAMES={generated} SIM={sim}" in out, out
    replay = tmp_path / "reports" / "tests" / sim / "nicsim.soak.soak_job-seed4" / "replay.txt"
    assert replay.read_text() == f"replay: make soak SEED=4 FRAMES={generated} SIM={sim}\n"
    left = proctable.wait_gone(simulation)
    assert not left, f"left running after {word}: {left}"
