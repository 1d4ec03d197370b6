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
    assert mods[0].points == {"line": [1, 2], "toggle": [1, 1]}
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
