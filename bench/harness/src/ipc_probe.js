// Runs in the app's page (WebDriver "execute async"): times `calls` round trips of a
// trivial command through Tauri's IPC, one call at a time, after `warmup` calls timed the
// same way and discarded (so the timing code itself is warm).
//
// WebKit coarsens performance.now() (to 1 ms here), far coarser than one round trip. So each
// call starts right after a clock tick, and after it returns the page spins until the next
// tick and then through one whole tick, counting iterations. The harness turns the counts
// into time with the median spin rate over all calls: a call took
//   (first tick after it) - (start tick) - (spins to that tick) / (spins per tick) * tick.
// The first term alone is the call's duration rounded up to whole ticks, which needs no
// spin rate at all: it is what the share of calls under 1 ms is computed from.
const [command, calls, warmup] = arguments;
const done = arguments[arguments.length - 1];
const invoke = window.__TAURI_INTERNALS__.invoke;
const now = () => performance.now();

function resolution() {
  let smallest = Infinity;
  const until = now() + 30;
  let previous = now();
  while (previous < until) {
    const t = now();
    if (t !== previous) {
      smallest = Math.min(smallest, t - previous);
      previous = t;
    }
  }
  return smallest;
}

function tickEdge() {
  const t = now();
  let u;
  do {
    u = now();
  } while (u === t);
  return u;
}

(async () => {
  const res = resolution();
  const fine = res <= 0.02;
  const out = { resolution: res, method: fine ? "direct" : "tick-edge", samples: [], start: [], end: [], toEdge: [], whole: [] };
  let result;
  for (let i = 0; i < warmup + calls; i++) {
    const keep = i >= warmup;
    if (fine) {
      const t0 = now();
      result = await invoke(command);
      const took = now() - t0;
      if (keep) out.samples.push(took);
      continue;
    }
    const t0 = tickEdge();
    result = await invoke(command);
    const a = now();
    let toEdge = 0;
    let edge;
    do {
      edge = now();
      toEdge++;
    } while (edge === a);
    let whole = 0;
    let next;
    do {
      next = now();
      whole++;
    } while (next === edge);
    if (keep) {
      out.start.push(t0);
      out.end.push(edge);
      out.toEdge.push(toEdge);
      out.whole.push(whole);
    }
  }
  // A cross-check that needs no spinning: the mean over back-to-back calls.
  const batch = Math.min(calls, 200);
  const b0 = now();
  for (let i = 0; i < batch; i++) await invoke(command);
  out.batchMean = (now() - b0) / batch;
  out.result = result;
  done(out);
})().catch((e) => done({ error: String(e) }));
