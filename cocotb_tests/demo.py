"""``make demo``: two hosts ping each other through two live RTL NICs.

Runs the ``demo_two_host_ping`` cocotb test and prints the transcript it
writes: the commands as a QNX shell shows them, and their output.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from runner import SIM_BUILD, run_cocotb  # noqa: E402


def main() -> int:
    sim = os.environ.setdefault("SIM", "icarus")
    transcript = SIM_BUILD / "demo-transcript.txt"
    SIM_BUILD.mkdir(exist_ok=True)
    transcript.unlink(missing_ok=True)
    t0 = time.perf_counter()
    run_cocotb("tb_two_hosts", "nic_pair_tb", testcase="demo_two_host_ping",
               extra_env={"DEMO_TRANSCRIPT": str(transcript), "COCOTB_LOG_LEVEL": "WARNING"})
    wall = time.perf_counter() - t0
    if not transcript.exists():
        print("demo: the simulation did not finish its script; see the log above", file=sys.stderr)
        return 1
    print()
    print(f"==== two hosts, two RTL NICs on one cable ({sim}) ====")
    print(transcript.read_text(), end="")
    print(f"==== {wall:.1f} s of wall time, build included ====")
    return 0


if __name__ == "__main__":
    sys.exit(main())
