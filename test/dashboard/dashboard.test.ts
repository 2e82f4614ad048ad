// `netevd dashboard` in a real headless Chromium (Debian's, driven by
// playwright-core): a veth coming up in the daemon's namespace shows on the
// page, live from the event stream; script runs show their exit status; a
// hostile link name stays text; without the token nothing is served. The
// screenshot is kept in dist/test-artifacts/dashboard.png.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, netevd } from "../helpers/cli";
import { apiConfig, startDaemon } from "../helpers/daemon";
import { httpGet } from "../helpers/http";
import { canNetns, createNetns, ip } from "../helpers/netns";
import { waitFor } from "../helpers/proc";
import { writeScript } from "../helpers/tmp";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(__dirname, "..", "..", "dist", "test-artifacts");
// As root in a machine without a display or outside network.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let browser: Browser | undefined;
let dashboard: ChildProcess | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  dashboard?.kill();
  dashboard = undefined;
});

/** Starts `netevd dashboard` on a free loopback port; resolves with the URL it printed. */
async function startDashboard(config: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, "--config", config, "dashboard", "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  dashboard = child;
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  expect(await waitFor(() => /open (http\S+)/.test(out)), out).toBe(true);
  return /open (http\S+)/.exec(out)?.[1] as string;
}

// Chromium is on the tools list (npm test stops first when it is missing): no skipping here.
describe.runIf(canNetns)("netevd dashboard", () => {
  it("shows a link coming up within a second, its script runs and exit status; serves nothing without the token", async () => {
    const ns = createNetns();
    const { dir, config } = apiConfig();
    appendFileSync(config, "routing: { policy_rules: [ve0] }\n");
    writeScript(join(dir, "routable.d"), "10-ok", "exit 0");
    writeScript(join(dir, "routable.d"), "20-fails", '[ "$LINK" = ve0 ] && exit 3; exit 0');
    const daemon = startDaemon(ns, config);
    expect(await waitFor(() => daemon.output().includes("ready:")), daemon.output()).toBe(true);
    const url = await startDashboard(config);
    const { port } = new URL(url);
    const token = new URL(url).searchParams.get("token") as string;

    // Without the token (or with a wrong one): nothing, not even the page.
    const target = { host: "127.0.0.1", port: Number(port) };
    expect((await httpGet(target, "/")).status).toBe(401);
    expect((await httpGet(target, "/api/links")).status).toBe(401);
    expect((await httpGet(target, `/api/links?token=${token.slice(1)}x`)).status).toBe(401);
    const withToken = await httpGet(
      { ...target, headers: { authorization: `Bearer ${token}` } },
      "/api/links",
    );
    expect(withToken.status).toBe(200);
    expect(JSON.parse(withToken.text)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "lo" })]),
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const external: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${port}/`)) external.push(r.url());
    });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    // The token went into a cookie and out of the address bar.
    expect(page.url()).toBe(`http://127.0.0.1:${port}/`);
    await page.waitForSelector("#live.on", { timeout: 10_000 });
    await page.waitForSelector('#links tr[data-key="lo"]', { timeout: 10_000 });

    ip(ns, "link", "add", "ve0", "type", "veth", "peer", "name", "<i>x");
    ip(ns, "link", "set", "<i>x", "up");
    ip(ns, "link", "set", "ve0", "up");
    const t0 = Date.now();
    ip(ns, "addr", "add", "192.0.2.9/24", "dev", "ve0");
    await page.waitForSelector('#links tr[data-key="ve0"] td.state-routable', { timeout: 1000 });
    console.log(`dashboard: ve0 shown routable ${Date.now() - t0} ms after its address was added`);
    expect(await page.textContent('#links tr[data-key="ve0"]')).toContain("192.0.2.9/24");
    // The backend in use and how it was chosen (pinned in this configuration).
    expect(await page.textContent("#summary")).toContain("backend none (configured)");
    // The policy tables: ve0's rule for its address; the event; the runs with their exit status.
    // A function, not a string: the page's CSP (script-src 'self') forbids the eval a string
    // predicate needs once Playwright polls it in the page. (It runs in the page: its document.)
    type Page = { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } };
    const rowWith = (table: string, text: string) =>
      page.waitForFunction(
        ([t, want]) =>
          Array.from((globalThis as unknown as Page).document.querySelectorAll(`#${t} tbody tr`)).some((r) =>
            r.textContent?.includes(want),
          ),
        [table, text] as const,
        { timeout: 5000 },
      );
    await rowWith("rules", "192.0.2.9");
    await rowWith("events", "ve0routable");
    await rowWith("runs", "ve0routable20-failsfailure3");
    // The same runs from the CLI.
    const runs = JSON.parse(
      netevd(["--config", config, "list", "runs", "--link", "ve0", "--format", "json"]).stdout,
    ) as { script: string; result: string; exit_status: number }[];
    expect(runs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ script: "20-fails", result: "failure", exit_status: 3 }),
        expect.objectContaining({ script: "10-ok", result: "success", exit_status: 0 }),
      ]),
    );
    expect(await page.textContent("#runs tbody")).toContain("ve0routable10-oksuccess0");

    // A link named like markup is shown as its name, never as markup.
    await page.waitForSelector('#links tr[data-key="<i>x"]', { timeout: 5000 });
    expect(await page.textContent('#links tr[data-key="<i>x"] td')).toBe("<i>x");
    expect(await page.locator("#links i").count()).toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);
});
