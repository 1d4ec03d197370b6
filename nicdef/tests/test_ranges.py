"""Every register and descriptor field states its legal values and what the
NIC does outside them (the datasheet's promise that no value is undefined),
and the generated reference prints both."""

from nicdef import generate, regs


def test_every_register_and_descriptor_field_has_a_range_and_an_outside_behaviour():
    missing = [r.name for r in regs.REGISTERS if not (r.legal.strip() and r.outside.strip())]
    missing += [f"{d.name}.{f.name}" for d in regs.DESCRIPTORS for f in d.fields
                if not (f.legal.strip() and f.outside.strip())]
    assert missing == []


def test_reference_prints_them():
    md = generate.render_markdown()
    for r in regs.REGISTERS:
        assert f"| {r.legal} | {r.outside} |" in md, r.name
    for d in regs.DESCRIPTORS:
        for f in d.fields:
            assert f"| {f.legal} | {f.outside} |" in md, f"{d.name}.{f.name}"
