// The memory baseline runs Serene's own built UI in Chromium, where there is no Tauri. This
// stands in for Tauri's IPC with the answers the real core gives on a first run, so the page
// renders the same first screen (the consent screen) as the app does under the benchmark.
// Served only by scripts/bench.sh's loopback server; never part of the app.
(() => {
  const answers = {
    app_info: { name: "Serene", version: "0.1.0", platform: "linux" },
    get_consent: { requiredVersion: 1, current: false },
  };
  let nextId = 1;
  window.__TAURI_INTERNALS__ = {
    invoke(command) {
      if (command in answers) return Promise.resolve(structuredClone(answers[command]));
      return Promise.reject({ code: "internal", message: "Not available in the baseline." });
    },
    transformCallback(callback) {
      const id = nextId++;
      window[`_${id}`] = callback;
      return id;
    },
    unregisterCallback(id) {
      delete window[`_${id}`];
    },
    convertFileSrc(path) {
      return path;
    },
    metadata: {
      currentWindow: { label: "main" },
      currentWebview: { label: "main", windowLabel: "main" },
    },
    plugins: {},
  };
})();
