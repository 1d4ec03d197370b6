"""``nicsim soak`` (``make soak``): one soak (``nicsim.soak``) on one simulator.

Runs the ``soak_job`` cocotb test of :mod:`nicsim.soak` on ``nic_pair_tb``
with its output on this terminal (and in ``sim.log``): a progress line every
few wall seconds (frames, faults fired, wire errors, each host's accounting so
far), then the summary and each host's accounting line. Each seed has its own
artifact folder (``reports/tests/<sim>/nicsim.soak.soak_job-seed<N>/``:
``sim.log``, ``events.log``, ``slog.txt``, ``diagnosis.txt``, the wire pcaps,
``soak-faults.txt``, ``replay.txt``), so soaks of different seeds run side by
side; a second soak of the same seed waits for the first (and says so). A
failure prints the failure report and, last, the command that replays it; the
report's rerun line is that command with ``WAVES=1``. Ctrl-C, SIGTERM (what
a CI timeout sends) or SIGHUP (the terminal closed), stops the traffic, and the
soak ends with its accounting so far and the command that replays the frames it
ran (status 130, 143 after SIGTERM, 129 after SIGHUP); one that comes after the
traffic ended lets the run finish as it was.

The simulation reads its settings from ``SOAK_*`` variables; this side passes
every one of them, validated (``soak_env``), so nothing in the inherited
environment reaches the simulation unchecked.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from nicsim import lifeline, proctable
from nicsim.runner import CocotbTestFailed, artifact_dir, run_cocotb
from nicsim.soak import (
    DEFAULT_FAULT_GAP_NS,
    LATE_SIGNAL,
    SoakConfig,
    fault_gap,
    progress_seconds,
    replay_env,
    signal_word,
    switch,
)

# the soak's own line (replay.txt, or the failure text): everything after "replay: " up to the line's end
REPLAY = re.compile(r"^replay: (.*make soak SEED=.*)$", re.MULTILINE)
# the runner's failure report: the line after "rerun with waves:" is the command (a generic one)
RERUN = re.compile(r"^(rerun with waves:\n)  .*$", re.MULTILINE)
DEFAULT_SECONDS = 60.0
# after SIGTERM, the wall seconds the simulation has to settle, recover and account before it is killed
SIGTERM_GRACE_S = 60.0
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def with_waves_replay(report: str, replay: str) -> str:
    """``report`` (the runner's failure report) with its "rerun with waves" command replaced by
    ``replay`` (``make soak SEED=... FRAMES=... SIM=...``, any ``SOAK_*`` prefix kept) plus ``WAVES=1``:
    the generic command would run the default soak, not this one."""
    return RERUN.sub(lambda m: f"{m.group(1)}  {replay} WAVES=1", report, count=1)


def env_settings(environ=os.environ) -> dict:
    """The ``SOAK_*`` settings ``nicsim soak`` has no option for, from ``environ``, validated:
    ``{"faults": bool, "fault_tour": bool, "progress": float | None, "fault_gap": (int, int) | None}``
    (unset or empty: True, False, None, None for the soak's default). ValueError naming the variable
    for a value the simulation would refuse or misread (``SOAK_FAULTS=no``: only 0 or 1)."""
    faults = environ.get("SOAK_FAULTS") or "1"
    tour = environ.get("SOAK_FAULT_TOUR") or "0"
    progress = environ.get("SOAK_PROGRESS") or None
    gap = environ.get("SOAK_FAULT_GAP") or None
    return {"faults": switch(faults, "SOAK_FAULTS"), "fault_tour": switch(tour, "SOAK_FAULT_TOUR"),
            "progress": None if progress is None else progress_seconds(progress),
            "fault_gap": None if gap is None else fault_gap(gap)}


def check_combination(faults: bool, names: list[str] | None, fault_tour: bool,
                      gap: tuple[int, int] | None = None) -> None:
    """ValueError for settings that contradict each other: fault names, the fault tour or a fault gap
    with the fault scheduler off (``SOAK_FAULTS=0`` / ``--no-faults``)."""
    if not faults and names:
        raise ValueError("SOAK_FAULTS=0 (or --no-faults) turns the faults off, yet SOAK_FAULT_NAMES (or "
                         "--fault-names) picks some: drop one of them")
    if not faults and fault_tour:
        raise ValueError("SOAK_FAULT_TOUR=1 tours the faults, yet SOAK_FAULTS=0 (or --no-faults) turns them off: "
                         "drop one of them")
    if not faults and gap is not None:
        raise ValueError("SOAK_FAULT_GAP spaces the faults, yet SOAK_FAULTS=0 (or --no-faults) turns them off: "
                         "drop one of them")


def soak_env(seed: int, seconds: float | None, frames: int | None, faults: bool, names: list[str] | None,
             rate: float | None, progress: float | None = None, fault_tour: bool = False,
             gap: tuple[int, int] | None = None) -> dict:
    """Every ``SOAK_*`` variable the simulation reads (``soak.DEFAULTS``), each set, as strings:
    empty for the soak's default, so a value inherited from the environment never reaches it."""
    return {"SOAK_SEED": str(seed), "SOAK_SECONDS": repr(float(seconds or DEFAULT_SECONDS)),
            "SOAK_FRAMES": str(frames or ""), "SOAK_FAULTS": "1" if faults else "0",
            "SOAK_WIRE_RATE": "" if rate is None else repr(rate),
            "SOAK_FAULT_NAMES": ",".join(names or ()),
            "SOAK_PROGRESS": "" if progress is None else repr(progress),
            "SOAK_FAULT_TOUR": "1" if fault_tour else "0",
            "SOAK_FAULT_GAP": "" if gap is None else f"{gap[0]},{gap[1]}"}


def replay_prefix(faults: bool, names: list[str] | None, rate: float | None, fault_tour: bool,
                  gap: tuple[int, int] | None = None) -> str:
    """The ``SOAK_*=...`` words before ``make soak`` that make a replay run as this one did
    (``soak.replay_env``, which the simulation's own ``Soak.replay`` writes too)."""
    cfg = SoakConfig(seed=0, faults=faults, fault_names=list(names or ()), fault_tour=fault_tour,
                     fault_gap_ns=gap or DEFAULT_FAULT_GAP_NS)
    if rate is not None:
        cfg.wire_error_rate = rate
    return replay_env(cfg)


def _signal_children(sig: int) -> None:
    for pid in proctable.children(os.getpid()):  # the simulator, or a build's compiler while it builds
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def run_soak_job(seed: int, seconds: float | None = None, sim: str = "verilator", frames: int | None = None,
                 faults: bool = True, fault_names: list[str] | None = None, wire_rate: float | None = None,
                 progress: float | None = None, fault_tour: bool = False,
                 fault_gap: tuple[int, int] | None = None) -> int:
    """Soak on ``sim`` with ``seed`` for ``seconds`` of wall time (None: 60), or until ``frames``
    frames, which makes the run exactly repeatable (given both, ``frames`` wins, and a line says so);
    ``fault_names``: the faults to pick from (None or empty: all); ``wire_rate``: chance of arming a
    wire error after each frame, 0..1 (None: the soak's default); ``progress``: wall seconds between
    progress lines (None: 5; 0: none); ``fault_tour``: each fault in each driver state, then stop
    (the frame and wall budgets do not apply); ``fault_gap``: (min, max) simulated ns between faults
    (None: the soak's default). Returns a process exit status: 0 every check held (a signal that came
    after the traffic ended changes nothing), 1 one failed, 130 stopped by Ctrl-C, 143 by SIGTERM,
    129 by SIGHUP. Raises :class:`nicsim.runner.SimulatorMissing`
    if ``sim`` cannot run here, ValueError for contradicting settings (``check_combination``) and
    :class:`nicsim.runner.BadEnvironment` for a bad ``WAVES``."""
    check_combination(faults, fault_names, fault_tour, fault_gap)
    os.environ["SIM"] = sim
    env = {**soak_env(seed, seconds, frames, faults, fault_names, wire_rate, progress, fault_tour, fault_gap),
           "COCOTB_RANDOM_SEED": str(seed), "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR",
           lifeline.PARENT_ENV: str(os.getpid())}  # the simulator ends with this process, however it ends
    lifeline.die_with_make()  # `make soak` killed (timeout sends make alone a SIGTERM): so is this
    if fault_tour:
        ignored = (f"; FRAMES={frames} ignored" if frames else "") + \
            (f"; SECONDS={seconds:g} ignored" if seconds else "")
        budget = f"the fault tour (it ends the traffic{ignored})"
    elif frames:
        budget = f"{frames} frames" + (f" (FRAMES wins: SECONDS={seconds:g} ignored)" if seconds is not None else "")
    else:
        budget = f"{seconds or DEFAULT_SECONDS:g} s of wall time"
    print(f"soak: seed {seed}, {budget}, on {sim} (build first if needed)", flush=True)
    t0 = time.perf_counter()
    # Ctrl-C reaches the simulator too (the terminal's process group), which stops the soak itself;
    # this process waits for it instead of killing it with a KeyboardInterrupt. SIGTERM reaches this
    # process alone (a CI timeout, make's lifeline): it is passed on to the simulator, which treats it
    # as Ctrl-C, and the simulator is killed if it has not ended within SIGTERM_GRACE_S. SIGHUP (the
    # terminal closed: it reaches the whole process group, or this process alone) is handled as SIGTERM.
    interrupted: list[int] = []
    killer = threading.Timer(SIGTERM_GRACE_S, _signal_children, (signal.SIGKILL,))
    killer.daemon = True
    suffix = f"-seed{seed}"
    folder = _folder(sim, suffix)

    def on_sigterm(signum, frame) -> None:
        first = not interrupted
        interrupted.append(signum)
        _signal_children(signum)
        if first:
            if (folder / "sim.log").is_file():  # the simulation has started (else the build is running)
                print(f"soak seed {seed}: {signal_word(signum)}: the traffic stops (if it still runs), then the "
                      f"accounting (at most {SIGTERM_GRACE_S:g} s more)", flush=True)
            killer.start()

    previous = {signal.SIGINT: signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum)),
                signal.SIGTERM: signal.signal(signal.SIGTERM, on_sigterm),
                signal.SIGHUP: signal.signal(signal.SIGHUP, on_sigterm)}
    try:
        run_cocotb("nicsim.soak", "nic_pair_tb", testcase="soak_job", extra_env=env, console=True,
                   folder_suffix=suffix)
    except CocotbTestFailed as e:
        saved = e.artifacts / "replay.txt"
        found = REPLAY.search(saved.read_text() if saved.is_file() else str(e))
        budget = "" if fault_tour else f" FRAMES={frames}" if frames else f" SECONDS={seconds or DEFAULT_SECONDS:g}"
        replay = found.group(1) if found else \
            f"{replay_prefix(faults, fault_names, wire_rate, fault_tour, fault_gap)}make soak SEED={seed}{budget} " \
            f"SIM={sim}"
        print(with_waves_replay(str(e), replay), file=sys.stderr)
        print(f"\nsoak seed {seed} FAILED after {time.perf_counter() - t0:.0f} s; replay it with:\n  {replay}",
              file=sys.stderr, flush=True)
        return 1
    except Exception:
        if not interrupted:
            raise
        # a second Ctrl-C (the simulator ended itself), a SIGTERM'd simulator killed, or one during the build
        return _interrupted(seed, sim, t0, interrupted[0], suffix)
    finally:
        killer.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log = folder / "sim.log"
    if interrupted and not (log.is_file() and LATE_SIGNAL in log.read_text(errors="replace")):
        return _interrupted(seed, sim, t0, interrupted[0], suffix)
    if interrupted:  # it came after the traffic had ended: the simulation finished the run as it was
        print(f"soak seed {seed}: {signal_word(interrupted[0])} came after the traffic ended; the run finished")
    print(f"soak seed {seed}: passed ({time.perf_counter() - t0:.0f} s of wall time, build included)")
    return 0


def _folder(sim: str, suffix: str) -> Path:
    """The soak's artifact folder (``reports/tests/<sim>/nicsim.soak.soak_job-seed<N>``)."""
    return artifact_dir(sim, "nicsim.soak", "soak_job", {}).parent / f"nicsim.soak.soak_job{suffix}"


def _interrupted(seed: int, sim: str, t0: float, signum: int, suffix: str) -> int:
    """After Ctrl-C, SIGTERM or SIGHUP: the command that replays the frames the soak ran (its
    ``replay.txt``); status 130 (Ctrl-C), 143 (SIGTERM) or 129 (SIGHUP)."""
    saved = _folder(sim, suffix) / "replay.txt"
    found = REPLAY.search(saved.read_text()) if saved.is_file() else None
    took = f"{time.perf_counter() - t0:.0f} s"
    how = signal_word(signum)
    if found:
        print(f"soak seed {seed}: interrupted by {how} after {took}; replay the frames it ran with:\n  "
              f"{found.group(1)}", flush=True)
    else:
        print(f"soak seed {seed}: interrupted by {how} after {took}, before its traffic began (nothing to replay)",
              flush=True)
    return EXIT.get(signum, 130)
