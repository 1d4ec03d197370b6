"""``nicsim bench``'s arithmetic and report, without a simulator: line
rates, the plan ``--count`` makes, the figures derived from what the jobs
measured, the tables and the busy-machine note."""

from __future__ import annotations

import pytest

from nicsim import bench


def test_line_rate_counts_preamble_and_gap():
    assert bench.line_rate(64) == pytest.approx(1_488_095.2, abs=0.1)
    assert bench.line_rate(1518) == pytest.approx(81_274.4, abs=0.1)
    assert bench.line_rate(512) == pytest.approx(1e9 / 8 / 532)


def test_plan_scales_with_count_and_never_asks_for_nothing():
    plan = bench.make_plan(256, 2.0)
    assert plan["floods"] == [[64, 256], [512, 128], [1518, 128]]
    assert plan["both_ways"] == [[64, 128]] and plan["pings"] == 16
    assert plan["reference"] == [[64, 512], [1518, 64]] and plan["idle_s"] == 2.0
    tiny = bench.make_plan(1, 0.1)
    counts = [n for _, n in tiny["floods"] + tiny["both_ways"] + tiny["reference"]] + [tiny["pings"]]
    assert min(counts) == 1


def _flood(size, ways, frames, wall_s, sim_ns, cpu_s=None):
    return {"frame_bytes": size, "directions": ways, "datagrams": frames, "wall_s": wall_s,
            "cpu_s": wall_s if cpu_s is None else cpu_s, "sim_ns": sim_ns, "reg_reads": frames,
            "reg_writes": 5 * frames, "isr_entries": frames, "irq_rises": frames,
            "ifnet": {"hostA if_opackets": frames, "hostB if_ipackets": frames}}


def _idle(cycles, wall_s):
    return {"wall_s": wall_s, "cpu_s": wall_s, "sim_ns": cycles * 8, "reg_reads": 0, "reg_writes": 0,
            "isr_entries": 0, "irq_rises": 0}


PAIR = {
    "floods": [_flood(64, 1, 100, 1.0, 100 * 84 * 8), _flood(512, 1, 50, 2.0, 50 * 532 * 16),
               _flood(1518, 1, 50, 5.0, 50 * 1538 * 8), _flood(64, 2, 100, 0.5, 50 * 84 * 8, cpu_s=0.25)],
    "ping": {"pings": 4, "size": 56, "wall_s": 0.04, "cpu_s": 0.04, "rtt_ns": [3000, 3400, 3400, 4200]},
    "idle_reset": _idle(100_000, 1.0), "idle_up": _idle(80_000, 1.0),
}
REFERENCE = {"sizes": [{"frame_bytes": 64, "frames": 400, "wall_s": 1.0, "cpu_s": 1.0, "sim_ns": 1000},
                       {"frame_bytes": 1518, "frames": 20, "wall_s": 1.0, "cpu_s": 1.0, "sim_ns": 1000}]}
PLAIN = {"cycles": 2_000_000, "wall_s": 2.0, "cpu_s": 2.0, "cpu_share": 1.0, "cycles_per_s": 1e6,
         "cycles_per_cpu_s": 1e6, "startup_s": 0.0}


def test_figures_from_what_the_jobs_measured():
    r = bench.summarize(PAIR, REFERENCE, PLAIN)
    f64, f512, f1518, both = r["floods"]
    assert f64["frames_per_s"] == 100 and f64["line_share"] == pytest.approx(1.0)
    assert f512["line_share"] == pytest.approx(0.5) and f512["vs_reference"] is None
    assert f64["vs_reference"] == pytest.approx(0.25) and f1518["vs_reference"] == pytest.approx(0.5)
    assert f64["reg_accesses_per_frame"] == 6 and f64["isr_entries_per_frame"] == 1
    assert both["direction"] == "both ways" and both["frames_per_s"] == 200
    assert both["line_share"] == pytest.approx(1.0)  # 100 frames over two lines in the time of 50
    assert both["cpu_share"] == 0.5
    assert r["ping"]["rtt_us_avg"] == pytest.approx(3.5) and r["ping"]["wall_ms_per_ping"] == pytest.approx(10)
    assert r["idle"]["cocotb_reset"]["cycles_per_s"] == 100_000
    assert r["idle"]["plain_vs_cocotb"] == pytest.approx(10)
    assert "plain" not in bench.summarize(PAIR, REFERENCE)["idle"]


def _limit(size, cycles_per_s, frames_per_s):
    return {"frame_bytes": size, "cycles": int(cycles_per_s), "wall_s": 1.0, "cpu_s": 1.0, "cpu_share": 1.0,
            "cycles_per_s": cycles_per_s, "frames_per_s_a_to_b": frames_per_s, "frames_per_s_b_to_a": frames_per_s,
            "line_share_a_to_b": 1.0, "line_share_b_to_a": 0.99}


LIMITS = [_limit(64, 84 * 400, 400), _limit(1518, 1538 * 20, 20)]


def test_each_flood_is_set_beside_the_limit_at_its_size(capsys):
    r = bench.summarize(PAIR, REFERENCE, PLAIN, LIMITS)
    f64, f512, f1518, both = r["floods"]
    assert f64["sim_cycles_per_s"] == pytest.approx(8400)  # 100 frames of 84 clocks in one second
    assert f64["vs_limit"] == pytest.approx(8400 / 33600) and f1518["vs_limit"] == pytest.approx(15380 / 30760)
    assert f512["vs_limit"] is None and f512["limit_cycles_per_s"] is None
    assert both["vs_limit"] == pytest.approx(8400 / 33600)
    bench.print_tables({"icarus": r})
    out = capsys.readouterr().out
    assert "limit: plain nic_pair_tb" in out and "25%" in out and "50%" in out
    assert "icarus limit 64 B" in bench.cpu_shares({"icarus": r})


def test_tables_print_every_simulator_and_name_busy_measurements(capsys):
    results = {"icarus": bench.summarize(PAIR, REFERENCE, PLAIN), "verilator": bench.summarize(PAIR, REFERENCE, PLAIN)}
    bench.print_tables(results)
    out = capsys.readouterr().out
    for title in ("UDP floods", "ping -s 56", "nic_pair_tb idle", "reference: cocotbext-eth"):
        assert title in out
    assert out.count("icarus     A->B") == 3 and out.count("verilator  both ways") == 1
    assert "10.00x" in out  # plain over cocotb
    assert "icarus flood both ways 64 B (50%)" in " ".join(out.split())
    assert bench.busy_note(results, below=0.4) is None
    assert "every measurement had a CPU for only 50% to 100%" in bench.busy_note(results, below=1.01)


def test_a_job_that_stopped_is_explained_by_its_cocotb_results(tmp_path):
    xml = tmp_path / "results.xml"
    xml.write_text('<?xml version="1.0"?><testsuites><testsuite name="nicsim.jobs"><testcase name="bench_pair">'
                   '<failure message="datagram 3 arrived damaged&#10;assert 7 == 9" type="AssertionError">'
                   "Traceback ...</failure></testcase></testsuite></testsuites>")
    assert bench.failure_message(str(xml)) == "datagram 3 arrived damaged"
    xml.write_text('<testsuites><testsuite><testcase name="bench_pair"/></testsuite></testsuites>')
    assert bench.failure_message(str(xml)) is None
    assert bench.failure_message(str(tmp_path / "missing.xml")) is None and bench.failure_message(None) is None
