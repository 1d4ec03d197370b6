"""``nicsim soak`` (``make soak``): one soak (``nicsim.soak``) on one simulator.

Runs the ``soak_job`` cocotb test of :mod:`nicsim.soak` on ``nic_pair_tb``
with its output on this terminal: a progress line every few wall seconds
(frames, faults fired, wire errors, each host's accounting so far), then the
summary and each host's accounting line. A failure prints the failure report,
the artifact folder (``reports/tests/<sim>/nicsim.soak.soak_job/``:
``sim.log``, ``events.log``, ``slog.txt``, ``diagnosis.txt``, the wire pcaps)
and, last, the command that replays it.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time

from nicsim import lifeline
from nicsim.runner import CocotbTestFailed, run_cocotb

# the soak's own line (replay.txt, or the failure text): everything after "replay: " up to the line's end
REPLAY = re.compile(r"^replay: (.*make soak SEED=.*)$", re.MULTILINE)


def run_soak_job(seed: int, seconds: float, sim: str = "verilator", frames: int | None = None,
                 faults: bool = True) -> int:
    """Soak on ``sim`` with ``seed`` for ``seconds`` of wall time (or until
    ``frames`` frames, which makes the run exactly repeatable); returns a
    process exit status (0: every check held). Raises
    :class:`nicsim.runner.SimulatorMissing` if ``sim`` cannot run here."""
    os.environ["SIM"] = sim
    env = {"SOAK_SEED": str(seed), "SOAK_SECONDS": str(seconds), "SOAK_FRAMES": str(frames or ""),
           "SOAK_FAULTS": "1" if faults and os.environ.get("SOAK_FAULTS", "1") != "0" else "0",
           "SOAK_WIRE_RATE": os.environ.get("SOAK_WIRE_RATE", "0.03"),
           "SOAK_FAULT_NAMES": os.environ.get("SOAK_FAULT_NAMES", ""), "COCOTB_RANDOM_SEED": str(seed),
           "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR",
           lifeline.PARENT_ENV: str(os.getpid())}  # the simulator ends with this process, however it ends
    lifeline.die_with_make()  # `make soak` killed (timeout sends make alone a SIGTERM): so is this
    budget = f"{frames} frames" if frames else f"{seconds:g} s of wall time"
    print(f"soak: seed {seed}, {budget}, on {sim} (build first if needed)", flush=True)
    t0 = time.perf_counter()
    try:
        run_cocotb("nicsim.soak", "nic_pair_tb", testcase="soak_job", extra_env=env, console=True)
    except CocotbTestFailed as e:
        print(e, file=sys.stderr)
        saved = e.artifacts / "replay.txt"
        found = REPLAY.search(saved.read_text() if saved.is_file() else str(e))
        narrowing = "".join(f"{k}={shlex.quote(os.environ[k])} " for k in ("SOAK_FAULT_NAMES", "SOAK_WIRE_RATE")
                            if os.environ.get(k))
        replay = found.group(1) if found else (
            f"{narrowing}make soak SEED={seed} " + (f"FRAMES={frames}" if frames else f"SECONDS={seconds:g}")
            + f" SIM={sim}")
        print(f"\nsoak seed {seed} FAILED after {time.perf_counter() - t0:.0f} s; replay it with:\n  {replay}",
              file=sys.stderr, flush=True)
        return 1
    print(f"soak seed {seed}: passed ({time.perf_counter() - t0:.0f} s of wall time, build included)")
    return 0
