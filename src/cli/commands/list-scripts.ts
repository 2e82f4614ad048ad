// `netevd list scripts` reads the script directories itself: it needs no daemon.
import { readdirSync } from "node:fs";
import type { Command } from "commander";
import { ALL_EVENTS, EVENTS_BY_BACKEND, NAMESPACE_EVENTS } from "../../events/names";
import { discoverScripts } from "../../scripts/discover";
import { contextOf, requireConfig } from "../context";
import { renderData, renderTable } from "../output";

interface Row {
  event: string;
  script: string;
  status: "run" | "skip" | "ignored";
  detail: string;
}

export function registerListScripts(list: Command): void {
  list
    .command("scripts")
    .description("scripts per event directory, with the reason for each one that will not run")
    .action((_o, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { config } = requireConfig(ctx);
      const rows: Row[] = [];
      const ns = config.monitoring.namespaces;
      const backendEvents = [
        ...EVENTS_BY_BACKEND[config.system.backend],
        ...(ns === "all" || ns.length > 0 ? NAMESPACE_EVENTS : []),
      ];
      for (const event of ALL_EVENTS) {
        const found = discoverScripts(`${config.scripts.dir}/${event}.d`);
        const note = backendEvents.includes(event)
          ? ""
          : ` (the ${config.system.backend} backend has no "${event}" event)`;
        for (const s of found.scripts)
          rows.push({ event, script: s.path, status: "run", detail: note.trim() });
        for (const s of found.skipped)
          rows.push({ event, script: s.path, status: "skip", detail: `${s.rule}: ${s.detail}` });
        for (const name of found.ignored)
          rows.push({
            event,
            script: `${config.scripts.dir}/${event}.d/${name}`,
            status: "ignored",
            detail: "ignored name",
          });
      }
      for (const dir of strayDirectories(config.scripts.dir)) {
        rows.push({
          event: dir,
          script: `${config.scripts.dir}/${dir}`,
          status: "skip",
          detail: "no event has this name",
        });
      }
      if (ctx.format === "table") {
        ctx.out(
          rows.length
            ? renderTable(rows, [
                { header: "event", value: (r) => r.event },
                { header: "status", value: (r) => r.status },
                { header: "script", value: (r) => r.script },
                { header: "detail", value: (r) => r.detail },
              ])
            : `no scripts under ${config.scripts.dir}\n`,
        );
      } else {
        ctx.out(renderData(rows, ctx.format));
      }
    });
}

function strayDirectories(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith(".d") && !ALL_EVENTS.includes(n.slice(0, -2)))
      .sort();
  } catch {
    return [];
  }
}
