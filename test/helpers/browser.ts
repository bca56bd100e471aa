// Test helpers: Debian's headless Chromium through playwright-core, with console errors collected
// and screenshots written under dist/screenshots/ for people to look at.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { tempDir } from "./agent.js";
import { ROOT } from "./cli.js";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, "dist", "screenshots");

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught page errors so far. */
  errors: string[];
  screenshot(name: string): Promise<string>;
}

/** A fresh Chromium (own profile dir) with one page, closed after the test. */
export async function openBrowser(t: ExecutionContext, viewport = { width: 1280, height: 800 }): Promise<TestPage> {
  const profile = tempDir(t);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
  t.teardown(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
  const screenshot = async (name: string) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = join(SCREENSHOTS, `${name}.png`);
    await page.screenshot({ path, fullPage: false });
    return path;
  };
  return { page, context, errors, screenshot };
}
