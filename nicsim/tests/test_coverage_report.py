"""The coverage report: merging functional databases and Verilator's, the summary table, the holes.

Small synthetic databases in the formats the tools write (cocotb-coverage's YAML export, Verilator's
coverage.dat), so the expected figures are counted by hand."""

from pathlib import Path

import pytest

pytest.importorskip("cocotb_coverage", reason="cocotb-coverage 2.0 needs Python 3.11 or newer")
import yaml  # noqa: E402 (installed with cocotb-coverage)

from nicsim import coverage as fcov
from nicsim import coverage_report as rep


def _db(alone: dict[str, int], ring: dict[str, int] | None = None) -> dict:
    """A functional database as cocotb-coverage's export_to_yaml writes it (parents carry the totals)."""
    def point(hits):
        covered = sum(1 for n in hits.values() if n)
        return {"type": "<class 'cocotb_coverage.coverage.CoverPoint'>", "size": len(hits), "coverage": covered,
                "cover_percentage": round(100 * covered / len(hits), 2), "weight": 1, "at_least": 1,
                "bins:_hits": hits}

    db = {"nic.irq.alone": point({c: alone.get(c, 0) for c in fcov.CAUSES})}
    if ring is not None:
        db["nic.ring.event"] = point({e: ring.get(e, 0) for e in fcov.RING_EVENTS})
    for parent in ("nic", "nic.irq", "nic.ring"):
        kids = [v for k, v in db.items() if k.startswith(parent + ".")]
        size, cov = sum(k["size"] for k in kids), sum(k["coverage"] for k in kids)
        db[parent] = {"type": "<class 'cocotb_coverage.coverage.CoverItem'>", "size": size, "coverage": cov,
                      "cover_percentage": round(100 * cov / size, 2) if size else 0}
    return db


def _write_test(reports: Path, sim: str, test: str, db: dict) -> Path:
    folder = reports / "tests" / sim / test
    folder.mkdir(parents=True)
    path = folder / "coverage.yml"
    path.write_text(yaml.dump(db))
    return path


def test_merge_adds_hits_of_both_simulators(tmp_path):
    _write_test(tmp_path, "icarus", "tb_x.test_a", _db({"RX_DONE": 2}, {"tx_wrap": 1}))
    _write_test(tmp_path, "verilator", "tb_x.test_a", _db({"RX_DONE": 1, "TX_DONE": 1}, {}))
    files = rep.find_files(tmp_path, "coverage.yml")
    goals = {g.name: g for g in rep.merge_functional(files, tmp_path / "out" / "functional.yml")}
    alone = goals["nic.irq.alone"]
    assert alone.hits["RX_DONE"] == 3 and alone.hits["TX_DONE"] == 1
    assert (alone.covered, alone.total) == (2, 6)
    assert alone.holes == ["RX_MISS", "LINK", "MDIO", "DMA_ERR"]
    assert (goals["nic.ring.event"].covered, goals["nic.ring.event"].total) == (1, 7)
    # a goal no run sampled is all holes, with its full size from the model
    fault = goals["nic.fault.kind_x_state"]
    # 15 fault kinds (six DMA accesses and nine others) in 3 driver states
    assert (fault.covered, fault.total) == (0, 15 * 3)
    assert "cable_pull/stopping" in fault.holes


def _point(path: str, line: int, page: str, hier: str, comment: str = "") -> str:
    return (f"\x01f\x02{path}\x01l\x02{line}\x01n\x020\x01page\x02{page}\x01o\x02{comment}"
            f"\x01h\x02{hier}")


def _dat(path: Path, points: list[tuple[str, int]]) -> Path:
    path.write_text("# SystemC::Coverage-3\n" + "".join(f"C '{k}' {n}\n" for k, n in points))
    return path


