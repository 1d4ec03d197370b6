"""The cocotb side of the main jobs: ``nicsim demo`` and ``nicsim bench``.

Each is a cocotb test run on ``nic_pair_tb`` by :mod:`nicsim.demo` and
:mod:`nicsim.bench`; results leave the simulator through the files named by
``DEMO_TRANSCRIPT`` and ``BENCH_RESULT``.
"""

from __future__ import annotations

import json
import os
import time

import cocotb

from nicsim.two_hosts import bring_up_pair, build_hosts, driver_vs_nic_counters

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


@cocotb.test()
async def bench_ping_flood(dut):
    """`make bench`: many pings back to back; writes wall and simulated time as JSON."""
    count = int(os.environ.get("BENCH_COUNT", "200"))
    size = int(os.environ.get("BENCH_SIZE", "56"))
    hosts = await build_hosts(dut)
    await bring_up_pair(hosts)
    plat = hosts.platforms["hostA"]
    sim0, wall0 = plat.now_ns(), time.perf_counter()
    res = await hosts.sh("hostA", f"ping -c {count} -s {size} -i 0.00001 -W 0.01 10.0.0.2")
    wall, sim = time.perf_counter() - wall0, plat.now_ns() - sim0
    assert res.value.received == count, res.text
    path = os.environ.get("BENCH_RESULT")
    if path:
        with open(path, "w") as f:
            json.dump({"count": count, "size": size, "wall_s": wall, "sim_ns": sim,
                       "rtt_us": res.value.rtt_stats_us()}, f)
    await hosts.teardown()
