import { Command, Option } from "commander";
import { LEVELS } from "../log/logger";
import { VERSION } from "../version";
import { registerDaemonCommands } from "./commands/daemon";
import { registerDashboard } from "./commands/dashboard";
import { registerDemo } from "./commands/demo";
import { registerListScripts } from "./commands/list-scripts";
import { registerCompletion, registerMigrate } from "./commands/misc";
import { registerPrivileged } from "./commands/privileged";
import { registerHookRunner } from "./commands/hook-runner";
import { registerRun } from "./commands/run";
import { registerTest } from "./commands/test-event";
import { registerValidate } from "./commands/validate";
import { FORMATS } from "./output";

/** The whole command tree; also the source of the shell completions. */
export function buildProgram(): Command {
  const program = new Command("netevd")
    .description("network event daemon: runs scripts on link changes, keeps per-link policy routing")
    .version(VERSION, "-V, --version", "print the version")
    .addOption(
      new Option(
        "-c, --config <file>",
        "configuration file (default: $NETEVD_CONFIG or /etc/netevd/netevd.yaml)",
      ),
    )
    .addOption(
      new Option("--format <format>", "output format (default: table on a terminal, else json)").choices(
        FORMATS,
      ),
    )
    .addOption(
      new Option("--log-format <format>", "log output (default: journal under systemd, else text)").choices([
        "text",
        "json",
        "journal",
      ]),
    )
    .addOption(new Option("--log-level <level>", "log level (overrides system.log_level)").choices(LEVELS))
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerRun(program);
  registerDemo(program);
  registerValidate(program);
  const list = program.command("list").description("list links, routes, rules or scripts");
  registerListScripts(list);
  registerDaemonCommands(program, list);
  registerTest(program);
  registerDashboard(program);
  registerMigrate(program);
  registerPrivileged(program);
  registerHookRunner(program);
  registerCompletion(program);
  // Every subcommand exits through exitOverride too, so usage errors give 2.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride();
  return program;
}
