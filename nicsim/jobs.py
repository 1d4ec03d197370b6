"""The cocotb side of the main jobs: ``nicsim demo`` and ``nicsim bench``.

Each is a cocotb test run by :mod:`nicsim.demo` or :mod:`nicsim.bench`:
``demo_two_host_ping`` and ``bench_pair`` on ``nic_pair_tb``,
``bench_gmii_reference`` on ``gmii_loopback_tb``. Results leave the
simulator through the files named by ``DEMO_TRANSCRIPT`` and
``BENCH_RESULT``; what a bench job measures comes in as JSON in
``BENCH_PLAN``.

The bench measures whatever implementation of the platform is present, from
its public interfaces only: each device's ``RegisterBus`` is wrapped in a
counting proxy and each interrupt line gets one more ``on_rise`` callback
before the driver is mounted; io-pkt's ISR entry counts, the interfaces'
``ifnet`` counters and simulated time are read as they are.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import cocotb

from iopkt.platform.base import RegisterBus
from nicsim.nic_harness import start_clock_and_reset
from nicsim.two_hosts import Hosts, bring_up_pair, build_hosts, driver_vs_nic_counters
from nicsim.udp_flow import ADDR, PORT, Flow, payload, run_flows

# ten pings 50 us apart, each waiting at most 2 ms for its reply
PING = "ping -c 10 -i 0.00005 -W 0.002 10.0.0.2"


@cocotb.test()
async def demo_two_host_ping(dut):
    """The `make demo` script: mount, configure, ping, nicinfo-style counters; writes a transcript."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    res = await hosts.sh("hostA", PING)
    assert res.status == 0 and res.value.received == 10, res.text
    await hosts.sh("hostB", "arp -a")
    await hosts.sh("hostB", "ifconfig -v nic0")
    await hosts.sh("hostB", "nicinfo nic0")
    for name, iopkt in hosts.by_name.items():
        counters = await driver_vs_nic_counters(iopkt)
        hosts.say(f"{name}: driver vs NIC counters: " +
                  ", ".join(f"{k} {d}/{n}" for k, (d, n) in counters.items()))
    path = os.environ.get("DEMO_TRANSCRIPT")
    if path:
        with open(path, "w") as f:
            f.write("\n".join(hosts.transcript) + "\n")
    await hosts.teardown()


# ---------------------------------------------------------------- nicsim bench

# Ethernet header, IPv4 header, UDP header and FCS around a datagram's
# payload: a 64-byte frame carries 18 bytes (udp_flow's smallest datagram)
FRAME_OVERHEAD = 14 + 20 + 8 + 4
IDLE_STEP_NS = 8_000  # 1,000 clocks: how often an idle measurement looks at the wall clock


class BenchError(AssertionError):
    """A measurement of the bench failed; the message says what and why.
    (Raised rather than asserted: the message stays exactly as written.)"""


class CountingRegisters(RegisterBus):
    """A device's register bus with every 32-bit read and write counted;
    anything else the bus offers is passed through untouched."""

    def __init__(self, bus: RegisterBus):
        self.bus = bus
        self.reads = 0
        self.writes = 0

    async def read32(self, offset: int) -> int:
        self.reads += 1
        return await self.bus.read32(offset)

    async def write32(self, offset: int, value: int) -> None:
        self.writes += 1
        await self.bus.write32(offset, value)

    def __getattr__(self, name):
        return getattr(self.bus, name)


