"""``nicsim bench`` (``make bench``): how fast the live simulation runs, on each simulator.

Pings flood from host A to host B (the whole stack, both drivers, both RTL
NICs) and the figures printed are wall-clock rates: what a user waits for.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from nicsim.runner import SIM_BUILD, SIMULATORS, run_cocotb

CLK_HZ = 125_000_000
SIZES = (56, 1400)


def bench(sim: str, count: int, size: int) -> dict:
    """One flood of ``count`` pings of ``size`` payload bytes on ``sim``.

    Returns the job's figures: ``count``, ``size``, ``wall_s`` (seconds of wall
    time), ``sim_ns`` (simulated nanoseconds), ``rtt_us`` (min, avg, max).
    """
    os.environ["SIM"] = sim
    out = SIM_BUILD / f"bench-{sim}-{size}.json"
    out.unlink(missing_ok=True)
    run_cocotb("nicsim.jobs", "nic_pair_tb", testcase="bench_ping_flood",
               extra_env={"BENCH_RESULT": str(out), "BENCH_COUNT": str(count), "BENCH_SIZE": str(size),
                          "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR"})
    return json.loads(out.read_text())


def run_bench(sims: tuple[str, ...] = SIMULATORS, count: int = 200, json_path: Path | None = None) -> int:
    """Run the flood on each simulator at each size, print a table, and write
    the rows as JSON to ``json_path`` if given (CI keeps it as an artifact).
    Returns a process exit status."""
    rows = []
    for sim in sims:
        for size in SIZES:
            r = bench(sim, count, size)
            frames = 2 * r["count"]  # request and reply
            rows.append({"simulator": sim, "ping_size": size, "pings": r["count"], "wall_s": r["wall_s"],
                         "sim_us": r["sim_ns"] / 1e3, "frames_per_s": frames / r["wall_s"],
                         "kcycles_per_s": r["sim_ns"] * 1e-9 * CLK_HZ / r["wall_s"] / 1e3,
                         "rtt_avg_us": r["rtt_us"][1]})
    print()
    print(f"{'simulator':<10} {'ping -s':>7} {'pings':>6} {'wall s':>8} {'sim us':>9} {'frames/s':>9} "
          f"{'kcycles/s':>10} {'rtt us*':>8}")
    for r in rows:
        print(f"{r['simulator']:<10} {r['ping_size']:>7} {r['pings']:>6} {r['wall_s']:>8.2f} {r['sim_us']:>9.1f} "
              f"{r['frames_per_s']:>9.1f} {r['kcycles_per_s']:>10.1f} {r['rtt_avg_us']:>8.3f}")
    print("frames/s and kcycles/s are per second of wall time (what a user waits for).")
    print("* average round trip under the flood: requests go out every 10 us, so large")
    print("  frames queue behind each other; an unloaded 1400-byte ping takes about 30 us.")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"figures written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(run_bench(count=int(os.environ.get("BENCH_COUNT", "200"))))
