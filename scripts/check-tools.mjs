// First step of `npm test`: every command the build and the tests run is on
// this machine, or it says which Debian package to install, before any long step.
import { missingCommands } from "./command-list.mjs";

const missing = missingCommands();
if (missing.length > 0) {
  console.error("netevd: commands the build and the tests run are missing:");
  for (const r of missing)
    console.error(
      `  ${r.command}: ${r.where === "machine" ? `comes with Node.js (package ${r.package})` : `apt-get install ${r.package}`}`,
    );
  console.error("Run scripts/setup, which installs them all (scripts/commands.list).");
  process.exit(1);
}
