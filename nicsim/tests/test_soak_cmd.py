"""``nicsim soak``'s command-line side, without a simulator: the options and
SOAK_* variables refused before anything is built, the failure report's rerun
line made the soak's own replay with waves, the summary's labels and plurals,
and a console run's output copied from ``sim.log`` as it grows."""

from __future__ import annotations

import dataclasses
import fcntl
import io
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nicsim import runner
from nicsim.soak import (
    DEFAULT_WIRE_RATE,
    DEFAULTS,
    FAULTS,
    RUN_NEUTRAL_FIELDS,
    SoakConfig,
    SoakResult,
    config_from_env,
    fault_gap,
    fault_names,
    replay_command,
    summary,
    wire_rate,
)
from nicsim.soak_cmd import replay_prefix, with_waves_replay

ROOT = Path(__file__).resolve().parents[2]


def nicsim(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # PATH without iverilog or Verilator would fail later with status 2 too: a usage error must say so first
    return subprocess.run([sys.executable, "-m", "nicsim.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, check=False, timeout=60)


@pytest.mark.parametrize("env, args, message", [
    ({"SOAK_FAULT_NAMES": "cable_pull,bogus"}, [], "no fault named 'bogus'; the faults: dma:tx_desc_fetch,"),
    ({}, ["--fault-names", "dma:nothing"], "no fault named 'dma:nothing'"),
    ({"SOAK_WIRE_RATE": "-1"}, [], "-1 is not a chance: give 0 (no wire errors) to 1"),
    ({"SOAK_WIRE_RATE": "5"}, [], "5 is not a chance"),
    ({"SOAK_WIRE_RATE": "nan"}, [], "nan is not a chance"),
    ({}, ["--wire-rate", "often"], "not a number: 'often'"),
    ({"SOAK_PROGRESS": "abc"}, [], "SOAK_PROGRESS must be a number of wall seconds, not 'abc'"),
    ({"SOAK_PROGRESS": "-1"}, [], "SOAK_PROGRESS must be 0 (no progress lines) to 3600 seconds, not -1"),
    *(({"SOAK_FAULTS": word}, [], f"SOAK_FAULTS must be 0 or 1 (or empty for the default), not '{word}'")
      for word in ("no", "yes", "true", "maybe")),
    ({"SOAK_FAULT_TOUR": "true"}, [], "SOAK_FAULT_TOUR must be 0 or 1 (or empty for the default), not 'true'"),
    ({"SOAK_FAULTS": "0", "SOAK_FAULT_NAMES": "mtu"}, [], "SOAK_FAULTS=0 (or --no-faults) turns the faults off, yet"),
    ({}, ["--no-faults", "--fault-names", "mtu"], "turns the faults off, yet SOAK_FAULT_NAMES (or --fault-names)"),
    ({"SOAK_FAULT_TOUR": "1"}, ["--no-faults"], "SOAK_FAULT_TOUR=1 tours the faults, yet SOAK_FAULTS=0"),
    ({"SOAK_FAULT_NAMES": ","}, [], "an empty name in ','"),
    ({"SOAK_FAULT_NAMES": "mtu,,media"}, [], "an empty name in 'mtu,,media'"),
    ({}, ["--fault-names", "mtu,"], "an empty name in 'mtu,'"),
    ({"SOAK_FAULT_GAP": "10000"}, [], "SOAK_FAULT_GAP must be MIN,MAX in whole simulated nanoseconds, not '10000'"),
    ({"SOAK_FAULT_GAP": "5,x"}, [], "SOAK_FAULT_GAP must be MIN,MAX in whole simulated nanoseconds"),
    ({"SOAK_FAULT_GAP": "50000,10000"}, [], "SOAK_FAULT_GAP must have 1 <= MIN <= MAX <= 100000000 ns"),
    ({"SOAK_FAULT_GAP": "0,10"}, [], "SOAK_FAULT_GAP must have 1 <= MIN <= MAX"),
    ({"SOAK_FAULT_GAP": "10,20", "SOAK_FAULTS": "0"}, [], "SOAK_FAULT_GAP spaces the faults, yet SOAK_FAULTS=0"),
])
def test_bad_soak_variables_are_usage_errors_before_anything_runs(env, args, message):
    res = nicsim("soak", "--seed", "1", "--frames", "5", "--sim", "icarus", *args, env=env)
    assert res.returncode == 2, res
    assert "usage: nicsim soak" in res.stderr and message in res.stderr, res.stderr
    assert "soak: seed" not in res.stdout and "Traceback" not in res.stderr  # nothing started


@pytest.mark.parametrize("env, message", [
    ({"WAVES": "2"}, "nicsim soak: WAVES must be 1 (record waveforms), 0 or empty (none), not '2'"),
    ({"WAVES": "no"}, "WAVES must be 1 (record waveforms), 0 or empty (none), not 'no'"),
    ({"COCOTB_RANDOM_SEED": "x"}, "nicsim soak: COCOTB_RANDOM_SEED='x' is not an integer"),
])
def test_what_the_runner_reads_from_the_environment_is_checked_before_anything_runs(env, message):
    res = nicsim("soak", "--seed", "1", "--frames", "5", "--sim", "icarus", env=env)
    assert res.returncode == 2 and message in res.stderr, res
    assert "soak: seed" not in res.stdout and "Traceback" not in res.stderr
    demo = nicsim("demo", env=env)  # every job that runs a simulation, the same way
    assert demo.returncode == 2 and message.replace("nicsim soak", "nicsim demo") in demo.stderr, demo


def _soak_env_passed(monkeypatch, args: list[str], environ: dict) -> tuple[int, dict]:
    """``nicsim soak ARGS`` with ``environ`` set, the simulation replaced: its status and the
    ``extra_env`` the simulation would have got."""
    from nicsim import cli, soak_cmd

    for var in DEFAULTS:
        monkeypatch.delenv(var, raising=False)
    for var, value in environ.items():
        monkeypatch.setenv(var, value)
    got: dict = {}
    monkeypatch.setattr(soak_cmd, "run_cocotb", lambda *a, extra_env, **kw: got.update(extra_env))
    monkeypatch.setattr(soak_cmd.lifeline, "die_with_make", lambda: None)
    monkeypatch.setenv("SIM", os.environ.get("SIM", "icarus"))
    return cli.main(["soak", "--seed", "4", "--sim", "icarus", *args]), got


def test_the_simulation_gets_every_soak_variable_validated_and_nothing_inherited(monkeypatch, capsys):
    empty = dict.fromkeys(("SOAK_WIRE_RATE", "SOAK_PROGRESS", "SOAK_FAULTS", "SOAK_FAULT_TOUR"), "")
    status, env = _soak_env_passed(monkeypatch, ["--frames", "50"], empty)
    assert status == 0 and set(DEFAULTS) <= set(env)
    # what the simulation reads is the runner's os.environ overlaid with these: the inherited values no longer count
    cfg = config_from_env({**os.environ, "SOAK_WIRE_RATE": "junk", "SOAK_PROGRESS": "junk", **env})
    assert (cfg.seed, cfg.frames, cfg.faults, cfg.fault_tour) == (4, 50, True, False)
    assert cfg.wire_error_rate == DEFAULT_WIRE_RATE and cfg.progress_s == SoakConfig(seed=0).progress_s
    status, env = _soak_env_passed(monkeypatch, ["--frames", "50", "--wire-rate", "0.1234567891"],
                                   {"SOAK_PROGRESS": "0.5", "SOAK_FAULTS": "0"})
    cfg = config_from_env(env)
    assert status == 0 and (cfg.wire_error_rate, cfg.progress_s, cfg.faults) == (0.1234567891, 0.5, False)
    assert "frames" in capsys.readouterr().out


def test_empty_soak_variables_are_the_defaults_on_both_sides():
    empty = config_from_env(dict.fromkeys(DEFAULTS, ""))
    unset = config_from_env({})
    assert empty == unset == SoakConfig(seed=1, ctrl_c=True)


def test_the_fault_tour_says_it_ignores_the_frame_budget(monkeypatch, capsys):
    status, env = _soak_env_passed(monkeypatch, ["--frames", "50"], {"SOAK_FAULT_TOUR": "1"})
    assert status == 0 and env["SOAK_FAULT_TOUR"] == "1"
    assert "the fault tour (it ends the traffic; FRAMES=50 ignored)" in capsys.readouterr().out


def test_a_replay_names_the_wire_rate_exactly():
    assert replay_prefix(True, None, 0.1234567891, False) == "SOAK_WIRE_RATE=0.1234567891 "
    assert replay_prefix(True, None, DEFAULT_WIRE_RATE, False) == ""
    assert replay_prefix(False, None, None, False) == "SOAK_FAULTS=0 "
    assert float(replay_prefix(True, None, 1 / 3, False).split("=")[1]) == 1 / 3


# a value other than the default for each SoakConfig field that changes what a run does
CHANGED = {"faults": False, "wire_error_rate": 0.1234567891, "fault_gap_ns": (10_000, 50_000),
           "fault_names": ["mtu", "dma:rx_writeback"], "fault_tour": True}


def test_a_replay_names_every_setting_that_changes_the_run():
    fields = {f.name for f in dataclasses.fields(SoakConfig)}
    # a new field must be named here: either the replay carries it, or it cannot change the run
    assert fields == set(CHANGED) | RUN_NEUTRAL_FIELDS | {"seed", "frames"}
    base = SoakConfig(seed=9)
    for name, value in CHANGED.items():
        cfg = dataclasses.replace(base, **{name: value})
        if name == "faults":
            cfg.fault_names, cfg.fault_tour = [], False  # the command side refuses names or a tour without faults
        command = replay_command(cfg, 123, "icarus")
        words = shlex.split(command)
        env = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith(("SEED", "FRAMES", "SIM")))
        assert words[words.index("make"):words.index("make") + 2] == ["make", "soak"], command
        assert f"SEED={cfg.seed}" in words and "SIM=icarus" in words, command
        assert ("FRAMES=123" in words) != cfg.fault_tour, command  # a tour ends with its last fault
        # what the simulation reads from those words is this run's setting
        assert getattr(config_from_env({**env, "SOAK_SEED": "9"}), name) == value, (name, command)
        assert replay_command(base, 123, "icarus") != command


def test_fault_names_and_wire_rate_take_what_is_valid():
    assert fault_names("") == []
    assert fault_names("cable_pull, dma:rx_writeback") == ["cable_pull", "dma:rx_writeback"]
    with pytest.raises(ValueError) as e:
        fault_names("cable_pul")
    assert all(name in str(e.value) for name in FAULTS)
    assert wire_rate("0") == 0 and wire_rate("1") == 1 and wire_rate("0.25") == 0.25
    assert fault_gap("10000,50000") == (10_000, 50_000) and fault_gap("7, 7") == (7, 7)


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
    assert ("scoreboard: 181 soak frames tracked with the 20 recovery datagrams (A->B 98, B->A 83), "
            "157 of them seen to arrive" in text)
    assert "delivered" not in text.splitlines()[0]  # the word of the hosts' lines, which count ARP and replies too
    assert "not the scoreboard's count" in text
    assert "1 fault, 1 wire error;" in text and "1 faults" not in text and "1 wire errors" not in text
    assert "offered: every frame the other host's send queue took" in text
    for line in _result().lines:
        assert text.count(line) == 1
    assert "interrupted" not in text
    two = summary(SoakConfig(seed=3), _result(faults=[("mtu", "hostA", "idle")] * 2, interrupted=True))
    assert "2 faults" in two and two.startswith("soak seed 3: interrupted by Ctrl-C after 200 frames generated")
    term = summary(SoakConfig(seed=3), _result(interrupted=True, stopped_by="SIGTERM"))
    assert term.startswith("soak seed 3: interrupted by SIGTERM after 200 frames generated")
    # a tour of mtu and second_interface: its own down/up to reach the stopping state is no fault of theirs
    tour = summary(SoakConfig(seed=5, fault_tour=True, fault_names=["mtu", "second_interface"]),
                   _result(faults=[("mtu", "hostA", "stopping"), ("second_interface", "hostB", "stopping")],
                           tour_down_ups=2))
    assert ("faults: mtu 1, second_interface 1; the tour's own ifconfig down/up to reach the stopping state: 2"
            in tour) and "down_up 2" not in tour
    # stopped before its first frame: nothing to sum up (nicsim soak says so in one line)
    assert summary(SoakConfig(seed=3), _result(generated=0, interrupted=True)) == ""


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
        f.write("- :0: Verilog $finish\n")
        f.write("no newline at the end")
    echo.stop()
    # Verilator's $finish note stays in sim.log alone; a last line without its newline is copied at the end
    assert out.getvalue() == "first line\nlast line\nno newline at the end"
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


def test_a_run_waiting_for_a_folder_lock_says_so(tmp_path, capsys):
    path = tmp_path / ".folder.lock"
    held = open(path, "w")
    fcntl.flock(held, fcntl.LOCK_EX)
    done = threading.Event()

    def second():
        with open(path, "w") as lock:
            runner._wait_for_lock(lock, "reports/tests/icarus/x/")
            done.set()

    t = threading.Thread(target=second)
    t.start()
    err, deadline = "", time.monotonic() + 5
    while "waiting" not in err and time.monotonic() < deadline:
        time.sleep(0.02)
        err += capsys.readouterr().err
    assert "waiting for reports/tests/icarus/x/: another run holds it" in err
    assert not done.is_set()
    held.close()  # the first run ends
    t.join(5)
    assert done.is_set()
