"""Where a utility's lines go: a callable taking one line, or a file-like."""

from __future__ import annotations


def line_writer(out):
    if out is None:
        return lambda line: None
    if callable(out):
        return out
    return lambda line: out.write(line + "\n")
