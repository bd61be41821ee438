"""Benchmarks for `coach bench`: role-play turn and live-hint latency, ingestion throughput against bare
embedding, many trainees against one server, peak memory; and the scale-index builder they run against.

Every figure is printed with the machine's core count and the exact command; nothing here is asserted
by a unit test (tests only check that the harness runs on tiny sizes and prints the expected keys).
"""

from evals.bench.machine import machine_info, peak_rss_mb, percentiles
from evals.bench.scale import SYNTHETIC_LABEL, build_scale_home

__all__ = ["SYNTHETIC_LABEL", "build_scale_home", "machine_info", "peak_rss_mb", "percentiles"]
