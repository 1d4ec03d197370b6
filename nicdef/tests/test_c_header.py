"""The generated C header (``include/nic_regs.h``) compiles cleanly as C11
and says what the definition says: a C program built against it prints every
offset, mask, constant, descriptor size and field offset, as the C compiler
sees them, and each must equal ``nicdef``'s value."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from nicdef import regs
from nicdef.generate import C_OUT, render_c

CC = shutil.which("cc") or shutil.which("gcc")


def expected() -> dict[str, int]:
    """What each C name must be, from the definition."""
    out = {"NIC_VENDOR_ID": regs.VENDOR_ID, "NIC_DEVICE_ID": regs.DEVICE_ID, "NIC_DESC_SIZE": regs.DESC_SIZE,
           "NIC_INT_ALL": regs.INT_ALL}
    for reg in regs.REGISTERS:
        out[f"NIC_REG_{reg.name}"] = reg.offset
        if reg.fields and reg.fields is not regs.INT_CAUSE_FIELDS:
            for f in reg.fields:
                out[f"NIC_{reg.name}_{f.name}_SHIFT"] = f.lsb
                out[f"NIC_{reg.name}_{f.name}_MASK"] = f.mask
    for f in regs.INT_CAUSE_FIELDS:
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


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_the_header_compiles_with_warnings_as_errors_and_matches_nicdef(tmp_path):
    want = expected()
    body = "".join(f'    printf("%s %llu\\n", "{name.replace(chr(34), "")}", (unsigned long long)({name}));\n'
                   for name in want)
    src = tmp_path / "check.c"
    src.write_text('#include "nic_regs.h"\n#include <stdio.h>\n\nint main(void)\n{\n' + body + "    return 0;\n}\n")
    exe = tmp_path / "check"
    build = subprocess.run([CC, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(C_OUT.parent),
                            str(src), "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    got = {}
    for line in subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines():
        name, value = line.rsplit(" ", 1)
        got[name] = int(value)
    assert got == want
