"""Benchmarks that print figures (not tests). `python -m bench` runs them all; each
`bench/bench_*.py` module has a `main()` and can also run alone: `python -m bench.bench_x`."""