class Probe:
    """Counters over both hosts, installed before the drivers are mounted:
    register accesses (a CountingRegisters per device) and interrupt line
    rises (an ``on_rise`` callback per device); io-pkt's ISR entries are
    read when a snapshot is taken."""

    def __init__(self, hosts: Hosts):
        self.hosts = hosts
        self.buses: list[CountingRegisters] = []
        self.rises = 0
        for plat in hosts.platforms.values():
            for dev in plat.devices:
                dev.regs = CountingRegisters(dev.regs)
                self.buses.append(dev.regs)
                dev.irq.on_rise(self._rise)

    def _rise(self) -> None:
        self.rises += 1

    def snapshot(self) -> dict:
        snap = {"wall_s": time.perf_counter(), "cpu_s": time.process_time(),
                "sim_ns": self.hosts.platforms["hostA"].now_ns(),
                "reg_reads": sum(b.reads for b in self.buses), "reg_writes": sum(b.writes for b in self.buses),
                "irq_rises": self.rises, "isr_entries": 0}
        for iopkt in self.hosts.by_name.values():
            snap["isr_entries"] += sum(line.entries for line in iopkt.kernel.lines.values())
        return snap

    def ifnet(self) -> dict:
        """Each host's interfaces' packet counters (``if_opackets`` counts a
        frame when the driver harvests its transmission, which it does lazily)."""
        return {f"{name} {counter}": sum(getattr(ifp, counter) for ifp in iopkt.ifnet)
                for name, iopkt in self.hosts.by_name.items() for counter in ("if_opackets", "if_ipackets")}


def since(before: dict, after: dict) -> dict:
    return {k: after[k] - before.get(k, 0) for k in after}


class Progress:
    """One line per measurement as it starts and as it ends, with the time
    since the bench began (``t0`` in the plan, seconds since the epoch)."""

    def __init__(self, plan: dict):
        self.t0 = plan.get("t0", time.time())
        self.sim = plan.get("sim", os.environ.get("SIM", "?"))

    def __call__(self, text: str) -> None:
        print(f"[{time.time() - self.t0:7.1f} s] {self.sim:<9} {text}", flush=True)


@dataclass
class _Window:
    """The measured stretch of a flood: from the moment its first datagram
    is made (``Flow.size`` is asked for datagram 0 just before ``sendto``)
    to the moment its last one is delivered (``Flow.delivered`` grows)."""

    probe: Probe
    expected: int
    start: dict | None = None
    end: dict | None = None

    def sizer(self, payload_bytes: int):
        def size(seq: int) -> int:
            if self.start is None:
                self.start = self.probe.snapshot()
            return payload_bytes
        return size

    def arrivals(self) -> list:
        window = self

        class Arrivals(list):
            def append(self, seq: int) -> None:
                super().append(seq)
                window.expected -= 1
                if window.expected == 0:
                    window.end = window.probe.snapshot()

        return Arrivals()


async def bench_flood(hosts: Hosts, probe: Probe, directions: list[tuple[str, str]], frame_bytes: int,
                      count: int, what: str, fault: Callable[[Hosts], Awaitable] | None = None,
                      fault_at: int = 0) -> dict:
    """``count`` datagrams in each direction at once, each a ``frame_bytes``
    Ethernet frame (FCS included), through ``udp_flow.run_flows``: every
    datagram checked at the receiver (sequence number and bytes, order, no
    duplicate) and accounted for. Anything lost, refused or damaged is an
    AssertionError naming it (``fault``, as ``run_flows`` takes it, is how a
    test proves that). Returns the counts and times of the window from the
    first datagram made to the last one delivered."""
    for src, dst in directions:  # the ARP entry in place, so no datagram waits for (or is dropped by) ARP
        await hosts.must(src, f"ping -c 1 {ADDR[dst]}")
    window = _Window(probe, count * len(directions))
    flows = [Flow(src, dst, PORT + n, count, size=window.sizer(frame_bytes - FRAME_OVERHEAD),
                  delivered=window.arrivals()) for n, (src, dst) in enumerate(directions)]
    ifnet = probe.ifnet()
    await run_flows(hosts, what, flows, fault, fault_at)  # settles: every transmission harvested
    ifnet = since(ifnet, probe.ifnet())
    for f in flows:
        lost = f.count - len(f.delivered)
        if f.refused or f.sent != f.count or lost:
            raise BenchError(f"{what} [{f.label}]: {lost} of {f.count} datagrams not delivered"
                             + (f", sendto() refused {sum(f.refused.values())}" if f.refused else "")
                             + f": {f.line}")
    out = since(window.start, window.end)
    out.update(frame_bytes=frame_bytes, directions=len(directions), datagrams=count * len(directions), ifnet=ifnet)
    return out


