"""Bounded load test of ``auditkit serve`` on loopback: N concurrent clients for S seconds on the
decision page and on the lineage JSON API; counts errors and prints p50/p95/p99 latency.

    .venv/bin/python bench/bench_web.py --clients 50 --seconds 30

Starts the server itself (sample data, as in docs/web.md) on a free 127.0.0.1 port and stops it.
Every answer is checked: status 200, and the page/JSON names the decision.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
from web_server import SAMPLE_ARGS, serve  # noqa: E402

TARGETS = {"decision page": "/decisions/APP-004711", "lineage JSON": "/api/lineage/APP-004711"}


async def hammer(base: str, path: str, clients: int, seconds: float) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def one_client() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    r = await client.get(path)
                    ok = r.status_code == 200 and "APP-004711" in r.text
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                errors += not ok

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, errors, len(latencies)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    with serve(SAMPLE_ARGS) as base:
        httpx.get(base + TARGETS["decision page"], timeout=120)  # first read fills the cache, as a first visitor would
        print(f"{args.clients} clients × {args.seconds:g} s each target, server {base}")
        print("| target | requests | errors | req/s | p50 | p95 | p99 | max |")
        print("|---|---|---|---|---|---|---|---|")
        for name, path in TARGETS.items():
            lat, errors, n = asyncio.run(hammer(base, path, args.clients, args.seconds))
            ms = [x * 1000 for x in lat]
            print(f"| {name} | {n} | {errors} | {n / args.seconds:.1f} | {pct(ms, 50):.0f} ms | {pct(ms, 95):.0f} ms "
                  f"| {pct(ms, 99):.0f} ms | {max(ms):.0f} ms |")


if __name__ == "__main__":
    main()
