import { Argument, type Command } from "commander";
import { lazy } from "../../util/lazy";
import { bashCompletion, fishCompletion, zshCompletion } from "../completion";

const migrate = lazy(() => require("../../../migrate/main") as typeof import("../../../migrate/main"));

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("move from network-broker to netevd (same as netevd-migrate)")
    .helpOption(false)
    .allowUnknownOption()
    .argument("[args...]", "arguments for netevd-migrate")
    .action((args: string[]) => {
      process.exitCode = migrate().migrateMain(args);
    });
}

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .action((shell: "bash" | "zsh" | "fish") => {
      const make = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell];
      process.stdout.write(make(program));
    });
}