async def bench_ping(hosts: Hosts, count: int, size: int = 56) -> dict:
    """``count`` pings of ``size`` data bytes from A to B, one at a time
    (each ``ping -c 1`` returns as soon as its reply is in), nothing else
    running: the unloaded round trip in simulated time, and the wall time
    each ping costs."""
    cmd = f"ping -c 1 -s {size} -W 0.001 10.0.0.2"
    await hosts.must("hostA", cmd)  # ARP settled before the measurement
    rtts = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(count):
        res = await hosts.sh("hostA", cmd)
        if res.value.received != 1 or res.value.payload_mismatches:
            raise BenchError(f"ping failed:\n{res.text}")
        rtts.append(res.value.rtts_ns[0])
    return {"pings": count, "size": size, "wall_s": time.perf_counter() - wall0,
            "cpu_s": time.process_time() - cpu0, "rtt_ns": rtts}


async def bench_idle(probe: Probe, seconds: float) -> dict:
    """Simulated time passing with nothing to do, for about ``seconds`` of
    wall time: the simulated nanoseconds that took (and what the hosts did
    meanwhile: register accesses, interrupts)."""
    plat = probe.hosts.platforms["hostA"]
    before = probe.snapshot()
    while time.perf_counter() - before["wall_s"] < seconds:
        await plat.sleep(IDLE_STEP_NS)
    return since(before, probe.snapshot())


def _plan() -> dict:
    return json.loads(os.environ.get("BENCH_PLAN", "{}"))


def _message(e: AssertionError) -> str:
    """An assertion's own message, without the explanation cocotb's
    assertion rewriting appends to it."""
    return str(e).split("\nassert ")[0]


def _write_result(result: dict) -> None:
    # where cocotb records the test's outcome: the failure of a task the
    # job does not await (a receiver finding a damaged datagram) ends the
    # test without reaching the job's own error handling, and is read there
    result.setdefault("results_xml", os.environ.get("COCOTB_RESULTS_FILE"))
    path = os.environ.get("BENCH_RESULT")
    if path:
        with open(path, "w") as f:
            json.dump(result, f)


@cocotb.test()
async def bench_pair(dut):
    """`make bench` on two hosts: idle time, unloaded pings, floods A to B at
    each size, floods both ways at once, idle time again with both
    interfaces up. Figures (or the first failure) go to ``BENCH_RESULT``."""
    plan = _plan()
    say = Progress(plan)
    result: dict = {}
    try:
        hosts = await build_hosts(dut, event_log=False)  # the bench measures the product, not the log
        probe = Probe(hosts)
        idle_s = plan.get("idle_s", 2.0)
        say(f"idle, NICs out of reset, no driver: {idle_s:g} s ...")
        result["idle_reset"] = r = await bench_idle(probe, idle_s)
        say(f"idle, NICs out of reset: {r['sim_ns'] / 8 / r['wall_s']:,.0f} cycles/s")
        await bring_up_pair(hosts)
        pings = plan.get("pings", 10)
        say(f"ping -s 56, {pings} one at a time ...")
        result["ping"] = r = await bench_ping(hosts, pings)
        say(f"ping -s 56: {sum(r['rtt_ns']) / len(r['rtt_ns']) / 1000:.2f} us round trip, "
            f"{r['wall_s'] / pings * 1000:.1f} ms wall per ping")
        result["floods"] = []
        for frame_bytes, count in plan.get("floods", [[64, 20]]):
            what = f"flood A->B {frame_bytes} B"
            say(f"{what}, {count} datagrams ...")
            r = await bench_flood(hosts, probe, [("hostA", "hostB")], frame_bytes, count, what)
            result["floods"].append(r)
            say(f"{what}: {count / r['wall_s']:.1f} frames/s ({r['wall_s']:.1f} s), every datagram intact")
        for frame_bytes, count in plan.get("both_ways", []):
            what = f"flood both ways {frame_bytes} B"
            say(f"{what}, {count} datagrams each way ...")
            r = await bench_flood(hosts, probe, [("hostA", "hostB"), ("hostB", "hostA")], frame_bytes, count, what)
            result["floods"].append(r)
            say(f"{what}: {2 * count / r['wall_s']:.1f} frames/s ({r['wall_s']:.1f} s), every datagram intact")
        say(f"idle, both interfaces up: {idle_s:g} s ...")
        result["idle_up"] = r = await bench_idle(probe, idle_s)
        say(f"idle, both interfaces up: {r['sim_ns'] / 8 / r['wall_s']:,.0f} cycles/s")
        await hosts.teardown()
        result["done"] = True
    except AssertionError as e:
        result["error"] = _message(e)
        raise
    finally:
        _write_result(result)


