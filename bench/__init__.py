"""Benchmarks: the hub measured against the raw libraries it stands on, in the same run.

Absolute figures on a shared VM drift by tens of percent between runs; a ratio to the bare
library measured minutes apart on the same machine does not, which is why every hub figure
that has a library underneath it is reported beside that library's figure and the ratio.
Run with `python -m bench [--quick|--smoke] [--only NAME...] [--output FILE]`.
"""
