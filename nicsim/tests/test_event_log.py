"""The event log's naming of registers and descriptors, and its bound, without a simulator: values
built from nicdef's own definitions (field masks, the descriptor codec), checked by name."""

from __future__ import annotations

from nicdef import regs as R
from nicdef.desc import encode
from nicsim.event_log import HEADER, EventLog, describe_descriptor, describe_register


def test_register_fields_by_name():
    assert describe_register(R.REG_INT_MASK_SET, R.INT_RX_DONE | R.INT_TX_DONE) == "INT_MASK_SET = RX_DONE|TX_DONE"
    assert describe_register(R.REG_INT_CAUSE, 0) == "INT_CAUSE = 0"
    speed = next(f for r in R.REGISTERS if r.name == "CTRL" for f in r.fields if f.name == "SPEED")
    assert speed.width > 1
    value = R.CTRL_TX_EN | (R.SPEED_100 << speed.lsb)
    assert describe_register(R.REG_CTRL, value) == f"CTRL = TX_EN|SPEED={R.SPEED_100}"
    assert describe_register(R.REG_INT_CAUSE, R.INT_LINK | 1 << 31) == "INT_CAUSE = LINK|0x80000000"


def test_counters_decimal_plain_registers_hex_unknown_offsets_raw():
    assert describe_register(R.REG_STAT_RX_FRAMES, 1234) == "STAT_RX_FRAMES = 1234"
    assert describe_register(R.REG_TX_TAIL, 17) == "TX_TAIL = 0x11"
    assert describe_register(0xFFC, 5) == "0xffc = 0x5"


def test_descriptors_by_field():
    raw = encode(R.TX_DESC, ADDR=0x1200E, LEN=98, CMD=R.TX_DESC_CMD_EOP | R.TX_DESC_CMD_RS)
    assert describe_descriptor("TX", raw) == "ADDR=0x1200e LEN=98 CMD=EOP|RS STA=0"
    raw = encode(R.RX_DESC, ADDR=0x82000, LEN=60, STA=R.RX_DESC_STA_DD | R.RX_DESC_STA_EOP)
    assert describe_descriptor("RX", raw) == "ADDR=0x82000 LEN=60 CSUM=0 STA=DD|EOP"


def test_bounded_and_ordered_by_time():
    clock = [0]
    log = EventLog(lambda: clock[0], limit=3)
    for t in (30, 10, 20, 40):
        clock[0] = t
        log.register("h", "nic", True, R.REG_TX_TAIL, t)
    lines = log.lines()
    assert lines[:len(HEADER.splitlines())] == HEADER.splitlines()
    assert "the first 1 events are not kept (the last 3 are)" in lines[len(HEADER.splitlines())]
    assert [e.time_ns for e in log.events()] == [10, 20, 40]
