// Opens the API's docs page (GET /api/docs) in headless Chromium with the page's own
// Content-Security-Policy, and serves the Redoc script it names from the npm package of that exact
// version (what the CDN serves, byte for byte), so nothing is fetched from the internet:
// - the integrity hash on the page is that of the npm file;
// - Redoc renders the served document and its search works, with no policy violation;
// - the same script with one byte more is refused by the browser (the hash is enforced).
// Usage: node docs.js <docs page URL> <tools dir, where the npm package is kept>
"use strict";

const crypto = require("crypto");
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SCRIPT = /<script src="(https:\/\/cdn\.jsdelivr\.net\/npm\/((redoc)@([0-9][^/"]*))\/([^"]+))"\s+integrity="(sha384-[^"]+)"\s+crossorigin="anonymous"><\/script>/;

// The file as published on npm: `npm pack` of the pinned version, kept in the tools directory.
function npmFile(tools, spec, version, file) {
  const dir = path.join(tools, "redoc", version);
  const unpacked = path.join(dir, "package", file);
  if (!fs.existsSync(unpacked)) {
    fs.mkdirSync(dir, { recursive: true });
    const tarball = execFileSync("npm", ["pack", spec, "--silent", "--pack-destination", dir], { encoding: "utf8" }).trim();
    execFileSync("tar", ["xzf", path.join(dir, tarball.split("\n").pop()), "-C", dir]);
  }
  return fs.readFileSync(unpacked);
}

async function open(context, url, scriptUrl, scriptBytes) {
  const page = await context.newPage();
  const consoleErrors = [];
  const elsewhere = [];
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
  await page.addInitScript(() => {
    window.policyViolations = [];
    document.addEventListener("securitypolicyviolation", (event) =>
      window.policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  const origin = new URL(url).origin;
  await page.route("**/*", (route) => {
    const requested = route.request().url();
    if (requested === scriptUrl) {
      return route.fulfill({ status: 200, contentType: "application/javascript", headers: { "access-control-allow-origin": "*" }, body: scriptBytes });
    }
    if (requested.startsWith(origin) || requested.startsWith("blob:") || requested.startsWith("data:")) return route.continue();
    // Redoc's own logo (allowed by the policy) and anything else: not fetched from the internet.
    elsewhere.push(requested);
    return route.fulfill({ status: 200, contentType: "image/svg+xml", body: "<svg xmlns='http://www.w3.org/2000/svg'/>" });
  });
  await page.goto(url);
  let rendered = true;
  await page.waitForSelector("text=Register a new user", { timeout: 30_000 }).catch(() => (rendered = false));
  let searchResults = "";
  if (rendered) {
    await page.fill('input[placeholder="Search..."]', "comment");
    await page.waitForSelector("[data-role='search:results']", { timeout: 10_000 }).catch(() => {});
    searchResults = await page.evaluate(() => document.querySelector("[data-role='search:results']")?.innerText || "");
  }
  const policyViolations = await page.evaluate(() => window.policyViolations);
  await page.close();
  return { rendered, searchResults, policyViolations, consoleErrors, elsewhere };
}

async function main() {
  const [url, tools] = process.argv.slice(2);
  if (!url || !tools) throw new Error("usage: node docs.js <docs page URL> <tools dir>");
  const response = await fetch(url);
  const html = await response.text();
  const match = SCRIPT.exec(html);
  const results = [];
  results.push({ name: "the page loads one pinned script from the CDN's npm mirror, with an integrity hash", ok: Boolean(match), detail: match ? match[2] : html });
  if (match) {
    const [, scriptUrl, spec, , version, file, integrity] = match;
    const bytes = npmFile(tools, spec, version, file);
    const npmIntegrity = `sha384-${crypto.createHash("sha384").update(bytes).digest("base64")}`;
    results.push({ name: "the integrity hash is that of the npm package's file", ok: npmIntegrity === integrity, detail: `${spec}/${file}: ${npmIntegrity}` });
    results.push({ name: "the page has a Content-Security-Policy", ok: Boolean(response.headers.get("content-security-policy")), detail: response.headers.get("content-security-policy") });

    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "conduit-docs-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const genuine = await open(context, url, scriptUrl, bytes);
      results.push({ name: "Redoc renders the served document", ok: genuine.rendered, detail: `elsewhere: ${genuine.elsewhere.join(", ") || "nothing"}` });
      results.push({ name: "search works (its worker runs from a blob: URL)", ok: genuine.searchResults.includes("comment"), detail: genuine.searchResults.split("\n").slice(0, 4).join(" | ") });
      results.push({
        name: "no policy violation and no console error",
        ok: genuine.policyViolations.length === 0 && genuine.consoleErrors.length === 0,
        detail: [...genuine.policyViolations, ...genuine.consoleErrors].join(" | ") || "none",
      });
      const tampered = await open(context, url, scriptUrl, Buffer.concat([bytes, Buffer.from(";")]));
      results.push({
        name: "a script that differs from the npm file by one byte is refused",
        ok: !tampered.rendered && tampered.consoleErrors.some((text) => text.includes("integrity")),
        detail: tampered.consoleErrors.join(" | "),
      });
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  }
  for (const { name, ok, detail } of results) console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  const failed = results.filter((result) => !result.ok).length;
  console.log(`docs: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
