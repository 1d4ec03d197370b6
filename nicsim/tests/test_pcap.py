"""The wire captures' writers without a simulator: the C one
(rtl/tb/gmii_pcap.c, built as the Verilator runner builds it, driven through
the calls gmii_pcap.v makes per byte and per burst) and the Python one
(nicsim.pcap, the one-NIC bench's), each given the same bursts and read back
with scapy; FCS values from zlib. The HDL side is checked by
cocotb_tests/tb_wire_capture.py."""

from __future__ import annotations

import ctypes
import struct
import zlib

import pytest
import scapy.layers.l2  # noqa: F401  (Ether, so rdpcap decodes link type 1)
from scapy.utils import rdpcap

from nicsim import pcap, runner

CLK_NS = 8
PRE = b"\x55" * 7 + b"\xd5"


def with_fcs(frame: bytes) -> bytes:
    return frame + struct.pack("<I", zlib.crc32(frame))


GOOD = with_fcs(bytes.fromhex("ffffffffffff020000000001" "0806") + bytes(range(46)))

# (name, burst bytes, er bits (None: none), the record expected, the problems expected (substrings, in order))
CASES = [
    ("good", PRE + GOOD, None, GOOD, []),
    ("short preamble", b"\x55\xd5" + GOOD, None, GOOD, []),
    ("bad FCS", PRE + GOOD[:-1] + b"\x00", None, GOOD[:-1] + b"\x00", ["bad FCS"]),
    ("tx_er", PRE + GOOD, [0] * 10 + [1] * 2 + [0] * 60, GOOD, ["gmii_tx_er on bytes 2..3"]),
    ("tx_er in preamble", PRE + GOOD, [0, 1] + [0] * 70, GOOD, ["gmii_tx_er in the preamble"]),
    ("no SFD", b"\x55\x55\x12" + GOOD, None, b"\x55\x55\x12" + GOOD,
     ["no SFD: byte 2 (0x12) is neither preamble nor SFD"]),
    ("preamble alone", b"\x55" * 5, None, b"\x55" * 5, ["no SFD: 5 bytes of preamble alone"]),
    ("runt", PRE + with_fcs(bytes(20)), None, with_fcs(bytes(20)), ["runt: 24 bytes"]),
    ("shorter than an FCS", PRE + b"\x01\x02", None, b"\x01\x02", ["shorter than an FCS", "runt"]),
]


@pytest.fixture(scope="module")
def c_lib(tmp_path_factory):
    """The C writer, in a library of its own (its state is global, as in a simulation)."""
    path = runner.build_host_mem("verilator", tmp_path_factory.mktemp("gp"))
    lib = ctypes.CDLL(str(path))
    lib.gp_open.argtypes = [ctypes.c_char_p]
    lib.gp_byte.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_longlong]
    lib.gp_end.argtypes = [ctypes.c_int]
    lib.gp_retarget.argtypes = [ctypes.c_char_p]
    lib.gp_records.argtypes = [ctypes.c_char_p]
    lib.gp_records.restype = ctypes.c_longlong
    return lib


def c_write(lib, handle: int, bursts: list[tuple[bytes, list[int] | None, int]], end: bool = True) -> None:
    """Hand each (bytes, er bits, first byte's ns) to C as gmii_pcap.v does: one byte per clock."""
    for i, (data, er, t0) in enumerate(bursts):
        for n, b in enumerate(data):
            lib.gp_byte(handle, b, (er or [0] * len(data))[n], t0 + CLK_NS * n)
        if end or i < len(bursts) - 1:
            lib.gp_end(handle)


