"""What a failing end-to-end test leaves a person: the register and interrupt
log (nicsim.event_log) of a known scenario checked against nicdef's names and
the datasheet's order of events, and io-pkt's diagnoses of driver mistakes
(a missed unmask, an interrupt storm, a livelock) firing on the live NIC,
each planted at run time in one host's driver."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import cocotb
from cocotb.triggers import SimTimeoutError, with_timeout
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import Ether

from devnp_nic.softc import INTR_MASK
from iopkt.kern.diag import DriverBug, InterruptStorm
from iopkt.kern.intr import interrupt_queue
from nicdef import regs as R
from nicsim import testing
from nicsim.host_platform import SIM_HANG_NS, SIM_LIVELOCK_PASSES, SIM_STORM_ENTRIES
from nicsim.nic_harness import NicHarness, start_clock_and_reset, wait_irq
from nicsim.two_hosts import bring_up_pair, build_hosts

TOPLEVEL = "nic_pair_tb"
PING_PAYLOAD = 56  # ping's default -s


def _artifact_folder(name: str) -> Path:
    """Where a test writes its files: NICSIM_ARTIFACTS when the runner gives one, else a fresh temporary folder."""
    base = os.environ.get("NICSIM_ARTIFACTS")
    return Path(base) if base else Path(tempfile.mkdtemp(prefix=f"{name}-"))


def _fields(detail: str) -> dict[str, str]:
    """NAME=value pairs of a descriptor line."""
    return dict(re.findall(r"(\w+)=(\S+)", detail))


async def _failure_of(task, within_us: float, what: str) -> BaseException:
    """The exception that ends ``task`` (an io-pkt task: a diagnosis), awaited so it fails this test no
    other way; AssertionError if it has not ended within ``within_us`` of simulated time."""
    try:
        await with_timeout(task.join(), within_us, "us")
    except SimTimeoutError:
        raise AssertionError(f"no {what} within {within_us:g} us of simulated time") from None
    except Exception as err:  # noqa: BLE001 - the diagnosis is what the caller checks
        return err
    raise AssertionError(f"the task ended without a {what}")


def _index(events, start: int, pred, what: str) -> int:
    for i in range(start, len(events)):
        if pred(events[i]):
            return i
    raise AssertionError(f"no {what} in the event log after event {start}:\n" +
                         "\n".join(map(str, events[start:start + 60])))


@testing.test()
async def test_event_log_of_one_ping(dut):
    """Bring-up and one ping, read from the event log: the driver's INT_MASK_SET names the causes devnp-nic
    enables (nicdef's INT_CAUSE fields); on the receiver the datasheet's order (the NIC writes the RX
    descriptor back with DD|EOP, irq rises, the kernel enters the ISR 200 ns later, the ISR's INT_MASK_CLR
    drops the line, a process pass reads and clears RX_DONE, enable() unmasks); on the sender the echo
    request's TX descriptor posted with LEN the frame's length (scapy) and EOP|RS, TX_TAIL written, then
    written back with DD."""
    hosts = await build_hosts(dut, event_log=True)
    await bring_up_pair(hosts)
    log = hosts.event_log
    mark = len(log.events())
    res = await hosts.sh("hostA", "ping -c 1 10.0.0.2")
    assert res.value.received == 1, res.text
    ev = log.events()
    for e in ev:
        assert e.time_ns >= 0 and e.host in ("hostA", "hostB"), e

    # bring-up: the mask devnp-nic enables, by nicdef's field names
    enabled = {f.name for f in R.INT_CAUSE_FIELDS if INTR_MASK & f.mask}
    sets = [e for e in ev[:mark] if e.host == "hostA" and e.kind == "w" and e.detail.startswith("INT_MASK_SET = ")]
    assert sets, "no INT_MASK_SET write in the bring-up"
    assert set(sets[0].detail.split(" = ", 1)[1].split("|")) == enabled, (sets[0], enabled)

    # sender: the echo request's descriptor, its TAIL, its write-back
    frame_len = len(Ether() / IP() / ICMP() / bytes(PING_PAYLOAD))
    post = _index(ev, mark, lambda e: e.host == "hostA" and e.kind == "post" and e.detail.startswith("TX[")
                  and _fields(e.detail).get("LEN") == str(frame_len), f"TX post of LEN {frame_len}")
    slot = ev[post].detail.split("]")[0] + "]"
    assert set(_fields(ev[post].detail)["CMD"].split("|")) >= {"EOP", "RS"}, ev[post]
    tail = _index(ev, post, lambda e: e.host == "hostA" and e.kind == "w" and e.detail.startswith("TX_TAIL = "),
                  "TX_TAIL write")
    done = _index(ev, tail, lambda e: e.host == "hostA" and e.kind == "done" and e.detail.startswith(slot + " "),
                  f"write-back of {slot}")
    assert "DD" in _fields(ev[done].detail)["STA"].split("|"), ev[done]
    assert _fields(ev[done].detail)["LEN"] == str(frame_len), ev[done]

    # receiver: the interrupt of the echo request, in the datasheet's order
    def on_b(kind, prefix=""):
        return lambda e: e.host == "hostB" and e.kind == kind and e.detail.startswith(prefix)

    rx = _index(ev, tail, on_b("done", "RX["), "RX write-back on host B")
    assert set(_fields(ev[rx].detail)["STA"].split("|")) == {"DD", "EOP"}, ev[rx]
    rise = _index(ev, rx, on_b("irq", "rise"), "irq rise on host B")
    isr = _index(ev, rise, on_b("isr"), "ISR entry on host B")
    assert ev[isr].time_ns - ev[rise].time_ns >= 200, (ev[rise], ev[isr])  # the kernel's ISR entry cost
    assert "nic0" in ev[isr].detail, ev[isr]
    clr = _index(ev, isr, on_b("w"), "the ISR's register write")
    assert ev[clr].detail.startswith("INT_MASK_CLR = "), ev[clr]
    # the write takes effect inside the access, before its response (the time logged): the line falls within it
    fall = _index(ev, isr, on_b("irq", "fall"), "irq fall on host B")
    assert ev[fall].time_ns <= ev[clr].time_ns, (ev[fall], ev[clr])
    process = _index(ev, clr, on_b("process"), "process pass on host B")
    cause = _index(ev, isr, on_b("r", "INT_CAUSE = "), "INT_CAUSE read")
    assert isr < cause < process, (ev[cause], ev[process])
    assert "RX_DONE" in ev[cause].detail.split(" = ")[1].split("|"), ev[cause]
    enable = _index(ev, process, on_b("enable"), "enable on host B")
    unmask = _index(ev, enable, on_b("w", "INT_MASK_SET = "), "enable()'s INT_MASK_SET")
    assert ev[unmask].time_ns >= ev[enable].time_ns

    # the files
    folder = _artifact_folder("event-log")
    written = {p.name: p for p in hosts.write_artifacts(folder)}
    assert set(written) == {"events.log", "slog.txt"}, written  # no diagnosis: nothing failed, nothing found
    text = written["events.log"].read_text().splitlines()
    assert text[0].startswith("# ") and any("INT_MASK_SET = " in line for line in text)
    slog = written["slog.txt"].read_text()
    assert slog == "".join(f"{line}\n" for _, line in sorted(
        (e for io in hosts.by_name.values() for e in io.slog_entries()), key=lambda e: e[0]))
    await hosts.teardown()


async def _enable_forgetting_the_unmask(sc) -> int:
    """devnp-nic's enable() with the INT_MASK_SET left out: the NIC stays masked after the first pass."""
    return 1


@testing.test()
async def test_missed_unmask_named_on_the_rtl(dut):
    """Host A's enable() forgets INT_MASK_SET: io-pkt's hang watch names the missed unmask (irq, device,
    INT_MASK = 0 with INT_CAUSE's pending cause) within a few hundred simulated microseconds of the first
    held-back interrupt, raises it (the test would fail with that message) and writes it to its log and
    to diagnosis.txt; the ping itself gets no replies."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    iopkt = hosts.by_name["hostA"]
    sc = hosts.softc("hostA")
    sc.sc_inter.enable = _enable_forgetting_the_unmask
    start_ns, wall = iopkt.platform.now_ns(), time.perf_counter()
    ping = cocotb.start_soon(hosts.sh("hostA", "ping -c 10 10.0.0.2"))
    failure = await _failure_of(iopkt.kernel.hang_watch.task, 5000, "missed-unmask diagnosis")
    assert isinstance(failure, DriverBug), repr(failure)
    msg = str(failure)
    sim_us = (iopkt.platform.now_ns() - start_ns) / 1000
    dut._log.info("missed unmask named after %.0f us simulated, %.2f s wall: %s", sim_us,
                  time.perf_counter() - wall, msg)
    ping.cancel()
    dev = iopkt.platform.devices[0]
    assert f"irq {sc.irq} (nic0)" in msg and dev.name in msg, msg
    assert "INT_MASK = 0" in msg and "interrupt mask register" in msg, msg
    pending = msg.split("INT_CAUSE = ")[1].split(",")[0].split("|")
    assert set(pending) <= {f.name for f in R.INT_CAUSE_FIELDS} and "RX_DONE" in pending, msg
    assert sim_us < 2000 + 2 * SIM_HANG_NS / 1000, sim_us  # the second ping's reply, then the threshold
    assert msg in iopkt.log and msg in iopkt.diagnose()
    folder = _artifact_folder("missed-unmask")
    written = {p.name: p for p in hosts.write_artifacts(folder, failure)}
    diag = written["diagnosis.txt"].read_text()
    assert f"hostA: {msg}" in diag and "DriverBug" in diag, diag
    assert msg in written["slog.txt"].read_text()


@testing.test()
async def test_interrupt_storm_named_on_the_rtl(dut):
    """Host A's ISR queues its entry without masking the NIC and its process function never clears
    INT_CAUSE: the level line stays up, and the kernel names the storm (irq, ISR) after
    SIM_STORM_ENTRIES entries, a few hundred simulated microseconds."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    iopkt = hosts.by_name["hostA"]
    sc = hosts.softc("hostA")
    line = iopkt.kernel.lines[sc.irq]
    for h in line.handlers:
        h.isr = lambda area, iid: interrupt_queue(area.iopkt, area.sc_inter)

    async def process_without_ack(sc_, wtp) -> int:
        return 1

    sc.sc_inter.func = process_without_ack
    ping = cocotb.start_soon(hosts.sh("hostA", "ping -c 3 10.0.0.2"))
    failure = await _failure_of(line.task, 3000, "interrupt storm diagnosis")
    assert isinstance(failure, InterruptStorm), repr(failure)
    msg = str(failure)
    ping.cancel()
    assert f"interrupt storm on irq {sc.irq}" in msg and "nic0" in msg, msg
    assert f"{SIM_STORM_ENTRIES + 1} ISR entries" in msg, msg


@testing.test()
async def test_livelock_named_on_the_rtl(dut):
    """Host A's process function always says there is more to do and touches nothing: io-pkt's worker
    names the livelock after SIM_LIVELOCK_PASSES passes at one instant of simulated time."""
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    iopkt = hosts.by_name["hostA"]
    sc = hosts.softc("hostA")

    def process_forever(sc_, wtp) -> int:
        return 0

    sc.sc_inter.func = process_forever
    ping = cocotb.start_soon(hosts.sh("hostA", "ping -c 3 10.0.0.2"))
    failure = await _failure_of(iopkt.workers[0].task, 3000, "livelock diagnosis")
    assert isinstance(failure, DriverBug), repr(failure)
    msg = str(failure)
    ping.cancel()
    assert "livelock" in msg and f"{SIM_LIVELOCK_PASSES + 1} times" in msg, msg


@testing.test()
async def test_event_log_of_a_bench_nic(dut):
    """A NIC programmed by hand (NicHarness) logs its accesses and line: INT_MASK_SET then INT_CAUSE_SET of
    RX_DONE raise irq (datasheet: irq is high while INT_CAUSE & INT_MASK is not 0), INT_MASK_CLR drops it;
    a failed test's diagnosis.txt holds the error."""
    await start_clock_and_reset(dut)
    nic = NicHarness(dut, "a", event_log=True)
    rx_done = R.INT_RX_DONE
    await nic.wr("INT_MASK_SET", rx_done)
    await nic.wr("INT_CAUSE_SET", rx_done)
    await wait_irq(nic.irq)
    await nic.wr("INT_MASK_CLR", rx_done)
    await nic.wr("INT_CAUSE", rx_done)
    assert await nic.rd("INT_CAUSE") == 0
    name = next(f.name for f in R.INT_CAUSE_FIELDS if f.mask == rx_done)
    got = [(e.kind, e.detail) for e in nic.events.events()]
    # each edge happens inside the write that causes it, which is logged at its answer: the edge comes first
    want = [("w", f"INT_MASK_SET = {name}"), ("irq", "rise"), ("w", f"INT_CAUSE_SET = {name}"),
            ("irq", "fall"), ("w", f"INT_MASK_CLR = {name}"), ("w", f"INT_CAUSE = {name}"), ("r", "INT_CAUSE = 0")]
    assert got == want, got
    folder = _artifact_folder("bench-nic")
    written = {p.name: p for p in nic.write_artifacts(folder, AssertionError("planted"))}
    assert "planted" in written["diagnosis.txt"].read_text()
    assert f"INT_MASK_SET = {name}" in written["events-nic_a.log"].read_text()


@testing.test()
async def test_frames_lost_after_the_wire_are_named(dut):
    """A receiver that drops good frames (host B's NIC given another station address behind its driver's
    back, so its filter discards frames to B's real address): ping fails, and the diagnosis compares the
    cable's pcap (frames with a good FCS, zlib, to B's station or broadcast) with what B's driver received,
    naming host B's NIC or driver; with the address restored, ping works again."""
    folder = _artifact_folder("wire-vs-receiver")
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    regs = hosts.softc("hostB").regs
    station_lo = await regs.read32(R.REG_MAC_LO)
    await regs.write32(R.REG_MAC_LO, station_lo ^ 0x0100)  # byte 1 of the station address changed
    res = await hosts.sh("hostA", "ping -c 3 -W 0.0005 10.0.0.2")
    assert res.value.received == 0, res.text
    found = hosts.wire_vs_receivers(folder)
    assert len(found) == 1 and found[0].startswith("hostB: the cable from host A carried "), found
    carried = int(re.search(r"carried (\d+) frames", found[0]).group(1))
    got = hosts.softc("hostB").ifp.if_ipackets
    assert f"its driver received {got} (if_ipackets)" in found[0] and carried > got + 1, found
    await regs.write32(R.REG_MAC_LO, station_lo)
    res = await hosts.sh("hostA", "ping -c 2 10.0.0.2")
    assert res.value.received == 2, res.text
