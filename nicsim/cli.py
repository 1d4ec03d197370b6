"""The ``nicsim`` command: the project's main jobs without the Makefile.

    nicsim demo  [--sim icarus|verilator]
    nicsim shell [--sim icarus|verilator] [--bare | --tap]
    nicsim bench [--sim icarus|verilator]... [--count N] [--idle-seconds S] [--json PATH]
    nicsim soak  --seed N [--seconds S | --frames N] [--sim verilator|icarus] [--no-faults]
                 [--fault-names A,B] [--wire-rate P]   (more in SOAK_FAULT_TOUR, SOAK_PROGRESS, SOAK_FAULT_GAP)
    nicsim gen   [--check]
    nicsim tap   [--sim icarus|verilator] [--seconds S]
    nicsim coverage [--reports DIR] [--sim icarus|verilator]...
    nicsim --version

Exit status: 0 on success, 1 when a job fails, 2 on a usage error (a bad
option, or a variable of the environment the job reads: SOAK_*, WAVES,
COCOTB_RANDOM_SEED) or a simulator that cannot run here (the message says
what to install).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from nicdef import __version__


def _whole(low: int, high: int | None = None, name: str | None = None):
    """An argparse ``type``: a whole number in ``low..high`` (``high`` None: no upper bound).
    ``name`` (``"SEED"``): the messages name the option as make takes it
    (``SEED must be 0 or more, not -3``); without it, ``-5 is out of range 1..100000``."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, not {text!r}" if name
                                             else f"not a whole number: {text!r}") from None
        if n < low or (high is not None and n > high):
            raise argparse.ArgumentTypeError(f"{name} must be {low} or more, not {n}" if name and high is None
                                             else f"{n} is out of range {low}..{high}")
        return n
    return parse


def _seconds(text: str) -> float:
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.1 <= s <= 600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is out of range 0.1..600 seconds")
    return s


def _fault_names(text: str) -> list[str]:
    from nicsim.soak import fault_names

    try:
        return fault_names(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"SOAK_FAULT_NAMES or --fault-names: {e}") from None


def _wire_rate(text: str) -> float:
    from nicsim.soak import wire_rate

    try:
        return wire_rate(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"SOAK_WIRE_RATE or --wire-rate: {e}") from None


def _budget(text: str) -> float:
    try:
        s = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"SECONDS must be a number of seconds, not {text!r}") from None
    if not 0 < s <= 86_400:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"SECONDS must be more than 0 (and at most a day), not {text}")
    return s


