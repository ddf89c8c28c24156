"""Benchmarks of gotrim on real modules (see bench/README.md); each has a `python -m bench.NAME` entry point:

- `bench.commands`: why, size, suggest, dce and suggest --measure against the go commands they cannot avoid;
- `bench.accuracy`: estimated against measured bytes of every candidate suggest --measure verifies;
- `bench.gsa`: gotrim size against go-size-analyzer on the same binary;
- `bench.bench_dce`, `bench.bench_gosource`: the dce parser and the gosource index.
"""
