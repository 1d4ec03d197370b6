"""The descriptor codec against the layout written out by hand with
``struct`` (little-endian: a 64-bit address, a 16-bit length, two bytes,
32 reserved bits), which is what the datasheet's tables say."""

from __future__ import annotations

import struct

import pytest

from nicdef import regs
from nicdef.desc import decode, encode, rx_desc, tx_desc


def test_tx_descriptor_is_the_documented_layout():
    raw = tx_desc(0x1_2345_6789, 1514, regs.TX_DESC_CMD_EOP | regs.TX_DESC_CMD_RS)
    assert raw == struct.pack("<QHBBI", 0x1_2345_6789, 1514, 0x03, 0, 0)
    assert decode(regs.TX_DESC, raw) == {"ADDR": 0x1_2345_6789, "LEN": 1514, "CMD": 3, "STA": 0, "RSVD": 0}


def test_rx_descriptor_round_trips_what_the_nic_writes_back():
    assert rx_desc(0x8000) == struct.pack("<QHBBI", 0x8000, 0, 0, 0, 0)
    written_back = struct.pack("<QHBBI", 0x8000, 60, regs.RX_DESC_CSUM_IP_CHK,
                               regs.RX_DESC_STA_DD | regs.RX_DESC_STA_EOP, 0)
    d = decode(regs.RX_DESC, written_back)
    assert (d["ADDR"], d["LEN"], d["CSUM"], d["STA"]) == (0x8000, 60, 1, 3)


@pytest.mark.parametrize("bad", [{"LEN": 1 << 16}, {"ADDR": -1}, {"NOPE": 1}])
def test_a_value_that_does_not_fit_its_field_is_refused(bad):
    with pytest.raises(ValueError):
        encode(regs.TX_DESC, **bad)


def test_decode_wants_a_whole_descriptor():
    with pytest.raises(ValueError):
        decode(regs.RX_DESC, bytes(15))