def test_rtl_merge_folds_instances_and_leaves_the_testbench_out(tmp_path):
    rtl = tmp_path / "rtl"
    regs, tb = str(rtl / "nic_regs.v"), str(rtl / "tb" / "nic_phy_model.v")
    a = _dat(tmp_path / "a.dat", [
        (_point(regs, 10, "v_line/nic_regs", "TOP.nic_a"), 5),   # hit in NIC A only
        (_point(regs, 10, "v_line/nic_regs", "TOP.nic_b"), 0),
        (_point(regs, 20, "v_branch/nic_regs", "TOP.nic_a"), 0),  # never hit: a hole
        (_point(regs, 30, "v_toggle/nic_regs", "TOP.nic_a", "int_cause[0]:0->1"), 0),
        (_point(tb, 5, "v_line/nic_phy_model", "TOP.phy_a"), 0),  # the testbench: not counted
    ])
    b = _dat(tmp_path / "b.dat", [
        (_point(regs, 30, "v_toggle/nic_regs", "TOP.nic_b", "int_cause[0]:0->1"), 2),
    ])
    merged = rep.merge_dat([a, b], tmp_path / "rtl.dat")
    assert rep.read_dat(tmp_path / "rtl.dat") == merged
    points = rep.rtl_points(merged, rtl)
    mods = rep.rtl_modules(points)
    assert [m.name for m in mods] == ["nic_regs"]
    # points: line 10 (hit) and the branch at 20 (not); source lines: the same two lines
    assert mods[0].points == {"line": [1, 2], "source": [1, 2], "toggle": [1, 1]}
    info = rep.write_lcov(points, tmp_path / "rtl.info", rtl).read_text()
    assert f"SF:{rtl / 'nic_regs.v'}" in info and "DA:10,5" in info and "DA:20,0" in info
    assert "nic_phy_model" not in info
    assert rep.rtl_line_holes(points) == {"nic_regs.v": [20]}


def test_summary_table_and_holes(tmp_path):
    _write_test(tmp_path, "icarus", "tb_x.test_a", _db({c: 1 for c in fcov.CAUSES}))
    lines = rep.report(tmp_path, sims=("icarus",))
    text = "\n".join(lines)
    assert "1 icarus test" in text
    row = next(line for line in lines if line.strip().startswith("nic.irq.alone"))
    assert "6/6" in row and "100.0%" in row
    total = sum(len(b) for b in fcov.MODEL.values())
    assert f"6/{total}" in next(line for line in lines if "all bins" in line)
    assert "no coverage.dat" in text
    holes = next(line for line in lines if line.strip().startswith("nic.irq.together:"))
    assert "RX_DONE" in holes and "DMA_ERR" in holes
    for name in ("summary.txt", "index.html", "functional.yml"):
        assert (tmp_path / "coverage" / name).is_file()


def test_frame_classes():
    assert [fcov.size_class(n) for n in (63, 64, 65, 1517, 1518, 1522, 1523)] == \
        ["runt", "64", "65-1517", "65-1517", "1518", "1519-1522", "over-1522"]
    station = bytes.fromhex("020000000b01")
    group = bytes.fromhex("01005e000001")
    table = 1 << fcov.mc_hash_bit(group)
    assert fcov.address_class(station, station, 0) == "station"
    assert fcov.address_class(bytes.fromhex("020000000c01"), station, 0) == "other_unicast"
    assert fcov.address_class(b"\xff" * 6, station, 0) == "broadcast"
    assert fcov.address_class(group, station, table) == "multicast_in_hash"
    assert fcov.address_class(group, station, 0) == "multicast_out_of_hash"
    assert fcov.filter_mode(0x1, 0) == "broadcast"
    assert fcov.filter_mode(0x1, table) == "multicast_hash"
    assert fcov.filter_mode(0x5, table) == "allmulti"
    assert fcov.filter_mode(0x3, 0) == "promisc"


def test_command_says_when_no_run_left_coverage(tmp_path):
    from nicsim import cli

    assert cli.main(["coverage", "--reports", str(tmp_path)]) == 1
    _write_test(tmp_path, "verilator", "tb_x.test_a", _db({"LINK": 1}))
    assert cli.main(["coverage", "--reports", str(tmp_path), "--sim", "verilator"]) == 0
    assert "nic.irq.alone" in (tmp_path / "coverage" / "summary.txt").read_text()


