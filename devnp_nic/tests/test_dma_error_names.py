"""devnp-nic names every DMA error cause the NIC reports (datasheet, *DMA
errors*; ``*_ERR_INFO`` in docs/registers.md): the AXI response, or the
NIC's own refusal of an address or a descriptor."""

from types import SimpleNamespace

from devnp_nic.event import describe_dma_error
from nicdef import regs as R

SC = SimpleNamespace(tx_ring=0x1000, rx_ring=0x2000)


def info(cause: int = 0, resp: int = 0, write: bool = False) -> int:
    return (cause << R.TX_ERR_INFO_CAUSE_SHIFT) | (resp << R.TX_ERR_INFO_RESP_SHIFT) | (R.TX_ERR_INFO_WRITE * write)


def test_axi_responses_by_name():
    assert describe_dma_error(SC, "transmit", 0x70000, info(resp=2)) == "transmit buffer read at 0x70000 (SLVERR)"
    assert describe_dma_error(SC, "receive", 0x2008, info(resp=3, write=True)) \
        == "receive descriptor write-back at 0x2008 (DECERR)"


def test_address_out_of_range_by_name():
    text = describe_dma_error(SC, "receive", 0x1_0000_2000, info(R.DMA_ERR_CAUSE_RANGE, write=True))
    assert text.startswith("receive buffer write at 0x100002000 (address out of range")


def test_refused_descriptor_by_name():
    text = describe_dma_error(SC, "transmit", 0x1010, info(R.DMA_ERR_CAUSE_DESC))
    assert text.startswith("transmit descriptor at 0x1010 (descriptor refused")
    assert str(R.TX_DESC_LEN_MAX) in text