def _json_path(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; name a file")
    # checked now, not after the bench's minutes, by writing: the file itself
    # if it exists, else a scratch file in the nearest folder that exists
    # (os.access says yes to root even where writing fails, as in /proc)
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{parent} is not a directory")
    where = text if path.exists() else f"in {parent}"
    try:
        if path.exists():
            path.open("a").close()
        else:
            tempfile.TemporaryFile(dir=parent).close()
    except OSError as e:
        raise argparse.ArgumentTypeError(f"cannot write {where}: {e.strerror}") from None
    return path


def _parser() -> argparse.ArgumentParser:
    from nicsim.bench import DEFAULT_COUNT, DEFAULT_IDLE_S
    from nicsim.runner import SIMULATORS
    from nicsim.soak import FAULTS, WIRE_RATE_MEANING

    p = argparse.ArgumentParser(prog="nicsim", description="io-pkt, devnp-nic and the RTL NIC in one live simulation")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="job", required=True, metavar="JOB")
    d = sub.add_parser("demo", help="two hosts ping each other through two RTL NICs; prints the shell transcript")
    d.add_argument("--sim", choices=SIMULATORS, default="icarus", help="simulator (default: icarus)")
    sh = sub.add_parser("shell", help="a console on each of the two simulated hosts, live: io-pkt's utilities and "
                                       "commands for the simulation (help lists them)")
    sh.add_argument("--sim", choices=SIMULATORS, default="icarus", help="simulator (default: icarus)")
    how = sh.add_mutually_exclusive_group()
    how.add_argument("--bare", action="store_true", help="start with no driver mounted and no address set")
    how.add_argument("--tap", action="store_true", help="host A alone, its cable bridged to a Linux TAP in a network "
                                                         "namespace (needs root and /dev/net/tun; see nicsim tap)")
    b = sub.add_parser("bench", help="simulation speed on each simulator: UDP floods, ping, idle cycles, "
                                      "a stock cocotbext-eth reference")
    b.add_argument("--sim", choices=SIMULATORS, action="append", help="simulator (repeatable; default: both)")
    b.add_argument("--count", type=_whole(1, 100_000), default=DEFAULT_COUNT,
                   help=f"datagrams in the 64-byte flood; the other measurements scale with it "
                        f"(default: {DEFAULT_COUNT})")
    b.add_argument("--idle-seconds", type=_seconds, default=DEFAULT_IDLE_S, metavar="S",
                   help=f"wall seconds per idle measurement, 0.1..600 (default: {DEFAULT_IDLE_S:g})")
    b.add_argument("--json", type=_json_path, help="also write the figures to this JSON file")
    t = sub.add_parser("tap", help="host A's io-pkt, driver and RTL NIC bridged to a Linux TAP in a network "
                                    "namespace: ping it from Linux until Ctrl-C (needs root and /dev/net/tun)")
    t.add_argument("--sim", choices=SIMULATORS, default="icarus", help="simulator (default: icarus)")
    t.add_argument("--seconds", type=_seconds, help="stop after this many wall seconds (default: at Ctrl-C)")
    s = sub.add_parser("soak", help="seeded random traffic both ways, wire errors and faults, every frame "
                                     "accounted for; prints progress, and the replay command on a failure",
                       epilog="the faults: " + ", ".join(FAULTS) + ". From the environment also: SOAK_FAULT_TOUR=1 "
                              "(each fault idle, mid-burst and stopping, then stop: FRAMES and SECONDS do not "
                              "apply), SOAK_PROGRESS=S (wall seconds between progress lines, 0: none; default 5), "
                              "SOAK_FAULTS=0 (as --no-faults), SOAK_FAULT_GAP=MIN,MAX (simulated ns between faults; "
                              "default 30000,300000), WAVES=1 (waveforms).")
    s.set_defaults(parser=s)  # main() reports the SOAK_* variables it checks as this command's usage errors
    s.add_argument("--seed", type=_whole(0, name="SEED"), required=True,
                   help="the seed of every random choice (0 or more)")
    s.add_argument("--seconds", type=_budget, help="wall-clock budget of the traffic (default: 60)")
    s.add_argument("--frames", type=_whole(1, name="FRAMES"),
                   help="stop after this many frames instead (an exact replay; --seconds is then ignored)")
    s.add_argument("--sim", choices=SIMULATORS, default="verilator", help="simulator (default: verilator)")
    s.add_argument("--no-faults", action="store_true", help="traffic and wire errors only")
    # a string default goes through the type too: a bad SOAK_* in the environment is a usage error, now
    s.add_argument("--fault-names", type=_fault_names, default=os.environ.get("SOAK_FAULT_NAMES", ""),
                   metavar="A,B", help="pick faults from these only (default: SOAK_FAULT_NAMES, else all; "
                                       "the names are listed below)")
    s.add_argument("--wire-rate", type=_wire_rate, default=os.environ.get("SOAK_WIRE_RATE") or None, metavar="P",
                   help=f"0..1: {WIRE_RATE_MEANING} (default: SOAK_WIRE_RATE, else 0.03)")
    g = sub.add_parser("gen", help="regenerate rtl/nic_defs.vh, docs/registers.md and include/nic_regs.h")
    g.add_argument("--check", action="store_true", help="only check that the generated files are current")
    c = sub.add_parser("coverage", help="merge the coverage the NICSIM_COVERAGE=1 runs left (functional bins, "
                                         "Verilator line/toggle of rtl/*.v), print the summary and the holes")
    c.add_argument("--reports", type=Path, help="the reports folder of those runs (default: the repository's reports/)")
    c.add_argument("--sim", choices=SIMULATORS, action="append", help="only this simulator's runs (repeatable; "
                                                                      "default: both)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.job == "gen":
        from nicdef import generate

        return generate.main(["--check"] if args.check else [])
    if args.job == "coverage":
        from nicsim import coverage_report

        return coverage_report.main([*(["--reports", str(args.reports)] if args.reports else []),
                                     *(a for sim in args.sim or () for a in ("--sim", sim))])
    from nicsim.runner import BadEnvironment, SimulatorMissing, check_environment

    try:
        check_environment()  # WAVES=2 and the like: a usage error now, not a traceback after the build
        if args.job == "demo":
            from nicsim.demo import run_demo

            return run_demo(args.sim)
        if args.job == "tap":
            from nicsim.tap import run_tap

            return run_tap(args.sim, args.seconds)
        if args.job == "shell":
            from nicsim.shell import run_shell

            if args.tap:
                from nicsim.tap import unavailable

                reason = unavailable()
                if reason:
                    print(f"nicsim shell --tap: {reason}", file=sys.stderr)
                    return 2
                return run_shell(args.sim, bench="tap", run_while_idle=True)
            return run_shell(args.sim, bare=args.bare)
        if args.job == "soak":
            from nicsim.soak_cmd import check_combination, env_settings, run_soak_job

            try:
                more = env_settings()
                faults = more["faults"] and not args.no_faults
                check_combination(faults, args.fault_names, more["fault_tour"], more["fault_gap"])
            except ValueError as e:
                args.parser.error(str(e))
            return run_soak_job(args.seed, args.seconds, args.sim, args.frames, faults, args.fault_names,
                                args.wire_rate, more["progress"], more["fault_tour"], more["fault_gap"])
        from nicsim.bench import run_bench

        return run_bench(tuple(args.sim or ("icarus", "verilator")), args.count, args.json, args.idle_seconds)
    except (SimulatorMissing, BadEnvironment) as e:
        print(f"nicsim {args.job}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
