"""The figures of a run, as text: throughput, latency per call, errors, the chaos and the checks."""
from __future__ import annotations

import math

from .users import Ledger

CALLS = ("start", "tasks", "complete", "instance")
WINDOW = 5.0  # seconds per bucket of the completions timeline


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def timeline(ledger: Ledger) -> list[int]:
    """Acknowledged completions per WINDOW seconds: where a failure stalled the work, and for how long."""
    buckets = [0] * max(1, math.ceil(ledger.seconds / WINDOW))
    for done in ledger.completions:
        buckets[min(len(buckets) - 1, int(done.at // WINDOW))] += 1
    return buckets


def longest_pause(ledger: Ledger, since: float, within: float = 10.0) -> float:
    """The longest time without an acknowledged completion in the `within` seconds from `since`."""
    until = max(since, min(since + within, ledger.seconds))
    times = sorted(c.at for c in ledger.completions if since < c.at <= until)
    edges = [since, *times, until]
    return max(b - a for a, b in zip(edges, edges[1:]))


def report(result) -> str:
    led = result.ledger
    lines = [f"== {result.backend}: {result.users} users x {result.seconds:.0f} s, {result.web_processes} web "
             f"processes + worker; load average {result.load_before[0]:.2f} before, {result.load_after[0]:.2f} after"]
    if result.failure and not led.requests:
        lines.append(f"  FAILED before the load: {result.failure}")
        return "\n".join(lines)
    seconds = led.seconds
    done = len(led.completions)
    lines.append(f"  completions   {done:>6} acknowledged   {rate(done, seconds):7.1f}/s"
                 + (f"   (+{len(led.settled)} done by a cut-off attempt, found by its retry)" if led.settled else ""))
    lines.append(f"  requests      {led.requests:>6} answered       {rate(led.requests, seconds):7.1f}/s   over "
                 f"{seconds:.1f} s; starts {len(led.starts)}")
    lines.append("  latency ms         p50      p95      max   answers")
    for call in CALLS:
        values = led.latency.get(call)
        if values:
            lines.append(f"    {call:<10} {percentile(values, .5) * 1e3:8.1f} {percentile(values, .95) * 1e3:8.1f} "
                         f"{max(values) * 1e3:8.1f} {len(values):>9}")
    statuses = ", ".join(f"{call} {status} x{n}" for (call, status), n in sorted(led.statuses.items()))
    lines.append(f"  statuses      {statuses}")
    retried = ", ".join(f"{cause} x{n}" for cause, n in led.retried.most_common()) or "none"
    lines.append(f"  errors        hard {len(led.errors)}; retried attempts {sum(led.retried.values())} ({retried})")
    for error in led.errors[:10]:
        lines.append(f"    {error}")
    if len(led.errors) > 10:
        lines.append(f"    ... {len(led.errors) - 10} more")
    lines.append(f"  per {WINDOW:.0f} s      " + " ".join(str(n) for n in timeline(led)) + "   (completions)")
    for event in result.events:
        after = f"; longest pause in completions within 10 s: {longest_pause(led, event.at):.1f} s"
        mark = "FINDING " if event.finding else ""
        lines.append(f"  chaos {event.at:6.1f} s  {mark}{event.what}: {event.outcome}{after}")
    lines.append(f"  CPU           approvals serve {result.server_cpu:.1f} s ({rate(result.server_cpu, seconds):.2f} "
                 f"CPUs, {1e3 * rate(result.server_cpu, led.requests):.0f} ms per request); load generator "
                 f"{result.client_cpu:.1f} s ({rate(result.client_cpu, seconds):.2f} CPUs); the machine's CPUs "
                 f"{100 * result.machine_busy:.0f}% busy (everyone's work, the database server's included)")
    if result.consistency is not None:
        for item in result.consistency.checks:
            lines.append(f"  check {'ok  ' if item.ok else 'FAIL'} {item.summary}")
            for problem in item.problems[:10]:
                lines.append(f"    {problem}")
            if len(item.problems) > 10:
                lines.append(f"    ... {len(item.problems) - 10} more")
    lines.append(f"  lost completions {result.lost}")
    if result.failure:
        lines.append(f"  FAILED: {result.failure}")
    lines.append(f"  result        {'PASS' if result.ok else 'FAIL'}")
    return "\n".join(lines)


def summary(results) -> str:
    """One row per database, as the README shows them."""
    head = ("| database | users x s | completions/s | requests/s | p50 / p95 ms (complete) | p50 / p95 ms (tasks) "
            "| hard errors | retried | lost | checks |")
    rows = [head, "|" + "---|" * 10]
    for r in results:
        led = r.ledger
        done, tasks = led.latency.get("complete", []), led.latency.get("tasks", [])
        checks = "pass" if r.consistency is not None and r.consistency.ok else "FAIL"
        rows.append(f"| {r.backend} | {r.users} x {r.seconds:.0f} | {rate(len(led.completions), led.seconds):.1f} "
                    f"| {rate(led.requests, led.seconds):.1f} "
                    f"| {percentile(done, .5) * 1e3:.0f} / {percentile(done, .95) * 1e3:.0f} "
                    f"| {percentile(tasks, .5) * 1e3:.0f} / {percentile(tasks, .95) * 1e3:.0f} "
                    f"| {len(led.errors)} | {sum(led.retried.values())} | {r.lost} | {checks} |")
    return "\n".join(rows)
