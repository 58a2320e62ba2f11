import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";

// A hand-rolled stub rather than vi.fn(): Vitest 4 reports a spy's rejected promise as a
// test failure even when the code under test handles it.
const calls: unknown[][] = [];
let reply: () => Promise<unknown> = async () => undefined;
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => {
    calls.push(args);
    return reply();
  },
}));

import HelpDialog from "./HelpDialog.svelte";

describe("HelpDialog", () => {
  beforeEach(() => {
    calls.length = 0;
    reply = async () => undefined;
  });

  it("lists the required crisis lines without asking the core", () => {
    render(HelpDialog, { open: true });
    const text = screen.getByRole("dialog", { name: "Get help now" }).textContent ?? "";
    expect(text).toContain("Call or text 988");
    expect(text).toContain("Samaritans");
    expect(text).toContain("Call 116 123");
    expect(text).toContain("Lifeline");
    expect(text).toContain("Call 13 11 14");
    expect(text).toContain("findahelpline.com");
    expect(calls).toEqual([]);
  });

  it("opens a site by id through the core, never by URL", async () => {
    render(HelpDialog, { open: true });
    await fireEvent.click(screen.getByRole("button", { name: "Open findahelpline.com in your browser" }));
    expect(calls).toEqual([["open_help_link", { id: "findahelpline" }]]);
  });

  it("shows the core's message when the browser cannot be opened", async () => {
    reply = async () => {
      throw { code: "system_unavailable", message: "Serene could not open your web browser." };
    };
    render(HelpDialog, { open: true });
    await fireEvent.click(screen.getByRole("button", { name: "Open samaritans.org in your browser" }));
    expect((await screen.findByRole("alert")).textContent).toContain("could not open your web browser");
  });

  it("closes with the Close button", async () => {
    render(HelpDialog, { open: true });
    const dialog = screen.getByRole("dialog", { name: "Get help now" });
    await fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(dialog.hasAttribute("open")).toBe(false);
  });
});
