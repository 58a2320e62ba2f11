import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";

const calls: [string, Record<string, unknown> | undefined][] = [];
let replies: Record<string, (args?: Record<string, unknown>) => Promise<unknown>> = {};
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (command: string, args?: Record<string, unknown>) => {
    calls.push([command, args]);
    return (replies[command] ?? (async () => undefined))(args);
  },
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

import Privacy from "./Privacy.svelte";

const overview = (unfinishedDeletion?: number) => ({
  stored: [],
  consent: { requiredVersion: 1, current: true },
  audit: { intact: true, records: 0 },
  retentionDays: 90,
  anonymousSessions: false,
  openConversations: 0,
  keptConversations: 3,
  unfinishedDeletion,
});

describe("Privacy: delete everything", () => {
  beforeEach(() => {
    calls.length = 0;
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.open = false;
    };
    replies = {
      privacy_overview: async () => overview(),
      audit_log: async () => ({ check: { intact: true, records: 0 }, records: [], pinned: [] }),
      get_settings: async () => ({ deleteEndedSessions: true }),
    };
  });

  it("shows progress, keeps everything when sessions remain, and retries", async () => {
    let progress: (message: unknown) => void = () => {};
    let release: () => void = () => {};
    replies.delete_everything = (args) => {
      progress = (args?.onProgress as { onmessage: (m: unknown) => void }).onmessage;
      return new Promise((resolve) => {
        release = () =>
          resolve({
            done: ["Ended and deleted 1 conversation(s) on Tavus."],
            notDone: ["Conversation c2 is still on Tavus: Tavus is having trouble right now"],
            finished: false,
            remainingConversations: 2,
          });
      });
    };
    const ondeleted = vi.fn();
    render(Privacy, { onwithdrawn: () => {}, ondeleted });
    const [open] = await screen.findAllByRole("button", { name: "Delete everything" });
    await fireEvent.click(open);
    const confirm = screen.getAllByRole("button", { name: "Delete everything", hidden: true }).at(-1)!;
    await fireEvent.click(confirm);
    await vi.waitFor(() => expect(calls.map((c) => c[0])).toContain("delete_everything"));
    expect(calls.find((c) => c[0] === "delete_everything")![1]).toMatchObject({ options: { leaveRemote: false } });

    progress({ step: "conversations", conversationsDeleted: 1, conversationsTotal: 3 });
    expect(await screen.findByText(/Deleting your sessions on Tavus\s*: 1 of 3/)).toBeTruthy();
    release();

    expect(await screen.findByRole("heading", { name: "Deletion not finished" })).toBeTruthy();
    expect(screen.getByText(/c2 is still on Tavus/)).toBeTruthy();
    expect(ondeleted).not.toHaveBeenCalled();

    const finished = { done: ["All done."], notDone: [], finished: true, remainingConversations: 0 };
    replies.delete_everything = async () => finished;
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await vi.waitFor(() => expect(ondeleted).toHaveBeenCalledWith(finished));
  });

  it("offers to finish an interrupted deletion", async () => {
    replies.privacy_overview = async () => overview(4);
    render(Privacy, { onwithdrawn: () => {}, ondeleted: () => {} });
    expect(await screen.findByText(/stopped with 4 session\(s\) still on Tavus/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
  });
});
