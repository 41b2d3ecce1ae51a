"""Benchmark tooling: bulk seeding of a large data set and the HTTP benchmark run by ``make bench``."""
