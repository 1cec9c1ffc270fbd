"""Benchmarks of the activity poster against the LeadSquared emulator and moto.

`python -m bench` measures throughput (single and auto delivery), cold start, CPU time and
memory, each beside a baseline measured in the same run, and prints one table (also written to
bench/results.local.md, untracked). Every measured process is a fresh child of the runner; the stand-ins (moto,
the emulator) run in the runner or in processes of their own.
"""
