import { Argument, type Command } from "commander";
import { ALL_EVENTS } from "../../events/names";
import { lazy } from "../../util/lazy";

const action = lazy(() => require("../actions/test-event") as typeof import("../actions/test-event"));

export function registerTest(program: Command): void {
  program
    .command("test")
    .description(
      "run (or with --dry-run list) the scripts of EVENT for a link, with the environment the daemon gives",
    )
    .addArgument(new Argument("<event>", "event name").choices(ALL_EVENTS))
    .requiredOption("--link <name>", "the link the event is for")
    .option("--dry-run", "list the scripts and the environment, run nothing")
    .action((eventName: string, opts: { link: string; dryRun?: boolean }, cmd: Command) =>
      action().testEvent(eventName, opts, cmd),
    );
}
