"""``nicsim soak``'s command-line side, without a simulator: the options and
SOAK_* variables refused before anything is built, the failure report's rerun
line made the soak's own replay with waves, the summary's labels and plurals,
and a console run's output copied from ``sim.log`` as it grows."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nicsim import runner
from nicsim.soak import FAULTS, SoakConfig, SoakResult, fault_names, summary, wire_rate
from nicsim.soak_cmd import with_waves_replay

ROOT = Path(__file__).resolve().parents[2]


def nicsim(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # PATH without iverilog or Verilator would fail later with status 2 too: a usage error must say so first
    return subprocess.run([sys.executable, "-m", "nicsim.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, check=False, timeout=60)


@pytest.mark.parametrize("env, args, message", [
    ({"SOAK_FAULT_NAMES": "cable_pull,bogus"}, [], "no fault named 'bogus'; the faults: dma:tx_desc_fetch,"),
    ({}, ["--fault-names", "dma:nothing"], "no fault named 'dma:nothing'"),
    ({"SOAK_WIRE_RATE": "-1"}, [], "-1 is not a chance per frame: give 0 (no wire errors) to 1"),
    ({"SOAK_WIRE_RATE": "5"}, [], "5 is not a chance per frame"),
    ({"SOAK_WIRE_RATE": "nan"}, [], "nan is not a chance per frame"),
    ({}, ["--wire-rate", "often"], "not a number: 'often'"),
])
def test_bad_soak_variables_are_usage_errors_before_anything_runs(env, args, message):
    res = nicsim("soak", "--seed", "1", "--frames", "5", "--sim", "icarus", *args, env=env)
    assert res.returncode == 2, res
    assert "usage: nicsim soak" in res.stderr and message in res.stderr, res.stderr
    assert "soak: seed" not in res.stdout and "Traceback" not in res.stderr  # nothing started


def test_fault_names_and_wire_rate_take_what_is_valid():
    assert fault_names("") == []
    assert fault_names("cable_pull, dma:rx_writeback") == ["cable_pull", "dma:rx_writeback"]
    with pytest.raises(ValueError) as e:
        fault_names("cable_pul")
    assert all(name in str(e.value) for name in FAULTS)
    assert wire_rate("0") == 0 and wire_rate("1") == 1 and wire_rate("0.25") == 0.25


REPORT = """nicsim.soak.soak_job FAILED on verilator: soak seed 3 failed after 485 frames: ...
  toplevel nic_pair_tb, parameters defaults, COCOTB_RANDOM_SEED=3
rerun with waves:
  SIM=verilator WAVES=1 COCOTB_RANDOM_SEED=3 .venv/bin/python -c "from nicsim.runner import run_cocotb; ..."
artifacts: reports/tests/verilator/nicsim.soak.soak_job/  (replay.txt, sim.log)"""


def test_the_rerun_with_waves_line_is_the_soaks_replay_with_waves():
    replay = "SOAK_FAULT_NAMES='cable_pull,mtu' SOAK_WIRE_RATE=0 make soak SEED=3 FRAMES=600 SIM=verilator"
    out = with_waves_replay(REPORT, replay).splitlines()
    at = out.index("rerun with waves:")
    assert out[at + 1] == f"  {replay} WAVES=1"
    assert "run_cocotb" not in "\n".join(out)
    assert out[:at] == REPORT.splitlines()[:at] and out[at + 2:] == REPORT.splitlines()[at + 2:]


def _result(**kw) -> SoakResult:
    base = dict(generated=200, offered={"A->B": 98, "B->A": 83}, delivered={"A->B": 80, "B->A": 77},
                faults=[("cable_pull", "hostA", "idle")], wire_errors={"A->B": 1, "B->A": 0},
                lines=["hostB: offered 114 = delivered 101 + hostB filtered 13 (holds)",
                       "hostA: offered 100 = delivered 100 (holds)"],
                sim_ns=1_825_000, wall_s=0.4, sent=161, refused=39)
    return SoakResult(**{**base, **kw})


def test_summary_labels_each_count_of_frames_and_prints_each_line_once():
    text = summary(SoakConfig(seed=3), _result())
    assert "frames 200 generated, 161 sent (39 refused by the sender's stack)" in text
    assert "with the 20 recovery datagrams, 181 checked by the scoreboard (A->B 98, B->A 83), 157 delivered" in text
    assert "1 fault, 1 wire error;" in text and "1 faults" not in text and "1 wire errors" not in text
    assert "offered: every frame the other host's send queue took" in text
    for line in _result().lines:
        assert text.count(line) == 1
    assert "interrupted" not in text
    two = summary(SoakConfig(seed=3), _result(faults=[("mtu", "hostA", "idle")] * 2, interrupted=True))
    assert "2 faults" in two and two.startswith("soak seed 3: interrupted by Ctrl-C after 200 frames generated")


def test_a_console_run_echoes_sim_log_as_it_grows_and_all_of_it_by_the_end(tmp_path, monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    log = tmp_path / "sim.log"
    echo = runner._Echo(log)
    time.sleep(0.1)  # the file does not exist yet: the echo waits for it
    with open(log, "w") as f:
        f.write("first line\n")
        f.flush()
        deadline = time.monotonic() + 5
        while "first line" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert out.getvalue() == "first line\n"  # copied while the writer still runs
        f.write("last line\n")
    echo.stop()
    assert out.getvalue() == "first line\nlast line\n"
    assert not any(t.name == "sim.log echo" for t in threading.enumerate())


def test_a_failure_traceback_ends_where_other_output_starts(tmp_path):
    log = tmp_path / "sim.log"
    pad = " " * 56
    log.write_text(f"  5.00ns WARNING  cocotb.regression                  tb_x.test_a failed\n"
                   f"{pad}Traceback (most recent call last):\n"
                   f'{pad}  File "tb_x.py", line 3, in test_a\n'
                   f"{pad}    assert 1 == 2\n"
                   f"{pad}AssertionError: one is not two\n"
                   f"{pad}where: the second line of the message\n"
                   "- :0: Verilog $finish\n")
    got = runner._failure_traceback(log, "test_a")
    assert got == ['  File "tb_x.py", line 3, in test_a', "    assert 1 == 2", "AssertionError: one is not two",
                   "where: the second line of the message"]