def test_rtl_totals_are_the_default_parameters_points_whatever_ran(tmp_path):
    """A run at other parameters adds points of its own (a wider bus); the totals stay those of the NIC at
    its defaults, its hits on the points both have count, its own points get a line outside the totals."""
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "nic.v").write_text("module nic #(\n    parameter DATA_WIDTH = 64,   // DMA bus\n"
                               "    parameter ADDR_WIDTH = 32\n) ();\nendmodule\n")
    (rtl / "nic_regs.v").write_text("// a source for genhtml to annotate\n" * 40)
    regs = str(rtl / "nic_regs.v")
    shared = [(_point(regs, 10, "v_line/nic_regs", "TOP.nic"), 0),
              (_point(regs, 30, "v_toggle/nic_regs", "TOP.nic", "wdata[0]:0->1"), 0)]
    wide = [(_point(regs, 10, "v_line/nic_regs", "TOP.nic"), 3),
            (_point(regs, 30, "v_toggle/nic_regs", "TOP.nic", "wdata[0]:0->1"), 1),
            (_point(regs, 30, "v_toggle/nic_regs", "TOP.nic", "wdata[100]:0->1"), 1),
            (_point(regs, 30, "v_toggle/nic_regs", "TOP.nic", "wdata[101]:0->1"), 0)]
    folders = {"tb_x.test_a": shared, "tb_x.test_a[TAP_BRIDGE=1]": shared,  # not a NIC parameter
               "tb_x.test_a[DATA_WIDTH=64]": shared, "tb_x.test_a[DATA_WIDTH=512]": wide}
    for name, points in folders.items():
        (tmp_path / "tests" / "verilator" / name).mkdir(parents=True)
        _dat(tmp_path / "tests" / "verilator" / name / "coverage.dat", points)
    assert rep.run_parameters(Path("tb_x.test_a[DATA_WIDTH=512,TAP_BRIDGE=1]")) == \
        {"DATA_WIDTH": "512", "TAP_BRIDGE": "1"}
    assert rep.nic_defaults(rtl) == {"DATA_WIDTH": "64", "ADDR_WIDTH": "32"}
    dats = rep.find_files(tmp_path, "coverage.dat", ("verilator",))
    cov = rep.rtl_coverage(dats, rtl)
    assert (cov.default_runs, cov.runs, cov.other_parameters) == (3, 4, ["DATA_WIDTH=512"])
    assert sorted(cov.points.values()) == [1, 3]  # both default points, hit by the wide run
    assert sorted(cov.beyond.values()) == [0, 1]
    # the same totals with or without the wide run
    for runs in (dats, [d for d in dats if "512" not in str(d)]):
        mods = rep.rtl_modules(rep.rtl_coverage(runs, rtl).points)
        assert [(m.points["line"][1], m.points["source"][1], m.points["toggle"][1]) for m in mods] == [(1, 1, 1)]
    lines = rep.report(tmp_path, sims=("verilator",), rtl_dir=rtl)
    assert any("3 of the 4 Verilator runs" in line for line in lines)
    extra = next(line for line in lines if "not in the totals" in line)
    assert "DATA_WIDTH=512" in extra and "1/2 toggle points" in extra
    # only runs at other parameters: their points are the totals, and the table says so
    only = rep.rtl_coverage([d for d in dats if "512" in str(d)], rtl)
    assert (only.default_runs, len(only.points), only.beyond) == (0, 4, {})


def test_functional_file_totals_agree_with_the_summary(tmp_path):
    """The merged functional.yml's ``nic`` item totals the goals' bins as the summary does; the crosses'
    single axes are an item of their own. The database is cocotb-coverage's own export."""
    from cocotb_coverage.coverage import coverage_db

    fcov.sample_rx_frame("64", "station", "broadcast")
    fcov.sample_media("1000FD")
    folder = tmp_path / "tests" / "verilator" / "tb_x.test_a"
    folder.mkdir(parents=True)
    coverage_db.export_to_yaml(str(folder / fcov.DB_FILE))
    lines = rep.report(tmp_path, sims=("verilator",))
    # bins of the model counted by hand: 6 causes alone + 6 together + 7 ring events + 6 sizes x 4 modes
    # + (5 address classes x 4 modes - 1 unreachable) + 4 media modes + 15 fault kinds x 3 states
    total = 6 + 6 + 7 + 24 + 19 + 4 + 45
    roots = rep.functional_roots(tmp_path / "coverage" / "functional.yml")
    covered = roots["nic"][0]
    assert roots["nic"] == (covered, total) and covered >= 3  # 64/broadcast, station/broadcast, 1000FD
    assert f"{covered:>4}/{total:<4}" in next(line for line in lines if "all bins" in line)
    # the axes: 6 sizes, 5 address classes, 4 modes, 15 fault kinds, 3 states
    assert roots[fcov.AXES][1] == 6 + 5 + 4 + 15 + 3
    assert any(f"item {fcov.AXES}" in line for line in lines)


