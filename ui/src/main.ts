import { watchCspViolations } from "./lib/csp-watch";
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

watchCspViolations();

mount(App, { target: document.getElementById("app")! });
