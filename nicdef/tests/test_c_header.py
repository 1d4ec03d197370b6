"""The generated C header (``include/nic_regs.h``) compiles cleanly as C11
and as C++17 and says what the definition says: a program built against it
prints every macro the header defines (offsets, shifts, masks, constants),
every descriptor size and field offset, as the compiler sees them, and each
must equal ``nicdef``'s value; a macro with no expected value fails the test."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nicdef import __version__, regs
from nicdef.generate import C_OUT, render_c

CC = shutil.which("cc") or shutil.which("gcc")
CXX = shutil.which("c++") or shutil.which("g++")


def expected() -> dict[str, int]:
    """What each C name must be, from the definition."""
    out = {"NIC_VENDOR_ID": regs.VENDOR_ID, "NIC_DEVICE_ID": regs.DEVICE_ID, "NIC_REVISION": regs.REVISION,
           "NIC_REG_WINDOW": 1 << regs.AXIL_ADDR_WIDTH, "NIC_DESC_SIZE": regs.DESC_SIZE, "NIC_INT_ALL": regs.INT_ALL}
    for name in ("DEFAULT_RX_BUF_SIZE", "DEFAULT_MAX_FRAME_LEN", "DEFAULT_MDIO_DIV", "RX_BUF_CHUNK",
                 "INT_THROTTLE_UNIT_NS", "MDIO_OP_WRITE", "MDIO_OP_READ", "SPEED_1000", "SPEED_100", "SPEED_10",
                 "TX_DESC_LEN_MAX", "TX_FRAME_LEN_MAX",
                 "DMA_ERR_CAUSE_BUS", "DMA_ERR_CAUSE_RANGE", "DMA_ERR_CAUSE_DESC"):
        out[f"NIC_{name}"] = getattr(regs, name)
    for reg in regs.REGISTERS:
        out[f"NIC_REG_{reg.name}"] = reg.offset
        if reg.fields and reg.fields is not regs.INT_CAUSE_FIELDS:
            for f in reg.fields:
                out[f"NIC_{reg.name}_{f.name}_SHIFT"] = f.lsb
                out[f"NIC_{reg.name}_{f.name}_MASK"] = f.mask
    for f in regs.INT_CAUSE_FIELDS:
        out[f"NIC_INT_{f.name}_SHIFT"] = f.lsb
        out[f"NIC_INT_{f.name}_MASK"] = f.mask
    for desc in regs.DESCRIPTORS:
        tag = desc.name.lower()
        out[f"sizeof(struct nic_{tag})"] = desc.size
        for df in desc.fields:
            out[f"offsetof(struct nic_{tag}, {df.name.lower()})"] = df.byte_offset
            out[f"sizeof(((struct nic_{tag} *)0)->{df.name.lower()}) * 8"] = df.width
            for f in df.flags:
                out[f"NIC_{desc.name}_{df.name}_{f.name}"] = f.mask
    return out


def test_the_committed_header_is_current():
    assert C_OUT.read_text() == render_c(), "include/nic_regs.h is stale: run `make gen`"


def defined_macros() -> set[str]:
    """Every value macro the header defines (not the guard or the assert alias)."""
    names = set()
    for line in C_OUT.read_text().splitlines():
        if line.startswith("#define "):
            names.add(line.split()[1])
    return names - {"NIC_REGS_H", "NIC_STATIC_ASSERT", "NIC_SIM_RELEASE"}


def test_every_macro_has_an_expected_value():
    unchecked = sorted(defined_macros() - set(expected()))
    assert not unchecked, f"macros in nic_regs.h with no value from nicdef to check: {unchecked}"


def build_and_print(tmp_path, compiler: str, std: str, suffix: str) -> tuple[dict[str, int], str]:
    """Compile a program that prints each expected name's value as the
    compiler sees it, and the release string; run it."""
    want = expected()
    body = "".join(f'    printf("%s %llu\\n", "{name.replace(chr(34), "")}", (unsigned long long)({name}));\n'
                   for name in want)
    src = tmp_path / f"check{suffix}"
    src.write_text('#include "nic_regs.h"\n#include <stdio.h>\n\nint main(void)\n{\n' + body
                   + '    printf("release %s\\n", NIC_SIM_RELEASE);\n    return 0;\n}\n')
    exe = tmp_path / f"check-{std}"
    build = subprocess.run([compiler, f"-std={std}", "-Wall", "-Wextra", "-Werror", "-pedantic",
                            "-I", str(C_OUT.parent), str(src), "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    got, release = {}, None
    for line in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines():
        name, value = line.rsplit(" ", 1)
        if name == "release":
            release = value
        else:
            got[name] = int(value)
    return got, release


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("std", ["c11", "c17"])  # C11: _Static_assert checks the layout
def test_the_header_compiles_as_c_with_warnings_as_errors_and_matches_nicdef(tmp_path, std):
    got, release = build_and_print(tmp_path, CC, std, ".c")
    assert got == expected()
    assert release == __version__


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
@pytest.mark.parametrize("std", ["c++11", "c++17"])
def test_the_header_compiles_as_cpp_with_warnings_as_errors_and_matches_nicdef(tmp_path, std):
    got, release = build_and_print(tmp_path, CXX, std, ".cpp")
    assert got == expected()
    assert release == __version__
