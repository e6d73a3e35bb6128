import { readFile } from "node:fs/promises";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { reviewerKeyPath } from "@airlock/shared";
import { waitForText } from "./browser.js";

/** One reviewer's browser: its own context (cookies, IndexedDB), the console open, a key loaded. */
export class ReviewerPage {
  /** Every request body the page sent, to show that the private key never left it. */
  readonly sentBodies: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on("request", (request: Request) => {
      const body = request.postData();
      if (body !== null) this.sentBodies.push(body);
    });
  }

  /** Open the console in a new context; `viewport` defaults to a desktop window. */
  static async open(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<ReviewerPage> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const reviewer = new ReviewerPage(context, page);
    await page.goto(url);
    await page.locator('#connection[data-state="live"]').waitFor();
    return reviewer;
  }

  /** Load the reviewer's key file as `airlock keys generate` wrote it; the id comes from the file name. */
  async loadKeyFile(keysDir: string, reviewer: string): Promise<void> {
    await this.page.getByLabel(/Private key file/).setInputFiles(reviewerKeyPath(keysDir, reviewer));
    await this.page.getByRole("button", { name: "Use this key" }).click();
    await waitForText(this.page.locator("#signed-as"), reviewer);
  }

  /** Paste a key and type the id. */
  async pasteKey(keysDir: string, keyOwner: string, reviewer = keyOwner): Promise<void> {
    const pem = await readFile(reviewerKeyPath(keysDir, keyOwner), "utf8");
    await this.pasteText(pem, reviewer);
    await waitForText(this.page.locator("#signed-as"), reviewer);
  }

  /** Paste any text as the key. */
  async pasteText(text: string, reviewer: string): Promise<void> {
    await this.page.getByLabel("Reviewer id").fill(reviewer);
    const pasted = this.page.getByLabel("Private key (PEM)");
    if (!(await pasted.isVisible())) await this.page.getByText("Or paste the key").click();
    await pasted.fill(text);
    await this.page.getByRole("button", { name: "Use this key" }).click();
  }

  /** The pending card of a request. */
  pendingCard(requestId: string) {
    return this.page.locator(`#pending-list [data-request-id="${requestId}"]`);
  }

  /** The resolved card of a request. */
  resolvedCard(requestId: string) {
    return this.page.locator(`#resolved-list [data-request-id="${requestId}"]`);
  }

  /** Whether the page is wider than its window (unusable on a phone). */
  async overflowsHorizontally(): Promise<boolean> {
    return this.page.evaluate<boolean>("document.documentElement.scrollWidth > window.innerWidth");
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
