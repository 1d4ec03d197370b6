"""The ``nicsim`` command: the project's main jobs without the Makefile.

    nicsim demo  [--sim icarus|verilator]
    nicsim bench [--sim icarus|verilator]... [--count N] [--json PATH]
    nicsim gen   [--check]
    nicsim --version

Exit status: 0 on success, 1 when a job fails, 2 on a usage error or a
simulator that cannot run here (the message says what to install).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nicdef import __version__


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"{n} is out of range 1..100000")
    return n


def _json_path(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; name a file")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{parent} is not a directory")
    return path


def _parser() -> argparse.ArgumentParser:
    from nicsim.runner import SIMULATORS

    p = argparse.ArgumentParser(prog="nicsim", description="io-pkt, devnp-nic and the RTL NIC in one live simulation")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="job", required=True, metavar="JOB")
    d = sub.add_parser("demo", help="two hosts ping each other through two RTL NICs; prints the shell transcript")
    d.add_argument("--sim", choices=SIMULATORS, default="icarus", help="simulator (default: icarus)")
    b = sub.add_parser("bench", help="simulation speed: a ping flood on each simulator, frames per wall second")
    b.add_argument("--sim", choices=SIMULATORS, action="append", help="simulator (repeatable; default: both)")
    b.add_argument("--count", type=_positive, default=200, help="pings per run (default: 200)")
    b.add_argument("--json", type=_json_path, help="also write the figures to this JSON file")
    g = sub.add_parser("gen", help="regenerate rtl/nic_defs.vh, docs/registers.md and include/nic_regs.h")
    g.add_argument("--check", action="store_true", help="only check that the generated files are current")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.job == "gen":
        from nicdef import generate

        return generate.main(["--check"] if args.check else [])
    from nicsim.runner import SimulatorMissing

    try:
        if args.job == "demo":
            from nicsim.demo import run_demo

            return run_demo(args.sim)
        from nicsim.bench import run_bench

        return run_bench(tuple(args.sim or ("icarus", "verilator")), args.count, args.json)
    except SimulatorMissing as e:
        print(f"nicsim {args.job}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
