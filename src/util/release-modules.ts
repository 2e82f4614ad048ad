// Modules a task loads for itself and lets go after: reading netevd.yaml
// needs the schema, zod and yaml (a third of the daemon's heap), the running
// daemon needs none of them until the next reload. A module first loaded
// inside `releasing()` is forgotten when it ends; its next require loads it
// anew, and what it added to the global object is taken away. Only for tasks
// whose modules keep no state the caller uses after.
//
// Under node, modules are in require.cache and their parents' `children`. In
// the single executable every module is a wrapper of the bundler's that keeps
// its exports; scripts/build-exe.mjs makes each wrapper announce its first
// load to the hook below, with a function that forgets it.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Forget = () => void;
type Hook = (forget: Forget) => void;

const HOOK = "__netevdModuleLoaded";
const global = globalThis as typeof globalThis & { [HOOK]?: Hook };

export function releasing<T>(task: () => T): T {
  // The single executable's require has no cache of its own (built-in modules only).
  const cache: NodeJS.Dict<NodeJS.Module> = typeof require.cache === "object" ? require.cache : {};
  const before = new Set(Object.keys(cache));
  const globals = new Set(Reflect.ownKeys(globalThis));
  const forget: Forget[] = [];
  const outer = global[HOOK];
  global[HOOK] = (f) => forget.push(f);
  try {
    return task();
  } finally {
    global[HOOK] = outer;
    for (const f of forget) f();
    // A module's state kept on the global object (zod keeps its configuration there) goes with it.
    for (const k of Reflect.ownKeys(globalThis)) if (!globals.has(k)) Reflect.deleteProperty(globalThis, k);
    const added = Object.keys(cache).filter((k) => !before.has(k));
    if (added.length) {
      const gone = new Set(added.map((k) => cache[k]));
      for (const k of before) {
        const m = cache[k];
        if (m?.children.some((c) => gone.has(c))) m.children = m.children.filter((c) => !gone.has(c));
      }
      for (const k of added) delete cache[k];
    }
  }
}

/**
 * One full collection now: an idle daemon runs none for hours, and the pages
 * of what was let go (and of its start's garbage) return to the system only
 * with one. For the moments after start and reload.
 */
export function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as (o: object) => void)({ type: "major", execution: "sync", flavor: "last-resort" });
}
