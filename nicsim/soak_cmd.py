"""``nicsim soak`` (``make soak``): one soak (``nicsim.soak``) on one simulator.

Runs the ``soak_job`` cocotb test of :mod:`nicsim.soak` on ``nic_pair_tb``
with its output on this terminal (and in ``sim.log``): a progress line every
few wall seconds (frames, faults fired, wire errors, each host's accounting so
far), then the summary and each host's accounting line. A failure prints the
failure report, the artifact folder (``reports/tests/<sim>/nicsim.soak.soak_job/``:
``sim.log``, ``events.log``, ``slog.txt``, ``diagnosis.txt``, the wire pcaps)
and, last, the command that replays it; the report's rerun line is that
command with ``WAVES=1``. Ctrl-C stops the traffic, and the soak ends with its
accounting so far and the command that replays the frames it ran (status 130).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import sys
import time

from nicsim import lifeline
from nicsim.runner import CocotbTestFailed, artifact_dir, run_cocotb

# the soak's own line (replay.txt, or the failure text): everything after "replay: " up to the line's end
REPLAY = re.compile(r"^replay: (.*make soak SEED=.*)$", re.MULTILINE)
# the runner's failure report: the line after "rerun with waves:" is the command (a generic one)
RERUN = re.compile(r"^(rerun with waves:\n)  .*$", re.MULTILINE)
DEFAULT_SECONDS = 60.0


def with_waves_replay(report: str, replay: str) -> str:
    """``report`` (the runner's failure report) with its "rerun with waves" command replaced by
    ``replay`` (``make soak SEED=... FRAMES=... SIM=...``, any ``SOAK_*`` prefix kept) plus ``WAVES=1``:
    the generic command would run the default soak, not this one."""
    return RERUN.sub(lambda m: f"{m.group(1)}  {replay} WAVES=1", report, count=1)


def run_soak_job(seed: int, seconds: float | None = None, sim: str = "verilator", frames: int | None = None,
                 faults: bool = True, fault_names: list[str] | None = None, wire_rate: float | None = None) -> int:
    """Soak on ``sim`` with ``seed`` for ``seconds`` of wall time (None: 60), or until ``frames``
    frames, which makes the run exactly repeatable (given both, ``frames`` wins, and a line says so);
    ``fault_names``: the faults to pick from (None or empty: all); ``wire_rate``: chance per frame of
    a wire error, 0..1 (None: the soak's default). Returns a process exit status: 0 every check held,
    1 one failed, 130 stopped by Ctrl-C. Raises :class:`nicsim.runner.SimulatorMissing` if ``sim``
    cannot run here."""
    os.environ["SIM"] = sim
    env = {"SOAK_SEED": str(seed), "SOAK_SECONDS": str(seconds or DEFAULT_SECONDS), "SOAK_FRAMES": str(frames or ""),
           "SOAK_FAULTS": "1" if faults and os.environ.get("SOAK_FAULTS", "1") != "0" else "0",
           "SOAK_WIRE_RATE": "" if wire_rate is None else repr(wire_rate),
           "SOAK_FAULT_NAMES": ",".join(fault_names or ()), "COCOTB_RANDOM_SEED": str(seed),
           "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR",
           lifeline.PARENT_ENV: str(os.getpid())}  # the simulator ends with this process, however it ends
    if wire_rate is None:
        del env["SOAK_WIRE_RATE"]
    lifeline.die_with_make()  # `make soak` killed (timeout sends make alone a SIGTERM): so is this
    if frames:
        budget = f"{frames} frames" + (f" (FRAMES wins: SECONDS={seconds:g} ignored)" if seconds is not None else "")
    else:
        budget = f"{seconds or DEFAULT_SECONDS:g} s of wall time"
    print(f"soak: seed {seed}, {budget}, on {sim} (build first if needed)", flush=True)
    t0 = time.perf_counter()
    # Ctrl-C reaches the simulator too (the terminal's process group), which stops the soak itself;
    # this process waits for it instead of killing it with a KeyboardInterrupt
    interrupted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:
        run_cocotb("nicsim.soak", "nic_pair_tb", testcase="soak_job", extra_env=env, console=True)
    except CocotbTestFailed as e:
        saved = e.artifacts / "replay.txt"
        found = REPLAY.search(saved.read_text() if saved.is_file() else str(e))
        narrowing = (f"SOAK_FAULT_NAMES={shlex.quote(','.join(fault_names))} " if fault_names else "") + \
            (f"SOAK_WIRE_RATE={wire_rate:g} " if wire_rate is not None else "")
        budget = f"FRAMES={frames}" if frames else f"SECONDS={seconds or DEFAULT_SECONDS:g}"
        replay = found.group(1) if found else f"{narrowing}make soak SEED={seed} {budget} SIM={sim}"
        print(with_waves_replay(str(e), replay), file=sys.stderr)
        print(f"\nsoak seed {seed} FAILED after {time.perf_counter() - t0:.0f} s; replay it with:\n  {replay}",
              file=sys.stderr, flush=True)
        return 1
    except Exception:
        if not interrupted:
            raise
        # a second Ctrl-C (the simulator ended itself) or one during the build
        return _interrupted(seed, sim, t0)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        return _interrupted(seed, sim, t0)
    print(f"soak seed {seed}: passed ({time.perf_counter() - t0:.0f} s of wall time, build included)")
    return 0


def _interrupted(seed: int, sim: str, t0: float) -> int:
    """After Ctrl-C: the command that replays the frames the soak ran (its ``replay.txt``), status 130."""
    saved = artifact_dir(sim, "nicsim.soak", "soak_job", {}) / "replay.txt"
    found = REPLAY.search(saved.read_text()) if saved.is_file() else None
    took = f"{time.perf_counter() - t0:.0f} s"
    if found:
        print(f"soak seed {seed}: interrupted after {took}; replay the frames it ran with:\n  {found.group(1)}",
              flush=True)
    else:
        print(f"soak seed {seed}: interrupted after {took}, before its traffic began (nothing to replay)", flush=True)
    return 130
