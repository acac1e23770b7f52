#!/usr/bin/env python3
"""Summarizes bench/run_all.sh's results.jsonl as a Markdown table: medians over runs."""
import json
import statistics
import sys
from collections import OrderedDict


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def main(path):
    groups = OrderedDict()
    singles = []
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        name = r.get("name", "?")
        groups.setdefault(name.split("#")[0], []).append(r)

    print("| run | n | median ops/s (min–max) | median p50 ms | median p99 ms (max) | server cores "
          "| others' CPU s |")
    print("|---|---|---|---|---|---|---|")
    for group, runs in groups.items():
        ok = [r for r in runs if not r.get("failed")]
        if not ok:
            print(f"| {group} | {len(runs)} | FAILED | | | | |")
            continue
        first = ok[0]
        if "ops_per_s" in first:
            ops = [r["ops_per_s"] for r in ok]
            p50 = med([r.get("latency_p50_ms") for r in ok])
            p99s = [r.get("latency_p99_ms") for r in ok]
            cores = med([r["server_cpu_s"] / r["measured_s"] for r in ok
                         if "server_cpu_s" in r and r.get("measured_s")])
            others = med([r.get("other_cpu_s") for r in ok])
            print(f"| {group} | {len(ok)} | {fmt(med(ops), 0)} ({fmt(min(ops), 0)}–{fmt(max(ops), 0)}) "
                  f"| {fmt(p50, 2)} | {fmt(med(p99s), 2)} ({fmt(max(p99s), 2)}) | {fmt(cores, 2)} "
                  f"| {fmt(others, 1)} |")
        else:
            singles.append((group, ok))

    for group, runs in singles:
        first = runs[0]
        mode = first.get("mode", "")
        if mode == "list":
            p50 = [r["last_byte_p50_ms"] for r in runs]
            mx = [r["last_byte_max_ms"] for r in runs]
            print(f"\n- **{group}**: {first['objects']:,} objects, verified={first['verified']}, "
                  f"time to last byte median {fmt(med(p50))} ms (max {fmt(max(mx))} ms) over "
                  f"{len(runs)}×{first['runs']} listings, {fmt(first['payload_mb'])} MB payload")
        elif mode == "watch-fanout":
            print(f"\n- **{group}**: {first['watchers']} watchers × {first['updates']} updates; "
                  f"delivered {sum(r['deliveries'] for r in runs):,}/"
                  f"{sum(r['expected_deliveries'] for r in runs):,} "
                  f"({sum(r['delivered_before_ack'] for r in runs):,} before the writer's ack); "
                  f"commit-ack→receive p99 median {fmt(med([r['from_ack_p99_ms'] for r in runs]), 2)} ms; "
                  f"committed_at→receive p50 {fmt(med([r['from_commit_p50_ms'] for r in runs]), 2)} ms, "
                  f"p99 median {fmt(med([r['from_commit_p99_ms'] for r in runs]), 2)} ms (max "
                  f"{fmt(max(r['from_commit_p99_ms'] for r in runs), 2)}); send→receive p99 median "
                  f"{fmt(med([r['from_send_p99_ms'] for r in runs]), 2)} ms; send→last watcher p50 "
                  f"{fmt(med([r['all_delivered_from_send_p50_ms'] for r in runs]), 2)} ms; setup "
                  f"{fmt(med([r['setup_s'] for r in runs]), 2)} s")
        elif mode == "populate":
            for r in runs:
                print(f"\n- **{group}**: {r['objects']:,} Applications in {fmt(r['elapsed_s'])} s "
                      f"= {fmt(r['objects_per_s'], 0)}/s (transactions of {r['batch']}, p50 "
                      f"{fmt(r['transaction_p50_ms'])} ms, max {fmt(r['transaction_max_ms'])} ms)")
        else:
            for r in runs:
                print(f"\n- **{group}**: " + ", ".join(
                    f"{k}={fmt(v, 2) if isinstance(v, float) else v}"
                    for k, v in r.items() if k != "name"))

    ratio = {}
    for t, e in (("update64", "etcd64"), ("update1", "etcd1")):
        if t in groups and e in groups:
            tv = med([r.get("ops_per_s") for r in groups[t] if not r.get("failed")])
            ev = med([r.get("ops_per_s") for r in groups[e] if not r.get("failed")])
            if tv and ev:
                ratio[t] = tv / ev
                print(f"\n- **{t} / {e}** throughput ratio (medians, same run): {ratio[t]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results.jsonl")
