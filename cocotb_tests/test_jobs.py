"""The main jobs as a user runs them: ``nicsim demo`` on the simulator under
test prints the whole shell transcript, ten replies included; ``nicsim
bench``'s jobs, with tiny counts, deliver every datagram of every flood and
report every figure (speed itself is never judged); a flood that loses a
datagram fails with a message naming it (``tb_jobs``, collected as its own
item)."""

import math
import os

from nicsim.bench import make_plan, run_job, summarize
from nicsim.demo import run_demo


def test_demo_prints_the_transcript(capsys):
    status = run_demo(os.environ.get("SIM", "icarus"))
    out = capsys.readouterr().out
    assert status == 0, out
    assert "# mount -T io-pkt /lib/dll/devnp-nic.so" in out, out
    assert "10 packets transmitted, 10 packets received, 0.0% packet loss" in out, out
    assert "nicinfo nic0" in out and "Link is UP" in out, out


def test_bench_jobs_deliver_every_datagram_and_report_every_figure():
    sim = os.environ.get("SIM", "icarus")
    plan = make_plan(count=8, idle_s=0.1)
    pair = run_job(sim, "bench_pair", "nic_pair_tb", plan)  # BenchFailed if a datagram is lost or damaged
    reference = run_job(sim, "bench_gmii_reference", "gmii_loopback_tb", plan)
    figures = summarize(pair, reference)
    floods = {(f["direction"], f["frame_bytes"]): f for f in figures["floods"]}
    assert set(floods) == {("A->B", 64), ("A->B", 512), ("A->B", 1518), ("both ways", 64)}
    counts = {("A->B", size): n for size, n in plan["floods"]}
    counts.update({("both ways", size): 2 * n for size, n in plan["both_ways"]})
    for (direction, size), f in floods.items():
        assert f["frames"] == counts[direction, size], f
        sent = sum(v for k, v in f["ifnet"].items() if k.endswith("if_opackets"))
        received = sum(v for k, v in f["ifnet"].items() if k.endswith("if_ipackets"))
        assert sent >= f["frames"] and received >= f["frames"], f
        for key in ("frames_per_s", "line_share", "reg_accesses_per_frame", "isr_entries_per_frame"):
            assert f[key] > 0 and math.isfinite(f[key]), (key, f)
        assert (f["vs_reference"] is None) == (size == 512), f
    assert figures["ping"]["pings"] == plan["pings"] and figures["ping"]["rtt_us_avg"] > 0
    assert figures["idle"]["cocotb_reset"]["cycles"] > 0 and figures["idle"]["cocotb_up"]["cycles"] > 0
    assert [r["frame_bytes"] for r in figures["reference"]] == [64, 1518]

