"""``nicsim bench`` (``make bench``): what a user needs to judge simulation
speed, on each simulator.

Per simulator, in one run:

1. UDP floods from host A to host B through the whole path (stack, driver,
   NIC, cable, NIC, driver, stack) with 64, 512 and 1518-byte frames:
   frames per wall second; share of the 1 Gb/s line rate reached in
   simulated time; register accesses and interrupts per frame. Every
   datagram is checked at the receiver (``udp_flow.run_flows``: sequence
   number, bytes, order); one lost, refused or damaged fails the bench.
2. Floods both ways at once (64-byte frames): frames per wall second.
3. ``ping -s 56`` one at a time, unloaded: round trip in simulated
   microseconds, wall time per ping.
4. ``nic_pair_tb`` idle (nothing happening, time passing), in clock cycles
   per wall second: under cocotb with the NICs out of reset (no driver),
   under cocotb with both interfaces up, and as a plain build with no cocotb
   at all (``runner.build_plain``: vvp; a Verilator C++ main), and the ratio
   of plain to cocotb.
5. The simulator's own limit for this RTL: the plain build under a
   full-duplex flood driven from HDL (no cocotb, no Python;
   :func:`plain_flood`) at each flood size, in clock cycles per wall second
   and frames per second each way; each cocotb flood's simulated cycles per
   wall second as a share of it at the same size ("vs limit": like for like
   for the two-way flood, which carries the same traffic).
6. A stock reference: cocotbext-eth's ``GmiiSource`` into ``GmiiSink``
   through one register (``gmii_loopback_tb``) at 64 and 1518 bytes, and
   each flood's frame rate as a ratio to it at the same size.

The cocotb side is :mod:`nicsim.jobs` (``bench_pair``,
``bench_gmii_reference``). Speed is only reported, never judged: the bench
fails (exit status 1) only when a measurement does, e.g. a datagram lost.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from xml.etree import ElementTree

from nicdef import __version__
from nicsim import dma_checker
from nicsim.runner import SIM_BUILD, SIMULATORS, CocotbTestFailed, build_plain, check_simulator, run_cocotb

CLK_NS = 8  # 125 MHz: one GMII byte per clock
LINE_BPS = 1_000_000_000
FLOOD_SIZES = (64, 512, 1518)
BOTH_WAYS_SIZE = 64
REFERENCE_SIZES = (64, 1518)
DEFAULT_COUNT = 1024
DEFAULT_IDLE_S = 2.0


class BenchFailed(Exception):
    """A measurement failed (a datagram lost or damaged, a job that did not
    finish); the message says which and why."""


def line_rate(frame_bytes: int) -> float:
    """Frames per second of a 1 Gb/s line at ``frame_bytes`` (FCS included):
    each frame also takes 8 bytes of preamble and 12 of inter-frame gap."""
    return LINE_BPS / 8 / (frame_bytes + 20)


def make_plan(count: int = DEFAULT_COUNT, idle_s: float = DEFAULT_IDLE_S) -> dict:
    """What each job measures for ``--count count``: ``count`` datagrams in
    the 64-byte flood, half that at 512 and 1518 bytes and each way of the
    two-way flood, a sixteenth as many pings, twice as many reference
    frames at 64 bytes and a quarter at 1518 (never fewer than one)."""
    half = max(1, count // 2)
    smallest = min(FLOOD_SIZES)
    return {"idle_s": idle_s, "pings": max(1, count // 16),
            "floods": [[size, count if size == smallest else half] for size in FLOOD_SIZES],
            "both_ways": [[BOTH_WAYS_SIZE, half]],
            "reference": [[size, 2 * count if size == smallest else max(1, count // 4)] for size in REFERENCE_SIZES]}


class Clock:
    """Elapsed time since the bench began, on every progress line."""

    def __init__(self, t0: float | None = None):
        self.t0 = time.time() if t0 is None else t0

    def say(self, sim: str, text: str) -> None:
        print(f"[{time.time() - self.t0:7.1f} s] {sim:<9} {text}", flush=True)


def run_job(sim: str, testcase: str, toplevel: str, plan: dict, clock: Clock | None = None) -> dict:
    """Run one cocotb job of :mod:`nicsim.jobs` on ``sim`` with ``plan``;
    returns its figures. BenchFailed with the job's own message when it fails."""
    clock = clock or Clock()
    os.environ["SIM"] = sim
    SIM_BUILD.mkdir(exist_ok=True)
    out = SIM_BUILD / f"bench-{sim}-{testcase}-{os.getpid()}.json"  # one per process: benches may overlap
    out.unlink(missing_ok=True)
    clock.say(sim, f"{testcase} on {toplevel} (built first if needed) ...")
    try:
        run_cocotb("nicsim.jobs", toplevel, testcase=testcase, console=True,
                   extra_env={"BENCH_RESULT": str(out), "BENCH_PLAN": json.dumps({**plan, "t0": clock.t0, "sim": sim}),
                              "COCOTB_LOG_LEVEL": "WARNING", "GPI_LOG_LEVEL": "ERROR"})
    except CocotbTestFailed as e:
        failed = e  # what the job wrote says the rest, if it wrote anything
    else:
        failed = None
    if not out.exists():
        raise BenchFailed(f"{sim}: {testcase} did not run:\n{failed}" if failed else f"{sim}: {testcase} did not run")
    result = json.loads(out.read_text())
    out.unlink()
    if "error" in result:
        raise BenchFailed(f"{sim}: {result['error']}")
    if not result.get("done"):
        why = failure_message(result.get("results_xml"))
        raise BenchFailed(f"{sim}: {testcase} stopped before its end: "
                          + (why or "see the simulator's output above"))
    return result


