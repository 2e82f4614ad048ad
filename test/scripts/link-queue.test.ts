// The per-link queue: order, parallelism across links, folding, superseding,
// bounds. Jobs are promises the test ends itself: nothing here waits for time.
import { describe, expect, it } from "vitest";
import { type Discard, type JobMeta, LinkQueues } from "../../src/scripts/link-queue";

/** A job that runs until the test ends it, recording its start. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return {
    job: async () => {
      log.push(name);
      await done;
      return name;
    },
    open: () => open(),
  };
}

/** One turn of the event loop: the queue's own promise callbacks have run. */
const turn = () => new Promise<void>((r) => setImmediate(r));
const plain: JobMeta = { weight: 1 };
const discarded = (why: Discard) => `discarded: ${why}`;

describe("link queues", () => {
  it("runs a link's jobs in order, one at a time, and other links beside them", async () => {
    const log: string[] = [];
    const q = new LinkQueues(8);
    const a1 = gate(log, "a1");
    const a2 = gate(log, "a2");
    const b1 = gate(log, "b1");
    const r = [q.enqueue("a", a1.job, plain, discarded), q.enqueue("a", a2.job, plain, discarded)];
    const rb = q.enqueue("b", b1.job, plain, discarded);
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(["a1", "b1"]); // a2 waits for a1; b does not wait for a
    b1.open();
    expect(await rb).toBe("b1");
    a1.open();
    a2.open();
    expect(await Promise.all(r)).toEqual(["a1", "a2"]);
    expect(q.busyLinks).toBe(0);
  });

  it("folds waiting jobs with the same key into the newest; the running one goes on", async () => {
    const log: string[] = [];
    const idle: string[] = [];
    const q = new LinkQueues(8, undefined, { onIdle: (l) => idle.push(l) });
    const first = gate(log, "first");
    const results = [q.enqueue("a", first.job, { fold: "x", weight: 1 }, discarded)];
    await Promise.resolve();
    const later = [1, 2, 3].map((i) => gate(log, `re${i}`));
    for (const g of later) results.push(q.enqueue("a", g.job, { fold: "x", weight: 1 }, discarded));
    for (const g of [first, ...later]) g.open();
    expect(await Promise.all(results)).toEqual([
      "first",
      "discarded: coalesced",
      "discarded: coalesced",
      "re3",
    ]);
    expect(log).toEqual(["first", "re3"]);
    expect(idle).toEqual(["a"]);
  });

  it("a job removes the waiting ones it supersedes, never a started one", async () => {
    const log: string[] = [];
    const q = new LinkQueues(8);
    const running = gate(log, "carrier");
    const waiting = gate(log, "routable");
    const down = gate(log, "off");
    const family = { family: "operational", weight: 1 };
    const r = [
      q.enqueue("a", running.job, family, discarded),
      q.enqueue("a", waiting.job, family, discarded),
      q.enqueue("a", down.job, { ...family, supersedes: (w) => w.family === "operational" }, discarded),
    ];
    for (const g of [running, waiting, down]) g.open();
    expect(await Promise.all(r)).toEqual(["carrier", "discarded: coalesced", "off"]);
  });

  it("drops a link's oldest waiting jobs past its bounds, counting each", async () => {
    const log: string[] = [];
    const dropped: string[] = [];
    const q = new LinkQueues(
      1,
      { perLinkJobs: 3, perLinkBytes: 1000, totalBytes: 10_000 },
      {
        onDiscard: (l, why) => dropped.push(`${l} ${why}`),
      },
    );
    const gates = Array.from({ length: 10 }, (_, i) => gate(log, `j${i}`));
    const r = gates.map((g) => q.enqueue("a", g.job, plain, discarded));
    for (const g of gates) g.open();
    const out = await Promise.all(r);
    expect(out.filter((x) => x === "discarded: bound")).toHaveLength(6);
    expect(log).toEqual(["j0", "j7", "j8", "j9"]); // the running one, then the newest three
    expect(dropped).toEqual(Array(6).fill("a bound"));
  });

  it("at a bound drops jobs that change no state first: a burst of routes never costs a state", async () => {
    const log: string[] = [];
    const q = new LinkQueues(1, { perLinkJobs: 3, perLinkBytes: 1000, totalBytes: 10_000 });
    const running = gate(log, "running");
    const state: JobMeta = { weight: 1, state: true };
    const r = [
      q.enqueue("a", running.job, state, discarded),
      q.enqueue("a", () => Promise.resolve("off"), state, discarded),
      ...Array.from({ length: 6 }, (_, i) =>
        q.enqueue("a", () => Promise.resolve(`route${i}`), plain, discarded),
      ),
      q.enqueue("a", () => Promise.resolve("linger"), state, discarded),
      q.enqueue("a", () => Promise.resolve("route6"), plain, discarded),
    ];
    running.open();
    const out = await Promise.all(r);
    // Waiting at most 3: both states stay, with the newest job; the oldest routes went.
    expect(out.filter((x) => !x.startsWith("discarded"))).toEqual(["running", "off", "linger", "route6"]);
  });

  it("keeps the newest job even when it alone passes the byte bound", async () => {
    const log: string[] = [];
    const q = new LinkQueues(1, { perLinkJobs: 10, perLinkBytes: 1000, totalBytes: 10_000 });
    const running = gate(log, "running");
    const small = gate(log, "small");
    const r = [q.enqueue("a", running.job, plain, discarded), q.enqueue("a", small.job, plain, discarded)];
    const heavy = q.enqueue("a", () => Promise.resolve("heavy"), { weight: 5000 }, discarded);
    running.open();
    small.open();
    expect(await Promise.all([...r, heavy])).toEqual(["running", "discarded: bound", "heavy"]);
  });

  it("holds at most `limit` links' jobs running at once", async () => {
    const log: string[] = [];
    const q = new LinkQueues(2);
    const gates = ["a", "b", "c"].map((l) => ({ l, g: gate(log, l) }));
    const r = gates.map(({ l, g }) => q.enqueue(l, g.job, plain, discarded));
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(["a", "b"]);
    gates[0]?.g.open();
    expect(await r[0]).toBe("a");
    await turn();
    expect(log).toEqual(["a", "b", "c"]);
    for (const { g } of gates) g.open();
    await Promise.all(r);
  });
});
