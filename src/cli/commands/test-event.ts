import { Argument, type Command } from "commander";
import { DhclientLeases } from "../../backends/dhclient/dhclient";
import { eventJson } from "../../events/event";
import { getLogger } from "../../log/logger";
import { eventFromSnapshot } from "../../events/from-snapshot";
import { ALL_EVENTS } from "../../events/names";
import { ScriptRunner } from "../../scripts/runner";
import { linkSnapshot } from "../../system/link-snapshot";
import { contextOf, requireConfig } from "../context";
import { FatalError, EXIT } from "../../errors";
import { renderData, renderTable } from "../output";

export function registerTest(program: Command): void {
  program
    .command("test")
    .description(
      "run (or with --dry-run list) the scripts of EVENT for a link, with the environment the daemon gives",
    )
    .addArgument(new Argument("<event>", "event name").choices(ALL_EVENTS))
    .requiredOption("--link <name>", "the link the event is for")
    .option("--dry-run", "list the scripts and the environment, run nothing")
    .action(async (eventName: string, opts: { link: string; dryRun?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { config } = requireConfig(ctx);
      const snap = linkSnapshot(opts.link);
      if (!snap) throw new FatalError(`netevd test: no link named "${opts.link}"`, EXIT.FAILURE);
      const runner = new ScriptRunner({
        dir: config.scripts.dir,
        timeoutMs: config.scripts.timeout,
        maxParallel: config.scripts.max_parallel,
        emitJson: config.backends.systemd_networkd.emit_json,
        dryRun: opts.dryRun === true,
      });
      let event = eventFromSnapshot(eventName, config.system.backend, snap);
      if (config.system.backend === "dhclient") {
        // As the daemon: the current lease of the link, from the same files.
        const leases = new DhclientLeases({
          leaseFiles: config.backends.dhclient.lease_files,
          log: getLogger("dhclient"),
          onChange: () => undefined,
        });
        leases.start();
        const info = leases.forLink(snap.link.name)?.info ?? null;
        leases.close();
        if (info)
          event = {
            ...event,
            dhcp: info,
            dns: info.dns,
            domains: info.domain?.split(/\s+/).filter(Boolean) ?? [],
          };
      }
      const plan = runner.plan(event);
      const directory = runner.eventDir(eventName);
      const listing = {
        event: eventName,
        link: plan.event.link.name,
        directory,
        scripts: plan.scripts.map((s) => s.path),
        skipped: plan.skipped.map((s) => ({ path: s.path, rule: s.rule, detail: s.detail })),
        dropped: plan.dropped,
        environment: plan.env,
        json: plan.env.JSON === undefined ? null : eventJson(plan.event),
      };
      if (opts.dryRun) {
        if (ctx.format === "table") ctx.out(planText(listing));
        else ctx.out(renderData(listing, ctx.format));
        return;
      }
      const report = await runner.dispatch(event);
      const results = report.results.map((r) => ({
        script: r.path,
        exit_code: r.exitCode,
        signal: r.signal,
        timed_out: r.timedOut,
        duration_ms: Math.round(r.durationMs),
        error: r.spawnError ?? null,
      }));
      if (ctx.format === "table") {
        ctx.out(
          results.length
            ? renderTable(results, [
                { header: "script", value: (r) => r.script },
                { header: "exit", value: (r) => r.exit_code ?? r.signal ?? r.error },
                { header: "timed out", value: (r) => (r.timed_out ? "yes" : "no") },
                { header: "ms", value: (r) => r.duration_ms },
              ])
            : `no scripts in ${directory}\n`,
        );
      } else {
        ctx.out(renderData({ ...listing, results }, ctx.format));
      }
      if (results.some((r) => r.exit_code !== 0)) process.exitCode = EXIT.FAILURE;
    });
}

function planText(p: {
  directory: string;
  scripts: string[];
  skipped: { path: string; rule: string; detail: string }[];
  environment: Record<string, string>;
}): string {
  const lines = [`Scripts in ${p.directory}, in order:`];
  lines.push(...(p.scripts.length ? p.scripts.map((s) => `  ${s}`) : ["  (none)"]));
  for (const s of p.skipped) lines.push(`  skipped ${s.path}: ${s.rule}: ${s.detail}`);
  lines.push("Environment:");
  for (const key of Object.keys(p.environment).sort()) lines.push(`  ${key}=${p.environment[key]}`);
  return `${lines.join("\n")}\n`;
}