def errors(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def check(folder, name: str, t0s: list[int]) -> None:
    """The pcap and errors file of wire ``name`` hold CASES, the i-th burst's first byte at t0s[i]."""
    records = rdpcap(str(folder / f"{name}.pcap"))
    assert [bytes(r) for r in records] == [c[3] for c in CASES]
    lines = iter(errors(folder / f"{name}.errors.txt"))
    for n, ((case, burst, _, record, problems), rec, t0) in enumerate(zip(CASES, records, t0s, strict=True), 1):
        sfd = burst.find(0xD5) if record != burst else -1
        want_ns = t0 + CLK_NS * sfd if sfd >= 0 else t0  # stamped at the SFD, else the first byte
        assert int(rec.time * 1_000_000_000) == want_ns, case
        if problems:
            line = next(lines)
            assert line.startswith(f"frame {n} at {want_ns} ns, {len(record)} bytes: "), (case, line)
            pos = [line.find(p) for p in problems]
            assert -1 not in pos and pos == sorted(pos), (case, line)
    assert next(lines, None) is None


def test_c_writer(c_lib, tmp_path, monkeypatch):
    """Each burst one record: preamble and SFD stripped (whole when there is no SFD), the FCS kept, stamped
    at the SFD in ns (seconds past 2**32 ns too), readable while the simulation still runs (flushed), each
    bad one a line in the errors file; the folder is made."""
    folder = tmp_path / "deep" / "artifacts"
    monkeypatch.setenv(pcap.ARTIFACTS_ENV, str(folder))
    h = c_lib.gp_open(b"wire-x")
    assert h >= 0 and (folder / "wire-x.pcap").exists() and len(rdpcap(str(folder / "wire-x.pcap"))) == 0
    t0s = [5_000_000_000 + 1000 * i for i in range(len(CASES))]
    c_write(c_lib, h, [(burst, er, t) for (_, burst, er, _, _), t in zip(CASES, t0s, strict=True)])
    check(folder, "wire-x", t0s)
    assert c_lib.gp_records(b"wire-x") == len(CASES)

    # a burst under way when the files move is written, marked cut; the new folder starts empty
    c_write(c_lib, h, [(PRE + GOOD[:30], None, 9000)], end=False)
    assert c_lib.gp_retarget(str(tmp_path / "next").encode()) >= 1
    last = errors(folder / "wire-x.errors.txt")[-1]
    assert last.startswith(f"frame {len(CASES) + 1} at {9000 + 7 * CLK_NS} ns, 30 bytes: bad FCS"), last
    assert last.endswith("; cut by the end of the simulation"), last
    assert bytes(rdpcap(str(folder / "wire-x.pcap"))[-1]) == GOOD[:30]
    assert c_lib.gp_records(b"wire-x") == 0 and len(rdpcap(str(tmp_path / "next" / "wire-x.pcap"))) == 0
    c_write(c_lib, h, [(PRE + GOOD, None, 100)])
    assert [bytes(r) for r in rdpcap(str(tmp_path / "next" / "wire-x.pcap"))] == [GOOD]
    assert c_lib.gp_retarget(None) == 0 and c_lib.gp_records(b"wire-x") == -1


def test_c_writer_off_without_folder(c_lib, monkeypatch):
    """No NICSIM_ARTIFACTS: no handle (the HDL then never calls again), nothing written."""
    monkeypatch.delenv(pcap.ARTIFACTS_ENV, raising=False)
    assert c_lib.gp_open(b"wire-y") == -1
    assert c_lib.gp_records(b"wire-y") == -1


def test_python_writer(tmp_path):
    """The Python writer (the one-NIC bench's wires) frames, stamps and names problems as the C one does."""
    wire = pcap.PcapWire(tmp_path, "wire-x")
    assert len(rdpcap(str(tmp_path / "wire-x.pcap"))) == 0
    t0s = [5_000_000_000 + 1000 * i for i in range(len(CASES))]
    for (_, burst, er, _, _), t0 in zip(CASES, t0s, strict=True):
        b, sfd = pcap.analyse_burst(burst, er)
        wire.write(b, t0 + CLK_NS * sfd if sfd >= 0 else t0)
    check(tmp_path, "wire-x", t0s)
    wire.close()


def test_no_capture_without_folder(monkeypatch):
    """record_gmii hooks nothing when there is no artifact folder."""
    monkeypatch.delenv(pcap.ARTIFACTS_ENV, raising=False)

    class Model:
        queue = object()

    m = Model()
    assert pcap.record_gmii(m, m) == [] and m.queue is Model.queue
