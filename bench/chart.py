"""Draws the distributions of one benchmark run (bench/results/latest.json) as a PNG.

Usage: python3 bench/chart.py LATEST_JSON OUT_PNG
Boxes span p25-p75 with the median line; whiskers reach p1 and p99; dots are launches.
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SERENE = "#3a7d6e"
BASE = "#9a9a9a"
CHROMIUM = "#c9803a"


def boxes(ax, series, title, unit, colors):
    data = [s for _, s in series if s]
    labels = [name for name, s in series if s]
    if not data:
        ax.set_visible(False)
        return
    parts = ax.boxplot(
        data,
        whis=(1, 99),
        showfliers=False,
        patch_artist=True,
        widths=0.55,
    )
    ax.set_xticks(range(1, len(labels) + 1), labels)
    for patch, color in zip(parts["boxes"], colors):
        patch.set_facecolor(color)
        patch.set_alpha(0.55)
    for median in parts["medians"]:
        median.set_color("black")
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)


def dots(ax, series, title, unit, colors):
    for i, ((name, values), color) in enumerate(zip(series, colors), start=1):
        if not values:
            continue
        xs = [i + (j - len(values) / 2) * 0.02 for j in range(len(values))]
        ax.scatter(xs, values, color=color, s=18, alpha=0.8)
        ordered = sorted(values)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        ax.hlines(median, i - 0.25, i + 0.25, color="black")
    ax.set_xticks(range(1, len(series) + 1), [name for name, _ in series])
    ax.set_xlim(0.4, len(series) + 0.6)
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)


def main():
    latest, out = sys.argv[1], sys.argv[2]
    with open(latest) as f:
        run = json.load(f)
    ui = (run.get("ui") or {}).get("apps") or {}
    mem = (run.get("memory") or {}).get("apps") or {}
    core = run.get("core") or {}

    def get(d, *path):
        for key in path:
            if not isinstance(d, dict):
                return []
            d = d.get(key)
        return d or []

    fig, axes = plt.subplots(2, 4, figsize=(17, 8))
    dots(
        axes[0][0],
        [("Serene\nfirst run", get(ui, "serene", "start", "samples_ms")),
         ("hello\nfirst run", get(ui, "hello", "start", "samples_ms")),
         ("Serene\nreturning", get(ui, "serene", "start_returning", "samples_ms")),
         ("hello\nreturning", get(ui, "hello", "start_returning", "samples_ms"))],
        "Start to UI-ready (each launch)",
        "ms",
        [SERENE, BASE, SERENE, BASE],
    )
    dots(
        axes[0][1],
        [("Serene", get(mem, "serene", "alone_mib", "samples")),
         ("hello", get(mem, "hello", "alone_mib", "samples")),
         ("Chromium", get(mem, "chromium", "alone_mib", "samples"))],
        "Idle memory, the app alone (each launch)",
        "MiB",
        [SERENE, BASE, CHROMIUM],
    )
    dots(
        axes[0][2],
        [("Serene", get(mem, "serene", "pss_mib", "samples")),
         ("hello", get(mem, "hello", "pss_mib", "samples")),
         ("Chromium", get(mem, "chromium", "pss_mib", "samples"))],
        "Idle memory, PSS as measured (each launch)",
        "MiB",
        [SERENE, BASE, CHROMIUM],
    )
    boxes(
        axes[0][3],
        [("Serene", get(ui, "serene", "ipc", "samples_ms")),
         ("hello", get(ui, "hello", "ipc", "samples_ms"))],
        "IPC round trip in the page (app_info)",
        "ms",
        [SERENE, BASE],
    )
    mediation = get(core, "mediation")
    boxes(
        axes[1][0],
        [("bare\nreqwest", get(mediation, "bare_reqwest", "samples_ms")),
         ("gateway", get(mediation, "gateway", "samples_ms")),
         ("service\n(key in\nmemory)", get(mediation, "service_memory_store", "samples_ms")),
         ("service\n(OS\nkeychain)", get(mediation, "service_os_keychain", "samples_ms"))],
        "Same request: bare client vs through the core",
        "ms",
        [BASE, SERENE, SERENE, SERENE],
    )
    first = get(core, "speech", "first_chunk")
    boxes(
        axes[1][1],
        [("bare\nreqwest", get(first, "bare_reqwest", "samples_ms")),
         ("core to\nsink", get(first, "core_to_sink", "samples_ms"))],
        "First speech chunk after the fake's first byte",
        "ms",
        [BASE, SERENE],
    )
    relay = get(core, "relay")
    boxes(
        axes[1][2],
        [("bare", get(relay, "up", "bare", "samples_ms")),
         ("core", get(relay, "up", "core", "samples_ms"))],
        "Voice relay: microphone frame to agent",
        "ms",
        [BASE, SERENE],
    )
    boxes(
        axes[1][3],
        [("bare", get(relay, "down", "bare", "samples_ms")),
         ("core", get(relay, "down", "core", "samples_ms"))],
        "Voice relay: agent audio to sink",
        "ms",
        [BASE, SERENE],
    )
    meta = run.get("meta") or {}
    fig.suptitle(
        f"Serene benchmarks, run {meta.get('run_label', '?')} ({meta.get('date', '?')}): "
        "boxes p25-p75, whiskers p1-p99, line = median",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    main()
