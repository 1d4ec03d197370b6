"""``nicsim demo`` (``make demo``): two hosts ping each other through two live RTL NICs.

Runs the ``demo_two_host_ping`` cocotb test of :mod:`nicsim.jobs` and prints
the transcript it writes: the commands as a QNX shell shows them, and their
output.
"""

from __future__ import annotations

import os
import sys
import time

from nicsim.runner import SIM_BUILD, CocotbTestFailed, run_cocotb


def run_demo(sim: str = "icarus") -> int:
    """Run the demo on ``sim`` (``"icarus"`` or ``"verilator"``) and print its
    transcript; returns a process exit status (0: the ten pings were answered).

    Raises :class:`nicsim.runner.SimulatorMissing` if ``sim`` cannot run here.
    """
    os.environ["SIM"] = sim
    transcript = SIM_BUILD / "demo-transcript.txt"
    SIM_BUILD.mkdir(exist_ok=True)
    transcript.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        run_cocotb("nicsim.jobs", "nic_pair_tb", testcase="demo_two_host_ping",
                   extra_env={"DEMO_TRANSCRIPT": str(transcript),
                              "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR"})
    except CocotbTestFailed as e:
        print(e, file=sys.stderr)  # the failure report; the missing transcript says so below
    wall = time.perf_counter() - t0
    if not transcript.exists():
        print("demo: the simulation did not finish its script; see the report above", file=sys.stderr)
        return 1
    print()
    print(f"==== two hosts, two RTL NICs on one cable ({sim}) ====")
    print(transcript.read_text(), end="")
    print(f"==== {wall:.1f} s of wall time, build included ====")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(os.environ.get("SIM", "icarus")))
