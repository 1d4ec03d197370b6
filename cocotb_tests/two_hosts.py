"""Two simulated hosts, each an io-pkt with the devnp-nic driver on its own
RTL NIC, the two NICs cabled together (``nic_pair_tb``).

Shared by the end-to-end tests and ``make demo``. ``run_script`` types
commands as a person at each host's shell would and keeps the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from host_platform import CocotbPlatform
from nic_harness import start_clock_and_reset

import driver  # noqa: F401  (registers devnp-nic.so with io-pkt's driver table)
from driver.transmit import nic_harvest
from nicdef import regs as R
from stack.kern.iopkt import IoPkt
from stack.netinet import inet_attach
from stack.sbin.shell import run_command

MAC_A = bytes.fromhex("020000000a01")
MAC_B = bytes.fromhex("020000000b01")


@dataclass
class Hosts:
    by_name: dict[str, IoPkt]
    platforms: dict[str, CocotbPlatform]
    transcript: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.transcript.append(line)

    async def sh(self, host: str, command: str):
        """Run one command line on ``host``; its output joins the transcript."""
        return await run_command(self.by_name, command, out=self.say, host=host)


async def build_hosts(dut) -> Hosts:
    await start_clock_and_reset(dut)
    hosts = Hosts({}, {})
    for side, name, mac, irq in (("a", "hostA", MAC_A, 10), ("b", "hostB", MAC_B, 11)):
        plat = CocotbPlatform(dut, side, mac, irq_number=irq)
        iopkt = IoPkt(plat, name=f"io-pkt@{name}")
        await inet_attach(iopkt)
        hosts.by_name[name] = iopkt
        hosts.platforms[name] = plat
    return hosts


async def bring_up_pair(hosts: Hosts) -> None:
    for host, addr in (("hostA", "10.0.0.1"), ("hostB", "10.0.0.2")):
        res = await hosts.sh(host, "mount -T io-pkt /lib/dll/devnp-nic.so")
        assert res.status == 0, res.text
        res = await hosts.sh(host, f"ifconfig nic0 {addr}/24 up")
        assert res.status == 0, res.text
        res = await hosts.sh(host, "ifconfig nic0")
        assert res.status == 0, res.text


NIC_COUNTERS = {
    "txed_ok": R.REG_STAT_TX_FRAMES,
    "octets_txed_ok": R.REG_STAT_TX_OCTETS,
    "rxed_ok": R.REG_STAT_RX_FRAMES,
    "octets_rxed_ok": R.REG_STAT_RX_OCTETS,
}


async def driver_vs_nic_counters(iopkt: IoPkt) -> dict[str, tuple[int, int]]:
    """Each of the driver's counts beside the NIC's own statistics register,
    after the driver has harvested completed transmissions (as it does before
    reporting statistics)."""
    sc = iopkt.alldevs[0]
    await iopkt.stack_call(nic_harvest, sc)
    out = {}
    for name, reg in NIC_COUNTERS.items():
        out[name] = (getattr(sc.stats, name), await sc.regs.read32(reg))
    return out