def failure_message(results_xml: str | None) -> str | None:
    """The message of the first failure (or error) in a cocotb results
    file, without the explanation cocotb's assertion rewriting appends; None
    when there is no such file or failure."""
    if not results_xml:
        return None
    try:
        root = ElementTree.parse(results_xml).getroot()
    except (OSError, ElementTree.ParseError):
        return None
    for tag in ("failure", "error"):
        found = root.find(f".//{tag}")
        if found is not None and found.get("message"):
            return found.get("message").split("\nassert ")[0]
    return None


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _plain_run(sim: str, cmd: list[str], cycles: int, startup_s: float,
               args: tuple[str, ...] = ()) -> tuple[int, float, float, dict[str, int]]:
    """One run of a plain build (``runner.build_plain``) for ``+cycles=cycles``
    with ``args`` added: (clocks after the reset, wall seconds, CPU seconds,
    the figures of the top's ``plain: key=value ...`` line). Verilator's C++
    main times its own clock loop and prints ``<cycles> <seconds>`` last;
    Icarus is timed from outside, less ``startup_s`` (vvp's start-up), and
    its clocks are the ``plain:`` line's ``cycles``. BenchFailed if the run
    fails (the top ``$fatal``s when a flood falls short)."""
    t, cpu = time.perf_counter(), _children_cpu_s()
    done = subprocess.run([*cmd, f"+cycles={cycles}", *args], capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t, _children_cpu_s() - cpu
    if done.returncode != 0:
        said = "\n".join((done.stdout.strip() + "\n" + done.stderr.strip()).strip().splitlines()[-6:])
        raise BenchFailed(f"{sim}: the plain build failed (exit status {done.returncode}): {said}")
    figures = {}
    for line in done.stdout.splitlines():
        if line.startswith("plain:"):
            figures = {k: int(v) for k, v in (field.split("=", 1) for field in line.split()[1:])}
    if sim == "verilator":
        n, seconds = done.stdout.split()[-2:]
        return int(n), float(seconds), min(cpu, float(seconds)), figures
    return figures.get("cycles", cycles), max(wall - startup_s, 1e-6), max(cpu - startup_s, 1e-6), figures


def _plain_measure(sim: str, cmd: list[str], seconds: float,
                   args: tuple[str, ...] = ()) -> tuple[int, float, float, dict[str, int], float]:
    """Runs of a plain build of growing length until one lasts at least half
    of ``seconds``: that run's (cycles, wall s, CPU s, figures) and vvp's
    start-up time (a run of one idle clock; 0 for Verilator)."""
    startup = _plain_run(sim, cmd, 1, 0.0)[1] if sim == "icarus" else 0.0
    cycles = 10_000
    while True:
        n, wall, cpu, figures = _plain_run(sim, cmd, cycles, startup, args)
        if wall >= seconds / 2 or cycles >= 10**10:
            return n, wall, cpu, figures, startup
        cycles = int(cycles * min(100.0, max(2.0, seconds / wall)))


_plain_cmds: dict[str, list[str]] = {}  # per simulator: the plain build's command, once built this run


def _plain_build(sim: str, clock: Clock) -> list[str]:
    if sim not in _plain_cmds:
        clock.say(sim, "plain build of nic_pair_tb, no cocotb (built first if needed) ...")
        try:
            _plain_cmds[sim] = build_plain("nic_pair_tb", sim)
        except RuntimeError as e:
            raise BenchFailed(f"{sim}: {e}") from None
    return _plain_cmds[sim]


def plain_idle(sim: str, seconds: float, clock: Clock | None = None) -> dict:
    """Idle clock cycles per wall second of a plain build of ``nic_pair_tb``
    (no cocotb): runs of growing length until one lasts at least half of
    ``seconds``. Icarus is timed from outside, less a run of one clock
    (vvp's start-up)."""
    clock = clock or Clock()
    cmd = _plain_build(sim, clock)
    n, wall, cpu, _, startup = _plain_measure(sim, cmd, seconds)
    clock.say(sim, f"plain nic_pair_tb idle: {n / wall:,.0f} cycles/s")
    return {"cycles": n, **_times(wall, cpu), "cycles_per_s": n / wall, "cycles_per_cpu_s": n / cpu,
            "startup_s": startup}


def plain_flood(sim: str, frame_bytes: int, seconds: float, clock: Clock | None = None) -> dict:
    """The simulator's own limit for ``nic_pair_tb`` under traffic: a plain
    build (no cocotb, no Python; ``rtl/tb/nic_pair_plain_tb.v``,
    ``+flood=frame_bytes``) in which HDL drivers program both NICs through
    their register masters and keep a full-duplex flood of
    ``frame_bytes``-byte frames (FCS included) running, A -> B and B -> A at
    once, back to back, through the NICs' DMA, descriptor rings (kept full
    by polling HEAD and writing TAIL), MACs, PHYs and the cable. Runs of
    growing length until one lasts at least half of ``seconds``; the top
    itself fails the run unless both NICs received near line rate.

    Returns, for that run: ``cycles`` (clocks after the reset: programming,
    link-up and the statistics reads at the end included) and its wall and
    CPU seconds (Icarus: less vvp's start-up, ``startup_s``);
    ``cycles_per_s``; per direction (``a_to_b``: received by NIC B, its
    ``STAT_RX_FRAMES``; ``b_to_a``: by NIC A) the frames, ``frames_per_s_*``
    (per wall second) and ``line_share_*`` (frames per second of simulated
    time while both NICs were enabled, ``flood_cycles`` clocks of 8 ns, over
    a 1 Gb/s line's, :func:`line_rate`); ``frames_per_s`` (both directions
    together) and ``rx_missed_a``/``rx_missed_b`` (``STAT_RX_MISSED``).
    BenchFailed if the build or a run fails."""
    clock = clock or Clock()
    cmd = _plain_build(sim, clock)
    n, wall, cpu, f, startup = _plain_measure(sim, cmd, seconds, (f"+flood={frame_bytes}",))
    if "flood_cycles" not in f:
        raise BenchFailed(f"{sim}: the plain build printed no flood figures (plain: ... flood_cycles=...)")
    flood_s = f["flood_cycles"] * CLK_NS * 1e-9
    ways = {"a_to_b": f["rx_frames_b"], "b_to_a": f["rx_frames_a"]}
    result = {"frame_bytes": frame_bytes, "cycles": n, "flood_cycles": f["flood_cycles"], **_times(wall, cpu),
              "cycles_per_s": n / wall, "cycles_per_cpu_s": n / cpu, "startup_s": startup,
              "frames_per_s": sum(ways.values()) / wall,
              "rx_missed_a": f["rx_missed_a"], "rx_missed_b": f["rx_missed_b"]}
    for way, frames in ways.items():
        result[f"frames_{way}"] = frames
        result[f"frames_per_s_{way}"] = frames / wall
        result[f"line_share_{way}"] = frames / flood_s / line_rate(frame_bytes)
    clock.say(sim, f"plain nic_pair_tb, {frame_bytes}-byte flood both ways: {n / wall:,.0f} cycles/s, "
                   f"{result['frames_per_s_a_to_b']:,.0f} + {result['frames_per_s_b_to_a']:,.0f} frames/s, "
                   f"line share {result['line_share_a_to_b']:.1%} / {result['line_share_b_to_a']:.1%}")
    return result


def _times(wall_s: float, cpu_s: float) -> dict:
    """Wall and CPU seconds of a measurement, and the share of the wall time
    it had a CPU for (well under 1: something else on the machine slowed it)."""
    return {"wall_s": wall_s, "cpu_s": cpu_s, "cpu_share": cpu_s / wall_s if wall_s > 0 else 1.0}


def summarize(pair: dict, reference: dict, plain: dict | None = None, limits: list[dict] | None = None) -> dict:
    """One simulator's figures, from what its jobs measured (``plain``: the
    plain build's idle run; ``limits``: its :func:`plain_flood` runs; each
    left out of the figures when None)."""
    ref_fps = {r["frame_bytes"]: r["frames"] / r["wall_s"] for r in reference["sizes"]}
    limit_cps = {r["frame_bytes"]: r["cycles_per_s"] for r in limits or []}
    floods = []
    for r in pair["floods"]:
        frames, ways, size = r["datagrams"], r["directions"], r["frame_bytes"]
        sim_fps = frames / (r["sim_ns"] * 1e-9)
        fps = frames / r["wall_s"]
        cps = r["sim_ns"] / CLK_NS / r["wall_s"]
        floods.append({
            "direction": "A->B" if ways == 1 else "both ways", "directions": ways, "frame_bytes": size,
            "frames": frames, **_times(r["wall_s"], r["cpu_s"]), "sim_us": r["sim_ns"] / 1e3,
            "frames_per_s": fps, "frames_per_cpu_s": frames / max(r["cpu_s"], 1e-9),
            "sim_frames_per_s": sim_fps, "line_rate_frames_per_s": line_rate(size) * ways,
            "line_share": sim_fps / (line_rate(size) * ways),
            "reg_accesses_per_frame": (r["reg_reads"] + r["reg_writes"]) / frames,
            "reg_reads_per_frame": r["reg_reads"] / frames, "reg_writes_per_frame": r["reg_writes"] / frames,
            "isr_entries_per_frame": r["isr_entries"] / frames, "irq_rises_per_frame": r["irq_rises"] / frames,
            "ifnet": r["ifnet"],
            "reference_frames_per_s": ref_fps.get(size),
            "vs_reference": fps / ref_fps[size] if size in ref_fps else None,
            "sim_cycles_per_s": cps, "limit_cycles_per_s": limit_cps.get(size),
            "vs_limit": cps / limit_cps[size] if size in limit_cps else None,
        })
    p = pair["ping"]
    rtt_us = [t / 1e3 for t in p["rtt_ns"]]
    idle = {}
    for key, name in (("idle_reset", "cocotb_reset"), ("idle_up", "cocotb_up")):
        i = pair[key]
        idle[name] = {"cycles": i["sim_ns"] // CLK_NS, **_times(i["wall_s"], i["cpu_s"]),
                      "cycles_per_s": i["sim_ns"] / CLK_NS / i["wall_s"],
                      "cycles_per_cpu_s": i["sim_ns"] / CLK_NS / max(i["cpu_s"], 1e-9),
                      "reg_accesses": i["reg_reads"] + i["reg_writes"], "isr_entries": i["isr_entries"]}
    return {
        "floods": floods,
        "ping": {"size": p["size"], "pings": p["pings"], **_times(p["wall_s"], p["cpu_s"]),
                 "rtt_us_min": min(rtt_us), "rtt_us_avg": sum(rtt_us) / len(rtt_us), "rtt_us_max": max(rtt_us),
                 "wall_ms_per_ping": p["wall_s"] / p["pings"] * 1e3},
        "idle": {**idle, **({"plain": plain,
                             "plain_vs_cocotb": plain["cycles_per_s"] / idle["cocotb_reset"]["cycles_per_s"]}
                            if plain else {})},
        "limit": limits or [],
        "reference": [{"frame_bytes": r["frame_bytes"], "frames": r["frames"], **_times(r["wall_s"], r["cpu_s"]),
                       "sim_us": r["sim_ns"] / 1e3, "frames_per_s": r["frames"] / r["wall_s"]}
                      for r in reference["sizes"]],
    }


def cpu_shares(results: dict[str, dict]) -> dict[str, float]:
    """Each measurement's CPU share (CPU seconds over wall seconds), by name."""
    out = {}
    for sim, r in results.items():
        named = [(f"flood {f['direction']} {f['frame_bytes']} B", f) for f in r["floods"]]
        named += [("ping", r["ping"]), ("idle cocotb, reset", r["idle"]["cocotb_reset"]),
                  ("idle cocotb, up", r["idle"]["cocotb_up"])]
        named += [("idle plain", r["idle"]["plain"])] if "plain" in r["idle"] else []
        named += [(f"limit {f['frame_bytes']} B", f) for f in r.get("limit", [])]
        named += [(f"reference {f['frame_bytes']} B", f) for f in r["reference"]]
        out.update({f"{sim} {name}": m["cpu_share"] for name, m in named})
    return out


def busy_note(results: dict[str, dict], below: float = 0.8) -> str | None:
    """A line naming the measurements that had a CPU for less than
    ``below`` of their wall time (another job on the machine slowed them),
    or None when there are none."""
    shares = cpu_shares(results)
    busy = {name: share for name, share in shares.items() if share < below}
    if not busy:
        return None
    if len(busy) == len(shares):
        lo, hi = min(busy.values()), max(busy.values())
        return (f"note: the machine was busy: every measurement had a CPU for only {lo:.0%} to {hi:.0%} of "
                "its wall time, so the rates above are roughly that share of what an idle machine gives")
    return (f"note: the machine was busy; these had a CPU for under {below:.0%} of their wall time: "
            + ", ".join(f"{name} ({share:.0%})" for name, share in busy.items()))


def measure(sim: str, plan: dict, clock: Clock | None = None) -> dict:
    """Every figure of one simulator (BenchFailed if a measurement fails)."""
    clock = clock or Clock()
    pair = run_job(sim, "bench_pair", "nic_pair_tb", plan, clock)
    reference = run_job(sim, "bench_gmii_reference", "gmii_loopback_tb", plan, clock)
    plain = plain_idle(sim, plan["idle_s"], clock)
    limits = [plain_flood(sim, size, plan["idle_s"], clock) for size in FLOOD_SIZES]
    return summarize(pair, reference, plain, limits)


def _ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def print_tables(results: dict[str, dict]) -> None:
    print()
    print("UDP floods: stack -> driver -> NIC -> cable -> NIC -> driver -> stack, every datagram checked")
    print(f"{'simulator':<10} {'direction':<10} {'frame B':>7} {'frames':>6} {'wall s':>7} {'frames/s':>9} "
          f"{'vs ref':>7} {'line share':>10} {'regs/frame':>10} {'irqs/frame':>10} {'cycles/s':>9} {'vs limit':>8}")
    for sim, r in results.items():
        for f in r["floods"]:
            vs_limit = "-" if f.get("vs_limit") is None else f"{f['vs_limit']:.0%}"
            print(f"{sim:<10} {f['direction']:<10} {f['frame_bytes']:>7} {f['frames']:>6} {f['wall_s']:>7.2f} "
                  f"{f['frames_per_s']:>9.1f} {_ratio(f['vs_reference']):>7} {f['line_share']:>10.1%} "
                  f"{f['reg_accesses_per_frame']:>10.2f} {f['isr_entries_per_frame']:>10.2f} "
                  f"{f['sim_cycles_per_s']:>9,.0f} {vs_limit:>8}")
    print()
    print("ping -s 56, one at a time, nothing else running")
    print(f"{'simulator':<10} {'pings':>6} {'rtt us (sim)':>12} {'wall ms/ping':>12}")
    for sim, r in results.items():
        p = r["ping"]
        print(f"{sim:<10} {p['pings']:>6} {p['rtt_us_avg']:>12.2f} {p['wall_ms_per_ping']:>12.1f}")
    print()
    print("nic_pair_tb idle (nothing happening), clock cycles per wall second")
    print(f"{'simulator':<10} {'cocotb, reset':>14} {'cocotb, up':>11} {'plain':>11} {'plain/cocotb':>12}")
    for sim, r in results.items():
        i = r["idle"]
        print(f"{sim:<10} {i['cocotb_reset']['cycles_per_s']:>14,.0f} {i['cocotb_up']['cycles_per_s']:>11,.0f} "
              f"{i['plain']['cycles_per_s']:>11,.0f} {_ratio(i['plain_vs_cocotb']):>12}")
    if any(r.get("limit") for r in results.values()):
        print()
        print("limit: plain nic_pair_tb (no cocotb), full-duplex flood driven from HDL, both NICs' rings kept full")
        print(f"{'simulator':<10} {'frame B':>7} {'cycles/s':>10} {'frames/s each way':>18} {'line share':>10}")
        for sim, r in results.items():
            for f in r.get("limit", []):
                each = (f["frames_per_s_a_to_b"] + f["frames_per_s_b_to_a"]) / 2
                share = min(f["line_share_a_to_b"], f["line_share_b_to_a"])
                print(f"{sim:<10} {f['frame_bytes']:>7} {f['cycles_per_s']:>10,.0f} {each:>18,.1f} {share:>10.1%}")
    print()
    print("reference: cocotbext-eth GmiiSource -> one register -> GmiiSink")
    print(f"{'simulator':<10} {'frame B':>7} {'frames':>6} {'wall s':>7} {'frames/s':>9}")
    for sim, r in results.items():
        for f in r["reference"]:
            print(f"{sim:<10} {f['frame_bytes']:>7} {f['frames']:>6} {f['wall_s']:>7.2f} {f['frames_per_s']:>9.1f}")
    print()
    print("frames/s: per second of wall time (what a user waits for); vs ref: that rate over the reference's")
    print("at the same frame size; line share: frames per second of simulated time over a 1 Gb/s line's")
    print("(both ways: over two lines'); regs/frame: register reads and writes of both hosts; irqs/frame:")
    print("ISR entries of both hosts; cycles/s: simulated clock cycles per wall second during the flood;")
    print("vs limit: that over the limit's at the same frame size (the limit carries both directions, as")
    print("the both-ways flood does); cocotb, reset: NICs out of reset, no driver; cocotb, up: both")
    print("interfaces up; plain: the same top with no cocotb (vvp; a Verilator C++ main).")
    note = busy_note(results)
    if note:
        print(textwrap.fill(note, width=100))


def _environment() -> dict:
    import cocotb

    env = {"nicsim": __version__, "python": platform.python_version(), "cocotb": cocotb.__version__,
           "machine": platform.machine(), "cpus": os.cpu_count(), "dma_checker": dma_checker.enabled_by_default()}
    if hasattr(os, "getloadavg"):
        env["load_average_at_start"] = os.getloadavg()[0]
    return env


def run_bench(sims: tuple[str, ...] = SIMULATORS, count: int = DEFAULT_COUNT, json_path: Path | None = None,
              idle_s: float = DEFAULT_IDLE_S) -> int:
    """Measure every figure on each simulator in ``sims``, print the tables,
    and write them as JSON to ``json_path`` if given (CI keeps it as an
    artifact). Returns a process exit status: 0, or 1 when a measurement
    failed (the figures measured so far are still written, with the error).
    Raises :class:`nicsim.runner.SimulatorMissing` before measuring anything
    when one of ``sims`` cannot run here."""
    sims = tuple(dict.fromkeys(sims))
    for sim in sims:
        check_simulator(sim)
    plan = make_plan(count, idle_s)
    clock = Clock()
    report: dict = {"count": count, "idle_seconds": idle_s, "plan": plan, "line_rate_bps": LINE_BPS,
                    "clock_ns": CLK_NS, "environment": _environment(), "simulators": {}}
    floods = ", ".join(f"{n} x {size} B" for size, n in plan["floods"])
    clock.say("bench", f"on {', '.join(sims)}, --count {count}: floods of {floods}; idle {idle_s:g} s each")
    # the floods run the end-to-end benches as users do, with the DMA permission checker unless it is off
    checker = "on" if report["environment"]["dma_checker"] else "off"
    clock.say("bench", f"DMA permission checker {checker} ({dma_checker.ENV}=0 measures without it)")
    status = 0
    try:
        for sim in sims:
            report["simulators"][sim] = measure(sim, plan, clock)
    except BenchFailed as e:
        report["error"] = str(e)
        status = 1
    report["wall_s"] = time.time() - clock.t0
    if hasattr(os, "getloadavg"):
        report["environment"]["load_average_at_end"] = os.getloadavg()[0]
    if report["simulators"]:
        print_tables(report["simulators"])
        report["note"] = busy_note(report["simulators"])
    print(f"whole bench: {report['wall_s']:.0f} s of wall time, builds included")
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {json_path}")
    if status:
        print(f"nicsim bench: FAILED: {report['error']}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(run_bench(count=int(os.environ.get("BENCH_COUNT", str(DEFAULT_COUNT)))))