def test_a_report_leaves_nothing_of_an_earlier_one(tmp_path, capsys):
    """A Verilator report writes rtl.dat, rtl.info (and rtl-html with lcov); an Icarus-only report after it
    merges no coverage.dat, so those go, and its written: line names only what it wrote. Files that are not
    the report's own stay."""
    _write_test(tmp_path, "icarus", "tb_x.test_a", _db({"LINK": 1}))
    _write_test(tmp_path, "verilator", "tb_x.test_a", _db({"LINK": 1}))
    regs = str(rep.RTL_DIR / "nic_regs.v")
    _dat(tmp_path / "tests" / "verilator" / "tb_x.test_a" / "coverage.dat",
         [(_point(regs, 10, "v_line/nic_regs", "TOP.nic"), 2)])
    out = tmp_path / "coverage"
    assert rep.main(["--reports", str(tmp_path)]) == 0
    assert {"rtl.dat", "rtl.info"} <= set(rep.written(out))
    (out / "rtl-html").mkdir(exist_ok=True)  # as genhtml leaves it, lcov installed or not
    (out / "notes.txt").write_text("mine\n")
    capsys.readouterr()

    assert rep.main(["--reports", str(tmp_path), "--sim", "icarus"]) == 0
    printed = capsys.readouterr().out
    assert "no coverage.dat" in printed
    assert printed.splitlines()[-1] == f"written: {out}/ (functional.yml, index.html, summary.txt)"
    assert sorted(p.name for p in out.iterdir()) == ["functional.yml", "index.html", "notes.txt", "summary.txt"]

    # no run of that simulator at all: an error, and no report of an earlier run left to be taken for this one's
    for f in (tmp_path / "tests" / "icarus").glob("*/coverage.yml"):
        f.unlink()
    assert rep.main(["--reports", str(tmp_path), "--sim", "icarus"]) == 1
    assert "no coverage.yml" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_fault_holes_name_the_soak_faults_that_reach_them(tmp_path):
    """Each fault kind of the model is fired by some soak fault; a fault hole's line says which, as a
    SOAK_FAULT_NAMES value the soak accepts."""
    from nicsim import soak

    assert set(soak.COVERAGE_KIND) == set(soak.FAULTS)
    assert set(soak.COVERAGE_KIND.values()) == set(fcov.FAULT_KINDS)
    _write_test(tmp_path, "icarus", "tb_x.test_a", _db({"LINK": 1}))
    lines = rep.report(tmp_path, sims=("icarus",))
    want = {"rx_stall": "rx_ring_exhaustion", "tx_desc_fetch": "dma:tx_desc_fetch", "mtu_change": "mtu",
            "filter_change": "multicast,promisc,allmulti", "cluster_exhaustion": "cluster_exhaustion"}
    for kind, names in want.items():
        line = next(line for line in lines if f"{kind}/mid_burst" in line)
        assert line.strip() == f"{kind}/idle, {kind}/mid_burst, {kind}/stopping (soak: SOAK_FAULT_NAMES={names})"
        assert soak.fault_names(names) == names.split(",")
    assert rep.fault_reach("no_such_kind") == []


def test_usage_errors_exit_2_and_no_coverage_1(tmp_path):
    from nicsim import cli

    for argv in (["coverage", "--sim", "vcs"], ["coverage", "--reports", str(tmp_path / "missing")]):
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        assert e.value.code == 2, argv
    with pytest.raises(SystemExit) as e:
        rep.main(["--sim", "vcs"])
    assert e.value.code == 2
    assert cli.main(["coverage", "--reports", str(tmp_path)]) == 1


