// Subcommands answered by the running daemon over the API socket.
import type { Command } from "commander";
import { contextOf, requireConfig } from "../context";
import { requireDaemon } from "../daemon-client";

async function ask(cmd: Command, what: string): Promise<void> {
  const { config } = requireConfig(contextOf(cmd));
  await requireDaemon(config.api.socket, what);
}

export function registerDaemonCommands(program: Command, list: Command): void {
  program
    .command("status")
    .description("the daemon's state: backend, links, scripts, policy routing")
    .action((_o, cmd: Command) => ask(cmd, "status"));
  for (const [name, description] of [
    ["links", "links the daemon watches, with their states"],
    ["routes", "routes netevd manages"],
    ["rules", "policy rules netevd manages"],
  ] as const) {
    list
      .command(name)
      .description(description)
      .action((_o, cmd: Command) => ask(cmd, `list ${name}`));
  }
  program
    .command("show")
    .description("details of one object")
    .command("link")
    .description("everything the daemon knows of one link")
    .argument("<name>", "link name")
    .action((_name: string, _o, cmd: Command) => ask(cmd, "show link"));
  program
    .command("events")
    .description("recent events; --follow streams new ones")
    .option("--follow", "keep streaming events as they happen")
    .option("--link <name>", "only this link's events")
    .option("--event <name>", "only events of this name")
    .action((_o, cmd: Command) => ask(cmd, "events"));
  program
    .command("reload")
    .description(
      "re-read the configuration in the running daemon (like SIGHUP); an invalid file is reported, the old one kept",
    )
    .action((_o, cmd: Command) => ask(cmd, "reload"));
}
