// Runs one script through the hook runner of its user (netevd-hooks@USER),
// reported like a script the daemon ran itself: its output lines are logged
// here under its name, as they come.
import { connect } from "node:net";
import { KILL_GRACE_MS } from "../config/script-rules";
import type { Logger } from "../log/logger";
import { hookSocket, MAX_ANSWER_LINE_BYTES, parseHookAnswer, type HookRequest } from "./hook-request";
import { LineSplitter } from "./line-splitter";
import { MAX_OUTPUT_LINES, type ScriptResult } from "./run-script";

/** What the runner may take beyond the hook's own timeout: its start (socket activation). */
const SLACK_MS = 15_000;

export function runAsUser(
  user: string,
  script: { name: string; path: string },
  o: { args: string[]; env: Record<string, string>; timeoutMs: number; log: Logger; socket?: string },
): Promise<ScriptResult> {
  const socket = o.socket ?? hookSocket(user);
  const started = performance.now();
  const request: HookRequest = { ...script, args: o.args, env: o.env, timeout_ms: o.timeoutMs };
  return new Promise((resolve) => {
    const sock = connect(socket);
    let settled = false;
    const settle = (r: Partial<ScriptResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({
        ...script,
        exitCode: null,
        signal: null,
        timedOut: false,
        outputTruncated: false,
        ...r,
        durationMs: performance.now() - started,
      });
    };
    const timer = setTimeout(
      () => settle({ spawnError: `no answer from the hook runner ${socket}`, timedOut: true }),
      o.timeoutMs + KILL_GRACE_MS + SLACK_MS,
    );
    let logged = 0;
    const lines = new LineSplitter(MAX_ANSWER_LINE_BYTES, (line) => {
      const a = parseHookAnswer(line);
      if (!a) return settle({ spawnError: `the hook runner ${socket} answered what is not an answer` });
      if ("line" in a) {
        // The runner counts too; this bound holds whatever it sends.
        if (++logged > MAX_OUTPUT_LINES) return;
        if (a.stream === "stderr") o.log.warn(a.line, { stream: a.stream });
        else o.log.info(a.line, { stream: a.stream });
      } else if ("refused" in a)
        settle({ spawnError: `refused by the hook runner for ${user}: ${a.refused}` });
      else settle({ ...a.result, outputTruncated: a.result.outputTruncated || logged > MAX_OUTPUT_LINES });
    });
    sock.on("error", (e: NodeJS.ErrnoException) =>
      settle({
        spawnError: `${socket}: ${e.code ?? e.message} (is netevd-hooks@${user}.socket running?)`,
      }),
    );
    sock.on("connect", () => sock.write(`${JSON.stringify(request)}\n`));
    sock.on("data", (chunk: Buffer) => lines.push(chunk));
    sock.on("end", () => {
      lines.end();
      settle({ spawnError: `the hook runner for ${user} closed the connection without a result` });
    });
  });
}