def test_a_simulator_named_twice_counts_its_runs_once(tmp_path, capsys):
    _write_test(tmp_path, "icarus", "tb_x.test_a", _db({"LINK": 1}))
    _write_test(tmp_path, "icarus", "tb_x.test_b", _db({"LINK": 1}))
    assert rep.main(["--reports", str(tmp_path), "--sim", "icarus", "--sim", "icarus"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "coverage from 2 icarus tests"
    assert "2/6" not in next(line for line in out.splitlines() if "nic.irq.alone" in line)  # LINK hit, 1 bin
    assert "1/6" in next(line for line in out.splitlines() if "nic.irq.alone" in line)
    db = yaml.safe_load((tmp_path / "coverage" / "functional.yml").read_text())
    assert db["nic.irq.alone"]["bins:_hits"]["LINK"] == 2  # each run's one hit, once


def test_since_leaves_out_what_earlier_runs_left(tmp_path, capsys):
    """make coverage touches a stamp before its runs: files older than it are an earlier run's, never merged,
    even where its cleanup missed them; no newer file is the no-coverage exit, with no earlier report left."""
    import os

    old = _write_test(tmp_path, "verilator", "tb_x.test_old", _db({"LINK": 1}))
    stamp = tmp_path / ".coverage-start"
    stamp.touch()
    os.utime(old, (stamp.stat().st_mtime - 10,) * 2)
    assert rep.main(["--reports", str(tmp_path), "--since", str(stamp)]) == 1
    assert "newer than" in capsys.readouterr().err
    assert not (tmp_path / "coverage" / "summary.txt").exists()
    new = _write_test(tmp_path, "icarus", "tb_x.test_new", _db({"RX_DONE": 1}))
    os.utime(new, (stamp.stat().st_mtime + 10,) * 2)
    assert rep.main(["--reports", str(tmp_path), "--since", str(stamp)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "coverage from 1 icarus test, 0 verilator tests"
    assert "RX_DONE" not in next(line for line in lines if line.strip().startswith("nic.irq.alone:"))
    assert "LINK" in next(line for line in lines if line.strip().startswith("nic.irq.alone:"))
    with pytest.raises(SystemExit) as e:
        rep.main(["--reports", str(tmp_path), "--since", str(tmp_path / "missing")])
    assert e.value.code == 2


def test_fault_holes_end_with_the_whole_soak_recipe(tmp_path):
    """Each fault hole's line names the soak faults only; one line after them says how a soak's coverage
    reaches the report (NICSIM_COVERAGE=1, then nicsim coverage, since make coverage deletes it)."""
    _write_test(tmp_path, "icarus", "tb_x.test_a", _db({"LINK": 1}))
    lines = rep.report(tmp_path, sims=("icarus",))
    at = lines.index(f"  {rep.FAULT_GOAL}:")
    fault_lines = [line for line in lines[at + 1:] if line.startswith("    ")]
    assert fault_lines[-1].strip() == rep.SOAK_RECIPE
    assert sum("make soak" in line for line in lines) == 1
    for word in ("NICSIM_COVERAGE=1", "SOAK_FAULT_NAMES=", "make soak SEED=", "then nicsim coverage"):
        assert word in rep.SOAK_RECIPE


def test_wire_sampling_closes_the_captures(tmp_path):
    """sample_wires reads each wire-*.pcap and closes it, a capture cut mid-record too (no ResourceWarning)."""
    import gc
    import warnings

    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap

    frames = [Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:0b:01") / (b"x" * 50) for _ in range(3)]
    for f in frames:
        f.time = 1.0
    wrpcap(str(tmp_path / "wire-a-to-b.pcap"), frames)
    whole = (tmp_path / "wire-a-to-b.pcap").read_bytes()
    (tmp_path / "wire-b-to-a.pcap").write_bytes(whole[:-20])  # a capture still being written

    class Nic:
        filters = [(0, "broadcast", bytes.fromhex("020000000c01"), 0)]

    fcov._wires[:] = [("wire-a-to-b.pcap", Nic()), ("wire-b-to-a.pcap", Nic())]
    try:
        with warnings.catch_warnings(record=True) as seen:  # an unclosed file warns when collected, not raised
            warnings.simplefilter("always", ResourceWarning)
            assert fcov.sample_wires(tmp_path) >= 3
            gc.collect()
        assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []
    finally:
        fcov._wires.clear()
        fcov._wire_done.clear()
