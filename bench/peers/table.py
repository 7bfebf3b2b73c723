#!/usr/bin/env python3
"""Turns one compare.sh results directory into the Markdown table docs/benchmarks.md keeps.

usage: table.py RESULTS_DIR RATE [RATE...]
"""
import json
import os
import sys

results, rates = sys.argv[1], sys.argv[2:]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def targets(report):
    return {t["target"]: t for t in report["targets"]} if report else {}


def num(v, fmt="{:,.0f}"):
    return "-" if v is None else fmt.format(v)


def kv(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                out[k] = float(v)
    return out


def dnsperf(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            name, *fields = line.split()
            out[name] = dict(f.split("=", 1) for f in fields)
    return out


def encrypted(p):
    """Answers per CPU-second of one dnsperf DoT/DoH run, and the queries it lost if any."""
    if not p or "answers_per_cpu_s" not in p:
        return "-"
    text = num(float(p["answers_per_cpu_s"]))
    lost = int(p.get("lost", "0"))
    return text + (f" ({lost:,} lost)" if lost else "")


versions = open(os.path.join(results, "versions.txt")).read().strip().splitlines()
sizes = sorted((d for d in os.listdir(results) if d.isdigit()), key=int)
first = load(os.path.join(results, sizes[0], "closed-mix", "result.json"))
machine = first["machine"]
print(f"Measured {first['startedAt']} on {machine['cpus']} CPUs ({machine['kernel']}), "
      f"servers pinned to CPU 1, load generator (and Knot DNS) on CPU 0.")
print("Versions: " + "; ".join(versions) + ".")
if first.get("generatorCeilingPerCpuSecond"):
    print(f"Load generator ceiling: {first['generatorCeilingPerCpuSecond']:,.0f} answers per generator CPU-second "
          f"(against a trivial responder).")
print()
for size in sizes:
    d = os.path.join(results, size)
    mix_report = load(os.path.join(d, "closed-mix", "result.json"))
    mix, qmix, miss = (targets(load(os.path.join(d, n, "result.json")))
                       for n in ("closed-mix", "closed-querymix", "closed-miss"))
    opens = {r: targets(load(os.path.join(d, f"open-rate-{r}", "result.json"))) for r in rates}
    loads = kv(os.path.join(d, "loadtimes"))
    perf = dnsperf(os.path.join(d, "dnsperf.txt"))
    dot = dnsperf(os.path.join(d, "dnsperf-dot.txt"))
    doh = dnsperf(os.path.join(d, "dnsperf-doh.txt"))
    print(f"**{int(size):,} listed names** (sinkhole for the names and below them)\n")
    head = ("| server | list load s | restart s | RSS MiB after the mix | answers/s, mix | answers per CPU-s, mix "
            "| answers per CPU-s, 200k query mix | dnsperf answers per CPU-s, query mix "
            "| dnsperf DoT answers per CPU-s | dnsperf DoH (HTTP/2 GET) answers per CPU-s "
            "| answers per CPU-s, every name never seen (µs per miss) |")
    for r in rates:
        head += f" p50 / p99 / p99.9 ms at {int(r):,}/s | loss % at {int(r):,}/s |"
    print(head + " wrong % | steal % |")
    print("|---|" + "---:|" * (10 + 2 * len(rates) + 2))
    for name, t in mix.items():
        load_s = loads.get(f"{name}_load_s")
        if name == "safenet" and load_s is not None and "safenet_import_s" in loads:
            # compare.sh's clock for SafeNet DNS starts before its one-time import: take it out.
            load_s -= loads["safenet_import_s"]
        load_text = num(load_s, "{:.1f}")
        if name == "safenet" and "safenet_import_s" in loads:
            load_text += f" (+{loads['safenet_import_s']:.1f} import)"
        restart = num(loads.get(f"{name}_restart_s"), "{:.1f}")
        q, m = qmix.get(name), miss.get(name)
        miss_text = "-"
        if m and m["answersPerCpuSecond"]:
            miss_text = f"{m['answersPerCpuSecond']:,.0f} ({1e6 / m['answersPerCpuSecond']:.0f})"
        wrong = max([t["wrongPercent"], q["wrongPercent"] if q else 0]
                    + [o[name]["wrongPercent"] for o in opens.values() if name in o])
        p = perf.get(name, {})
        row = (f"| {name} | {load_text} | {restart} | {num(t['serverRssMiB'])} | {num(t['qps'])} "
               f"| {num(t['answersPerCpuSecond'])} | {num(q['answersPerCpuSecond']) if q else '-'} "
               f"| {num(float(p['answers_per_cpu_s'])) if p else '-'} "
               f"| {encrypted(dot.get(name))} | {encrypted(doh.get(name))} | {miss_text} |")
        for r in rates:
            o = opens[r].get(name)
            if o:
                lat = o["latencyMs"]
                row += f" {lat['p50']:.2f} / {lat['p99']:.2f} / {lat['p999']:.2f} | {o['lossPercent']:.3f} |"
            else:
                row += " - | - |"
        print(row + f" {wrong:.3f} | {num(t['stealPercent'], '{:.1f}')} |")
    print(f"\nMix: {mix_report['traffic']}.\n")
print(f"Check: {first['check']}. Closed loop: {first['mode']}; {first['order']}. "
      f"Reports (JSON, HTML with charts): bench-results/ of the run.")
