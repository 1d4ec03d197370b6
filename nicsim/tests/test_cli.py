"""The ``nicsim`` command and the runner's early checks, without a simulator:
the version every part reports, usage errors, and a simulator that cannot run."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nicdef import __version__
from nicsim import runner

ROOT = Path(__file__).resolve().parents[2]


def nicsim(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nicsim.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, check=False, timeout=60)


def test_version_is_the_newest_changelog_release_everywhere():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\d+\.\d+\.\d+)", changelog, re.M)[1]
    assert __version__ == newest
    assert importlib.metadata.version("iopkt-nic-sim") == newest, "reinstall: pip install -e ."
    res = nicsim("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"nicsim {newest}"


@pytest.mark.parametrize("args, message", [
    ([], "the following arguments are required: JOB"),
    (["simulate"], "invalid choice: 'simulate'"),
    (["demo", "--sim", "modelsim"], "invalid choice: 'modelsim'"),
    (["shell", "--sim", "modelsim"], "invalid choice: 'modelsim'"),
    (["shell", "--tcp"], "unrecognized arguments: --tcp"),
    (["bench", "--count", "0"], "0 is out of range 1..100000"),
    (["soak", "--seconds", "5"], "the following arguments are required: --seed"),
    (["soak", "--seed", "one"], "SEED must be a whole number, not 'one'"),
    (["soak", "--seed", "-3"], "SEED must be 0 or more, not -3"),
    (["soak", "--seed", "1", "--seconds", "0"], "SECONDS must be more than 0"),
    (["soak", "--seed", "1", "--seconds", "nan"], "SECONDS must be more than 0"),
    (["soak", "--seed", "1", "--frames", "0"], "FRAMES must be 1 or more, not 0"),
    (["bench", "--count", "1e300"], "not a whole number: '1e300'"),
    (["bench", "--count", "-5"], "-5 is out of range"),
    (["gen", "--bogus"], "unrecognized arguments: --bogus"),
    (["bench", "--json", "/tmp"], "/tmp is a directory; name a file"),
    (["bench", "--json", "README.md/x.json"], "README.md is not a directory"),
    (["bench", "--json", "/proc/bench.json"], "cannot write in /proc: "),
    (["bench", "--json", "/proc/new/folder/bench.json"], "cannot write in /proc: "),
    (["bench", "--sim", "questa"], "invalid choice: 'questa'"),
    (["bench", "--idle-seconds", "0"], "0 is out of range 0.1..600 seconds"),
    (["bench", "--idle-seconds", "601"], "601 is out of range 0.1..600 seconds"),
    (["bench", "--idle-seconds", "nan"], "nan is out of range 0.1..600 seconds"),
    (["bench", "--idle-seconds", "soon"], "not a number of seconds: 'soon'"),
    (["bench", "--idle-seconds"], "expected one argument"),
])
def test_bad_arguments_are_a_usage_error(args, message):
    res = nicsim(*args)
    assert res.returncode == 2, res
    assert "usage: nicsim" in res.stderr and message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_gen_check_reports_each_generated_file_current():
    res = nicsim("gen", "--check")
    assert res.returncode == 0, res.stderr
    for path in ("rtl/nic_defs.vh", "include/nic_regs.h", "docs/registers.md"):
        assert f"{path} is up to date" in res.stdout


def test_demo_without_icarus_says_what_to_install(tmp_path):
    # a PATH with python but no iverilog/vvp
    (tmp_path / "python").symlink_to(sys.executable)
    res = nicsim("demo", env={"PATH": str(tmp_path)})
    assert res.returncode == 2, res
    assert "Icarus Verilog is not installed: sudo apt-get install -y iverilog" in res.stderr
    assert "Traceback" not in res.stderr


def test_bench_without_icarus_says_what_to_install_before_measuring_anything(tmp_path):
    (tmp_path / "python").symlink_to(sys.executable)
    res = nicsim("bench", "--sim", "icarus", "--sim", "verilator", env={"PATH": str(tmp_path)})
    assert res.returncode == 2, res
    assert "Icarus Verilog is not installed: sudo apt-get install -y iverilog" in res.stderr
    assert "Traceback" not in res.stderr and "bench_pair" not in res.stdout


def test_runner_refuses_an_unknown_simulator(monkeypatch):
    monkeypatch.setenv("SIM", "questa")
    with pytest.raises(runner.SimulatorMissing, match="SIM='questa': supported simulators are icarus, verilator"):
        runner.run_cocotb("tb_regs", "nic")


def test_gen_outside_a_source_tree_refuses_and_writes_nothing(monkeypatch, tmp_path, capsys):
    from nicdef import generate

    monkeypatch.setattr(generate, "ROOT", tmp_path)
    assert generate.main([]) == 2
    assert "is not a source tree of this project" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
