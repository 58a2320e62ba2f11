import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";

const calls: [string, Record<string, unknown> | undefined][] = [];
let replies: Record<string, () => Promise<unknown>> = {};
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (command: string, args?: Record<string, unknown>) => {
    calls.push([command, args]);
    return (replies[command] ?? (async () => undefined))();
  },
  Channel: class {
    onmessage: unknown;
  },
}));

import LockScreen from "./LockScreen.svelte";

const locked = { enabled: true, locked: true, failures: 0 };

describe("LockScreen", () => {
  beforeEach(() => {
    calls.length = 0;
    replies = {};
  });

  it("sends the passphrase to the core, clears the field, and shows the core's wait", async () => {
    replies.unlock = async () => {
      throw { code: "wrong_passphrase", message: "That passphrase didn't unlock Serene.", retryAfterSeconds: 5 };
    };
    render(LockScreen, { status: locked, onunlocked: () => {}, ondeleted: () => {} });
    const field = screen.getByLabelText("Passphrase") as HTMLInputElement;
    await fireEvent.input(field, { target: { value: "not it at all" } });
    await fireEvent.click(screen.getByRole("button", { name: "Unlock" }));
    await screen.findByText("That passphrase didn't unlock Serene.");
    expect(calls).toContainEqual(["unlock", { passphrase: "not it at all" }]);
    expect(field.value).toBe("");
    expect(await screen.findByText(/try again in 5 seconds/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Unlock" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("says plainly that delete-everything is the only way out of a forgotten passphrase", async () => {
    render(LockScreen, { status: locked, onunlocked: () => {}, ondeleted: () => {} });
    expect(screen.getByText("Forgot your passphrase?")).toBeTruthy();
    expect(screen.getByText(/The one way back in is to delete everything/)).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Delete everything and start again" }));
    expect(calls.map(([c]) => c)).toContain("delete_everything");
    expect(calls.find(([c]) => c === "delete_everything")?.[1]?.options).toEqual({ leaveRemote: true });
  });
});
