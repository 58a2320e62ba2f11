import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";

const calls: [string, Record<string, unknown> | undefined][] = [];
let replies: Record<string, () => Promise<unknown>> = {};
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (command: string, args?: Record<string, unknown>) => {
    calls.push([command, args]);
    return (replies[command] ?? (async () => undefined))();
  },
}));

import KeyCard from "./KeyCard.svelte";
import type { KeyView } from "../lib/ipc";

const props = (view: KeyView | null, onchange: (view: KeyView) => void = () => {}) => ({
  provider: "tavus" as const,
  name: "Tavus",
  where: "Tavus portal",
  what: "Video sessions.",
  view,
  onchange,
});

describe("KeyCard", () => {
  beforeEach(() => {
    calls.length = 0;
    replies = {};
  });

  it("hands a key to the core, which checks it before saving, and clears the field", async () => {
    replies.set_api_key = async () => ({
      provider: "tavus",
      configured: true,
      lastFour: "abcd",
      lastCheck: { checkedAt: 1, outcome: "verified" },
    });
    const changes: unknown[] = [];
    render(KeyCard, props({ provider: "tavus", configured: false }, (v: KeyView) => changes.push(v)));
    const field = screen.getByLabelText("Tavus API key") as HTMLInputElement;
    expect(field.type).toBe("password");
    await fireEvent.input(field, { target: { value: "  tvsk_example_key_abcd  " } });
    await fireEvent.click(screen.getByRole("button", { name: "Save key" }));
    await vi.waitFor(() => expect(changes.length).toBe(1));
    expect(calls).toEqual([["set_api_key", { provider: "tavus", key: "tvsk_example_key_abcd" }]]);
    expect(field.value).toBe("");
  });

  it("shows why a key was not saved", async () => {
    replies.set_api_key = async () => {
      throw { code: "not_confirmed", message: "Nothing was changed: the change was not confirmed." };
    };
    replies.key_status = async () => ({ provider: "tavus", configured: false });
    render(KeyCard, props({ provider: "tavus", configured: false }));
    await fireEvent.input(screen.getByLabelText("Tavus API key"), { target: { value: "tvsk_example_key_abcd" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save key" }));
    await vi.waitFor(() => expect(screen.getByRole("alert").textContent).toContain("not confirmed"));
  });

  it("asks for a key instead of sending an empty one", async () => {
    render(KeyCard, props({ provider: "tavus", configured: false }));
    await fireEvent.click(screen.getByRole("button", { name: "Save key" }));
    expect(screen.getByRole("alert").textContent).toContain("Paste your Tavus API key first.");
    expect(calls).toEqual([]);
  });

  it("leaves the removal's confirmation to the core's own dialog", async () => {
    replies.remove_api_key = async () => ({ provider: "tavus", configured: false });
    render(KeyCard, props({ provider: "tavus", configured: true, lastFour: "abcd" }));
    await fireEvent.click(screen.getByRole("button", { name: "Remove key" }));
    await vi.waitFor(() => expect(calls).toEqual([["remove_api_key", { provider: "tavus" }]]));
  });
});
