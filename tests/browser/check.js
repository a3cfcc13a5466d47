// Opens page.html in headless Chromium from an origin of its own and lets it call the API, so the
// browser's CORS enforcement (preflights included) decides whether each call goes through.
// Usage: node check.js <API base URL ending in /api> [gateway log, JSON lines]
// playwright-core only drives the Chromium installed on the machine; it never downloads one.
"use strict";

const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PAGE = fs.readFileSync(path.join(__dirname, "page.html"));

function servePage() {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(PAGE);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// The gateway's request lines for OPTIONS: each must have gone to the `$default` route's function.
function preflightsInLog(logFile) {
  return fs
    .readFileSync(logFile, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((line) => line.message === "request" && line.method === "OPTIONS");
}

async function main() {
  const [api, gatewayLog] = process.argv.slice(2);
  if (!api) throw new Error("usage: node check.js <API base URL> [gateway log]");
  const server = await servePage();
  const pageOrigin = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "conduit-browser-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const results = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    const consoleErrors = [];
    page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
    await page.goto(`${pageOrigin}/?api=${encodeURIComponent(api)}`);
    await page.waitForFunction(() => window.conduitSteps, null, { timeout: 60_000 });
    results.push(...(await page.evaluate(() => window.conduitSteps)));

    // The refused call must have been refused by CORS, and nothing else.
    const corsErrors = consoleErrors.filter((text) => text.includes("CORS policy"));
    results.push({
      name: "the only CORS refusal is the control's (x-not-allowed)",
      ok: corsErrors.length > 0 && corsErrors.every((text) => text.toLowerCase().includes("x-not-allowed")),
      detail: corsErrors.join(" | ") || "no CORS error in the console",
    });
    if (gatewayLog) {
      const preflights = preflightsInLog(gatewayLog);
      const elsewhere = preflights.filter((line) => line.route_key !== "$default" || line.function !== "route-not-found");
      results.push({
        name: "every preflight was answered by the $default route's function",
        ok: preflights.length >= 3 && elsewhere.length === 0,
        detail: `${preflights.length} OPTIONS requests, statuses ${[...new Set(preflights.map((line) => line.status))]}; ${elsewhere.length} elsewhere`,
      });
    }
  } finally {
    await context.close();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }

  console.log(`page origin ${pageOrigin}, API ${api}`);
  for (const { name, ok, detail } of results) console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  const failed = results.filter((result) => !result.ok).length;
  console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
