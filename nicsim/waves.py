"""``make waves TEST=name``: rerun one cocotb test with waves and open it in GTKWave.

Runs ``pytest cocotb_tests -k <TEST>`` with ``WAVES=1`` on ``SIM`` (the seed
too, if ``COCOTB_RANDOM_SEED`` is set, as a failure report's rerun line
gives it), then opens the test's ``waves.gtkw`` (the layout
:mod:`nicsim.wave_layout` wrote beside ``waves.fst``) in GTKWave when there
is a display and GTKWave is installed, or prints the command that opens it.
The pattern must select exactly one test: none or several is a usage error
that lists what it matched.

Usage: ``python -m nicsim.waves PATTERN`` (``make waves TEST=PATTERN``).
Exit status: the test's own (a failing test is usually why one looks), 2 on
a usage error.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from nicsim import collect, runner

TESTS_DIR = runner.REPO_ROOT / "cocotb_tests"


def _collect(pattern: str) -> tuple[list[str], str]:
    """The cocotb items (``cocotb_tests/tb_*.py::...``) ``pattern`` selects, and pytest's complaint
    about the pattern, if any."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           str(TESTS_DIR), "-k", collect.k_expression(pattern)], capture_output=True, text=True,
                          check=False, cwd=runner.REPO_ROOT)
    items = [line for line in done.stdout.splitlines()
             if "::" in line and Path(line.split("::", 1)[0]).name.startswith("tb_")]
    complaint = "" if done.returncode in (0, 5) else (done.stderr.strip() or done.stdout.strip())[-600:]
    return items, complaint


def main(argv: list[str] | None = None) -> int:
    """Run and open; returns the exit status (see the module's docstring)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not args[0].strip():
        print("usage: make waves TEST=<cocotb test name or pytest -k pattern> [SIM=icarus|verilator]")
        return 2
    pattern = args[0]
    sim = os.environ.get("SIM", "icarus")
    if sim not in runner.SIMULATORS:
        print(f"make waves: SIM={sim}: use icarus or verilator")
        return 2
    items, complaint = _collect(pattern)
    if complaint:
        print(f"make waves: TEST={pattern} is not a test name or pytest -k pattern:\n  {complaint}")
        return 2
    if len(items) != 1:
        print(f"make waves: TEST={pattern} selects {len(items)} cocotb tests; it must select exactly one"
              + (":\n  " + "\n  ".join(items) if items else " (try the test's name, e.g. TEST=test_soft_reset)"))
        return 2
    print(f"running {items[0]} on {sim} with waves")
    env = dict(os.environ, WAVES="1", SIM=sim)
    status = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", items[0]],
                            env=env, cwd=runner.REPO_ROOT, check=False).returncode
    path = items[0].split("::", 1)
    module = os.path.splitext(os.path.basename(path[0]))[0]
    name, _, params = path[1].partition("[")
    parameters = dict(p.split("=", 1) for p in params.rstrip("]").split(",")) if params else {}
    folder = runner.artifact_dir(sim, module, name, parameters)
    layout = folder / "waves.gtkw"
    wave = next((p for p in (folder / "waves.fst", folder / "waves.vcd") if p.is_file()), None)
    if wave is None:
        print(f"make waves: no waveform in {folder} (see its sim.log)")
        return status or 1
    target = layout if layout.is_file() else wave
    if shutil.which("gtkwave") and os.environ.get("DISPLAY"):
        print(f"gtkwave {shlex.quote(str(target))}")
        subprocess.Popen(["gtkwave", str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    else:
        why = "GTKWave is not installed (apt-get install gtkwave)" if not shutil.which("gtkwave") else "no DISPLAY"
        print(f"{why}; open it with:\n  gtkwave {shlex.quote(str(target))}")
    return status


if __name__ == "__main__":
    sys.exit(main())
