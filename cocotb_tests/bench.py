"""``make bench``: how fast the live simulation runs, on each simulator.

Pings flood from host A to host B (the whole stack, both drivers, both RTL
NICs) and the figures printed are wall-clock rates: what a user waits for.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from runner import SIM_BUILD, run_cocotb  # noqa: E402

CLK_HZ = 125_000_000


def bench(sim: str, count: int, size: int) -> dict:
    os.environ["SIM"] = sim
    out = SIM_BUILD / f"bench-{sim}-{size}.json"
    out.unlink(missing_ok=True)
    run_cocotb("tb_two_hosts", "nic_pair_tb", testcase="bench_ping_flood",
               extra_env={"BENCH_RESULT": str(out), "BENCH_COUNT": str(count), "BENCH_SIZE": str(size),
                          "COCOTB_LOG_LEVEL": "WARNING"})
    return json.loads(out.read_text())


def main() -> int:
    count = int(os.environ.get("BENCH_COUNT", "200"))
    rows = []
    for sim in ("icarus", "verilator"):
        for size in (56, 1400):
            r = bench(sim, count, size)
            frames = 2 * r["count"]  # request and reply
            rows.append((sim, size, r["count"], r["wall_s"], r["sim_ns"] / 1e3, frames / r["wall_s"],
                         r["sim_ns"] * 1e-9 * CLK_HZ / r["wall_s"] / 1e3, r["rtt_us"][1]))
    print()
    print(f"{'simulator':<10} {'ping -s':>7} {'pings':>6} {'wall s':>8} {'sim us':>9} {'frames/s':>9} "
          f"{'kcycles/s':>10} {'rtt us*':>8}")
    for sim, size, n, wall, sim_us, fps, kcps, rtt in rows:
        print(f"{sim:<10} {size:>7} {n:>6} {wall:>8.2f} {sim_us:>9.1f} {fps:>9.1f} {kcps:>10.1f} {rtt:>8.3f}")
    print("frames/s and kcycles/s are per second of wall time (what a user waits for).")
    print("* average round trip under the flood: requests go out every 10 us, so large")
    print("  frames queue behind each other; an unloaded 1400-byte ping takes about 30 us.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