@cocotb.test()
async def bench_gmii_reference(dut):
    """`make bench`'s stock reference: cocotbext-eth's GmiiSource into
    GmiiSink through one register (``gmii_loopback_tb``), frames of each
    size back to back, each checked (payload and FCS)."""
    from cocotbext.eth import GmiiFrame, GmiiSink, GmiiSource

    plan = _plan()
    say = Progress(plan)
    result: dict = {"sizes": []}
    try:
        source = GmiiSource(dut.gmii_txd, dut.gmii_tx_er, dut.gmii_tx_en, dut.clk, dut.rst)
        sink = GmiiSink(dut.gmii_rxd, dut.gmii_rx_er, dut.gmii_rx_dv, dut.clk, dut.rst)
        await start_clock_and_reset(dut)
        for frame_bytes, count in plan.get("reference", [[64, 20]]):
            what = f"reference GmiiSource -> GmiiSink {frame_bytes} B"
            say(f"{what}, {count} frames ...")
            frames = [payload(seq, frame_bytes - 4) for seq in range(count)]
            sim0, wall0, cpu0 = cocotb.utils.get_sim_time("ns"), time.perf_counter(), time.process_time()
            for data in frames:
                await source.send(GmiiFrame.from_payload(data))
            for seq, data in enumerate(frames):
                rx = await sink.recv()
                if not rx.check_fcs() or rx.get_payload() != data:
                    raise BenchError(f"{what}: frame {seq} arrived damaged")
            r = {"frame_bytes": frame_bytes, "frames": count, "wall_s": time.perf_counter() - wall0,
                 "cpu_s": time.process_time() - cpu0, "sim_ns": cocotb.utils.get_sim_time("ns") - sim0}
            result["sizes"].append(r)
            say(f"{what}: {count / r['wall_s']:.1f} frames/s ({r['wall_s']:.1f} s)")
        result["done"] = True
    except AssertionError as e:
        result["error"] = _message(e)
        raise
    finally:
        _write_result(result)


@cocotb.test()
async def tap_bridge_session(dut):
    """`nicsim tap`: host A up behind the TAP bridge (``nicsim.tap``), the commands that reach it
    printed, then the simulation runs until Ctrl-C, or for ``NICSIM_TAP_SECONDS`` of wall time."""
    from nicsim import lifeline, tap

    lifeline.die_with_runner()  # SIGTERM (the namespace removed, tap's handler) if `nicsim tap` dies
    seconds = float(os.environ.get("NICSIM_TAP_SECONDS") or "inf")
    async with tap.tap_session(dut) as (ns, hosts):
        print("\n".join(hosts.transcript), flush=True)
        print(tap.instructions(ns), flush=True)
        await tap.run_for_wall(seconds, step_us=50, stop=tap.lifeline_cut)
