import { Argument, type Command } from "commander";
import { migrateMain } from "../../../migrate/main";
import { bashCompletion, fishCompletion, zshCompletion } from "../completion";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("move from network-broker to netevd (same as netevd-migrate)")
    .helpOption(false)
    .allowUnknownOption()
    .argument("[args...]", "arguments for netevd-migrate")
    .action((args: string[]) => {
      process.exitCode = migrateMain(args);
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
