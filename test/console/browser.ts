import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Locator } from "playwright-core";
import { waitFor } from "@airlock/shared/testing";

/** Debian's Chromium (apt-get install chromium); never a downloaded browser. */
export const CHROMIUM = process.env["AIRLOCK_TEST_CHROMIUM"] ?? "/usr/bin/chromium";

/** Where the browser tests save their screenshots (git-ignored). */
export const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

/**
 * Headless Chromium with a fresh profile (playwright creates a temporary user-data-dir per launch) and
 * nothing that phones home.
 */
export function launchChromium(): Promise<Browser> {
  // Like every test that needs a service, the browser tests fail (never skip) without their browser.
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(
      new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set AIRLOCK_TEST_CHROMIUM`),
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Wait until the element's text contains `text`; the failure names what was awaited and what was seen. */
export async function waitForText(locator: Locator, text: string | RegExp, timeoutMs = 20_000): Promise<void> {
  let seen = "";
  try {
    await waitFor(
      async () => {
        seen =
          (await locator
            .first()
            .textContent({ timeout: 1_000 })
            .catch(() => "")) ?? "";
        return typeof text === "string" ? seen.includes(text) : text.test(seen);
      },
      `text ${String(text)}`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`waited for ${String(text)} in ${locator.toString()}; last saw: ${JSON.stringify(seen)}`, {
      cause: error,
    });
  }
}
