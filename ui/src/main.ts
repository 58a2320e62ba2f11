import { watchCspViolations } from "./lib/csp-watch";
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

watchCspViolations();
// Before the first layout: the font stack differs on Linux (see app.css).
if (/\bLinux\b/.test(navigator.userAgent)) document.documentElement.dataset.platform = "linux";

mount(App, { target: document.getElementById("app")! });
