import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { waitFor } from "@airlock/shared/testing";
import { Tutorial } from "../e2e/scenario.js";
import { startEmbeddedStack, type Stack } from "../e2e/stack.js";
import { SCREENSHOTS, launchChromium, waitForText } from "./browser.js";
import { ReviewerPage } from "./reviewer-page.js";

// The reviewer console in a real browser against the whole system in this process (memory:// + PGlite):
// requests appear live, votes are signed in the page with WebCrypto Ed25519 and counted by the approvals
// service, agents get their verdicts, and the page shows how each request ended.
describe("reviewer console", () => {
  let stack: Stack;
  let tutorial: Tutorial;
  let browser: Browser;
  let keysDir: string;
  const pages: ReviewerPage[] = [];

  beforeAll(async () => {
    keysDir = await mkdtemp(path.join(tmpdir(), "airlock-console-keys-"));
    stack = await startEmbeddedStack(undefined, { keysDir });
    tutorial = new Tutorial(stack);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    for (const page of pages) {
      // The private keys were loaded into the pages; no request ever carried one.
      expect(page.sentBodies.some((body) => body.includes("PRIVATE KEY"))).toBe(false);
    }
    await browser?.close();
    await stack?.stop();
  });

  async function open(viewport?: { width: number; height: number }): Promise<ReviewerPage> {
    const page = await ReviewerPage.open(browser, stack.url, viewport);
    pages.push(page);
    return page;
  }

  it("shows an escalation live, takes two reviewers' signed approvals, and shows it resolved", async () => {
    const alice = await open({ width: 390, height: 844 }); // a phone
    const bob = await open({ width: 1280, height: 1400 });
    await alice.loadKeyFile(keysDir, "alice@corp.example");
    await bob.pasteKey(keysDir, "bob@corp.example");

    const transfer = await tutorial.call(
      "finance-agent",
      "transfer_funds",
      { amount: 5000, to: "ACME" },
      "dave@corp.example",
    );
    const request = await tutorial.requestFor(transfer.callId);

    // No reload: the card arrives over the event stream.
    const aliceCard = alice.pendingCard(request.id);
    const bobCard = bob.pendingCard(request.id);
    await aliceCard.waitFor();
    await bobCard.waitFor();
    await waitForText(aliceCard, "Transfers over 1000 need two finance admins");
    await waitForText(aliceCard, "dave@corp.example");
    await waitForText(aliceCard, "transfers-need-two");
    await waitForText(aliceCard, '"amount": 5000');
    await waitForText(aliceCard.locator(".votes"), "0 of 2 approvals");
    await waitForText(aliceCard.locator(".time-left"), /^(59m \d\ds|1h 00m)$/);
    expect(await alice.overflowsHorizontally()).toBe(false);
    await bob.page.screenshot({ path: path.join(SCREENSHOTS, "pending-list.png"), fullPage: true });
    await alice.page.screenshot({ path: path.join(SCREENSHOTS, "pending-list-phone.png"), fullPage: true });

    await aliceCard.getByLabel("Comment (optional)").fill("Invoice checked");
    await aliceCard.getByRole("button", { name: "Approve", exact: true }).click();
    await waitForText(aliceCard.locator(".decision .status"), "You approved this request.");
    expect(await aliceCard.getByRole("button", { name: "Approve", exact: true }).isDisabled()).toBe(true);
    // Bob's page learns of Alice's vote without a reload.
    await waitForText(bobCard.locator(".votes"), "1 of 2 approvals");
    await waitForText(bobCard.locator(".votes"), "alice@corp.example approved");

    // Bob decides from the request's dialog.
    await bobCard.getByRole("button", { name: "Details and audit trail" }).click();
    const dialog = bob.page.getByRole("dialog");
    await dialog.waitFor();
    await waitForText(dialog, "Invoice checked");
    await waitForText(bob.page.locator("#detail-audit"), "policy.decided");
    await dialog.screenshot({ path: path.join(SCREENSHOTS, "request-pending.png") });
    await dialog.getByRole("button", { name: "Approve", exact: true }).click();

    // The agent gets the verdict the two votes made.
    expect(await transfer.verdict).toMatchObject({ allowed: true, outcome: "approved", decided_by: "approval" });

    // Both pages show the request resolved; the dialog shows its audit trail up to the resolution.
    await waitForText(bob.page.locator("#detail-body"), "approved");
    await waitForText(bob.page.locator("#detail-audit"), "approval.resolved", 30_000);
    await dialog.screenshot({ path: path.join(SCREENSHOTS, "request-resolved.png") });
    await bob.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    for (const page of [alice, bob]) {
      await waitForText(page.resolvedCard(request.id).locator(".badge"), "approved");
      expect(await page.pendingCard(request.id).count()).toBe(0);
    }
    const detail = await tutorial.api.get(request.id);
    expect(detail.votes.map((vote) => vote.reviewer).sort()).toEqual(["alice@corp.example", "bob@corp.example"]);
    expect(detail.votes.find((vote) => vote.reviewer === "alice@corp.example")?.comment).toBe("Invoice checked");
    expect(detail.refusals).toEqual([]);
  });

  it("reports a refused vote, and approves a batch with one signed vote per request", async () => {
    const carol = await open();
    const first = await tutorial.call("comms-agent", "send_email", { to: "a@example.com" }, "dave@corp.example");
    const second = await tutorial.call("comms-agent", "send_email", { to: "b@example.com" }, "dave@corp.example");
    const requests = [await tutorial.requestFor(first.callId), await tutorial.requestFor(second.callId)];
    for (const request of requests) await carol.pendingCard(request.id).waitFor();

    // Not a key: refused in the page. Olivia's key under Carol's name: signed, sent, refused by the service.
    await carol.pasteText("not a key", "carol@corp.example");
    await waitForText(carol.page.locator("#identity-status"), "not a PKCS#8 PEM private key");
    await carol.pasteKey(keysDir, "olivia@corp.example", "carol@corp.example");
    const card = carol.pendingCard(requests[0]!.id);
    await card.getByRole("button", { name: "Approve", exact: true }).click();
    await waitForText(card.locator(".decision .status"), "Your vote was refused (bad_signature)");
    await carol.page.getByRole("button", { name: "Forget key" }).click();
    await carol.loadKeyFile(keysDir, "carol@corp.example");

    await carol.page.getByLabel("Select all").check();
    await waitForText(carol.page.locator("#selected-count"), "2 selected");
    await carol.page.getByLabel("Comment for the selected (optional)").fill("Both fine");
    await carol.page.getByRole("button", { name: "Approve selected" }).click();
    await waitForText(carol.page.locator("#batch-status"), "2 of 2 approvals signed and sent.");

    for (const call of [first, second]) {
      expect(await call.verdict).toMatchObject({ allowed: true, outcome: "approved", decided_by: "approval" });
    }
    const votes = [];
    for (const request of requests) {
      await waitForText(carol.resolvedCard(request.id).locator(".badge"), "approved");
      const detail = await tutorial.api.get(request.id);
      expect(detail.votes).toHaveLength(1);
      expect(detail.votes[0]).toMatchObject({ reviewer: "carol@corp.example", comment: "Both fine" });
      votes.push(detail.votes[0]!.vote_id);
    }
    expect(new Set(votes).size).toBe(2);
    expect((await tutorial.api.get(requests[0]!.id)).refusals).toMatchObject([{ reason: "bad_signature" }]);
  });

  it("shows the audit chain's latest checkpoint and verifies it", async () => {
    const auditor = await open();
    await waitFor(
      async () => /entries, signed/.test((await auditor.page.locator("#audit-checkpoint").textContent()) ?? ""),
      "the latest checkpoint",
      30_000,
    );
    await auditor.page.getByRole("button", { name: "Verify now" }).click();
    await waitForText(auditor.page.locator("#audit-verify"), "Intact");
    await waitForText(auditor.page.locator("#audit-verify"), /: intact — \d+ entries/);
    await auditor.page.screenshot({ path: path.join(SCREENSHOTS, "resolved-and-audit.png"), fullPage: true });
  });
});
