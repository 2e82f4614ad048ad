// The one schema of netevd.yaml: the TypeScript types, the runtime
// validation, the defaults and the published JSON Schema all come from here.
import { isIP } from "node:net";
import { z } from "zod";
import { ALL_EVENTS, BACKEND_SETTINGS, BACKENDS, isEventName } from "../events/names";
import { CONDITION_ALLOWED, parseCondition } from "./filter-condition";
import { CAPABILITIES } from "../util/capabilities";
import { nearest } from "../util/suggest";
import { DURATION_ALLOWED, parseDuration } from "./duration";
import { INTERFACE_PATTERN_ALLOWED, interfacePatternProblem } from "./ifname";
import { NAMESPACE_PATTERN_ALLOWED, namespacePatternProblem } from "./netns-name";
import { SCRIPT_STYLES } from "./style-names";
import { DEFAULT_API_SOCKET } from "./api-socket";

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** Custom issues carry what is allowed in params.allowed, for the diagnostics. */
function problem(ctx: z.RefinementCtx, message: string, allowed: string): void {
  ctx.addIssue({ code: "custom", message, params: { allowed } });
}

const duration = (description: string) =>
  z
    .union([z.string(), z.number()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        problem(ctx, `${JSON.stringify(value)} is not a duration`, DURATION_ALLOWED);
        return z.NEVER;
      }
      return ms;
    })
    .describe(`${description} (${DURATION_ALLOWED}); read as milliseconds`);

const interfacePattern = z.string().superRefine((value, ctx) => {
  const why = interfacePatternProblem(value);
  if (why) problem(ctx, why, INTERFACE_PATTERN_ALLOWED);
});

const namespacePattern = z.string().superRefine((value, ctx) => {
  const why = namespacePatternProblem(value);
  if (why) problem(ctx, why, NAMESPACE_PATTERN_ALLOWED);
});

const interfaceList = (description: string) => z.array(interfacePattern).default([]).describe(description);

const absolutePath = z.string().superRefine((value, ctx) => {
  if (!value.startsWith("/")) problem(ctx, `"${value}" is not an absolute path`, "an absolute path");
});

const pathList = z.string().superRefine((value, ctx) => {
  const parts = value.split(":");
  if (!parts.every((p) => p.startsWith("/")))
    problem(ctx, `"${value}" is not a list of absolute paths`, "absolute paths separated by ':'");
});

const optionalPath = z.string().superRefine((value, ctx) => {
  if (value !== "" && !value.startsWith("/")) {
    problem(ctx, `"${value}" is not an absolute path`, 'an absolute path, or "" for none');
  }
});

const SCRIPT_NAME_ALLOWED = "a script's name, or <subdirectory>.d/<name>, relative to its directory";
const scriptName = z.string().superRefine((value, ctx) => {
  const parts = value.split("/");
  const bad = (p: string) => p === "" || p.startsWith(".");
  if (parts.length > 2 || parts.some(bad) || (parts.length === 2 && !parts[0]!.endsWith(".d")))
    problem(ctx, `"${value}" is not a script name`, SCRIPT_NAME_ALLOWED);
});

/** Hooks that run as root, outside netevd's process (netevd-scripts.7, PRIVILEGED HOOKS). */
const privileged = z
  .union([
    z.boolean(),
    z
      .object({
        scripts: z
          .array(scriptName)
          .min(1)
          .optional()
          .describe("only these scripts (e.g. routable.d/50-firewall); default every script"),
        capabilities: z
          .union([z.literal("all"), z.array(z.enum(CAPABILITIES))])
          .default("all")
          .describe('"all" (full root) or the only capabilities they get'),
        read_write_paths: z
          .array(absolutePath)
          .optional()
          .describe("the only paths they may write; default everywhere root may"),
        namespace: z
          .enum(["netevd", "link"])
          .default("netevd")
          .describe(
            "for an event of a link in another namespace: run in netevd's namespace, or enter the link's",
          ),
      })
      .strict(),
  ])
  .default(false)
  .describe("run these scripts as root through netevd-privileged.service; default false");

const LISTEN_ALLOWED = '"" (off), or ADDRESS:PORT such as "127.0.0.1:9090" or "[::1]:9090"';
const listenAddress = z.string().superRefine((value, ctx) => {
  if (value === "") return;
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !(isIP(host) || host === "localhost") || port < 1 || port > 65535) {
    problem(ctx, `"${value}" is not an address and port`, LISTEN_ALLOWED);
  }
});

const USER_RE = /^(?:[a-z_][a-z0-9_-]{0,31}|\d+)$/;
const userName = z.string().superRefine((value, ctx) => {
  if (!USER_RE.test(value))
    problem(ctx, `"${value}" is not a user name`, "a user name such as netevd, or a uid");
});

/** Hooks run as another user than the daemon, through that user's hook runner (netevd-scripts.7). */
const hooksUser = userName
  .optional()
  .describe(
    "run the (unprivileged) scripts as this user, through netevd-hooks@USER.socket; default the daemon's user",
  );

const eventName = z.string().superRefine((value, ctx) => {
  if (isEventName(value)) return;
  const typo = nearest(value, ALL_EVENTS);
  problem(ctx, `unknown event "${value}"${typo ? ` (did you mean "${typo}"?)` : ""}`, ALL_EVENTS.join(", "));
});

const condition = z.string().superRefine((value, ctx) => {
  const parsed = parseCondition(value);
  if ("error" in parsed) problem(ctx, parsed.error, CONDITION_ALLOWED);
});

const filterSchema = z
  .object({
    match_rule: z
      .object({
        interface: interfacePattern.optional().describe("exact interface name"),
        interface_pattern: interfacePattern.optional().describe("interface glob"),
        event_type: eventName.optional().describe("event name, e.g. routable"),
        ip_family: z
          .enum(["ipv4", "ipv6", "any"])
          .optional()
          .describe("the link must have an address of this family"),
        backend: z.enum(BACKENDS).optional(),
        netns: z
          .union([z.literal(""), namespacePattern])
          .optional()
          .describe('namespace name or glob; "" is netevd\'s own namespace'),
        condition: condition.optional().describe(CONDITION_ALLOWED),
      })
      .prefault({})
      .describe("all given fields must match"),
    action: z
      .enum(["execute", "ignore", "log"])
      .describe("first matching filter decides; log only logs and goes on"),
    scripts: z.array(z.string()).default([]).describe("with execute: run only these script names"),
  })
  .describe("an event filter, in the Rust netevd's syntax");

export const ConfigSchema = z
  .object({
    system: z
      .object({
        log_level: z.enum(LOG_LEVELS).default("info"),
        backend: z
          .enum(BACKEND_SETTINGS)
          .default("auto")
          .describe(
            "where link states come from: auto = whatever manages the host (followed while netevd runs); none = kernel only",
          ),
        user: userName
          .default("netevd")
          .describe("when started as root, drop to this user keeping only CAP_NET_ADMIN"),
      })
      .prefault({}),
    monitoring: z
      .object({
        interfaces: interfaceList("names or shell globs; empty = every link but loopback"),
        exclude: interfaceList("names or globs, applied after interfaces"),
        namespaces: z
          .union([z.literal("all"), z.array(namespacePattern)])
          .default([])
          .describe(
            'network namespaces to watch besides netevd\'s own: names under /run/netns or globs, or "all"; default none',
          ),
      })
      .prefault({}),
    routing: z
      .object({
        policy_rules: interfaceList("names or globs of links that get per-link policy routing"),
        table_base: z
          .number()
          .int()
          .min(1)
          .max(4_294_967_039)
          .default(200)
          .describe("table id = table_base + ifindex; ids 253, 254 and 255 are refused"),
        ipv6: z.boolean().default(true).describe("also route IPv6 addresses per link"),
        from_priority: z
          .number()
          .int()
          .min(1)
          .max(32765)
          .default(10000)
          .describe('priority of the "from ADDR lookup TABLE" rules (below main\'s 32766)'),
        to_priority: z
          .number()
          .int()
          .min(1)
          .max(32765)
          .default(10001)
          .describe('priority of the "to ADDR lookup TABLE" rules'),
        keep_on_stop: z
          .boolean()
          .default(false)
          .describe("leave netevd's rules and routes in place when netevd stops"),
      })
      .prefault({}),
    backends: z
      .object({
        systemd_networkd: z
          .object({ emit_json: z.boolean().default(true).describe("give scripts the JSON variable") })
          .prefault({}),
        dhclient: z
          .object({
            use_dns: z.boolean().default(false).describe("push lease DNS servers to systemd-resolved"),
            use_domain: z.boolean().default(false).describe("push lease domains to systemd-resolved"),
            use_hostname: z.boolean().default(false).describe("set the transient host name from the lease"),
            lease_files: z
              .array(absolutePath)
              .default([])
              .describe("lease files to watch; [] = the distribution's usual paths"),
          })
          .prefault({}),
        networkmanager: z.object({}).prefault({}),
      })
      .prefault({}),
    scripts: z
      .object({
        dir: absolutePath.default("/etc/netevd").describe("holds one <event>.d directory per event"),
        style: z
          .enum(SCRIPT_STYLES)
          .default("netevd")
          .describe("what the scripts in dir were written for (netevd-scripts.7, STYLES)"),
        privileged,
        user: hooksUser,
        directories: z
          .array(
            z
              .object({
                path: pathList.describe(
                  "a directory, or several separated by ':' (the first holding a name wins)",
                ),
                style: z.enum(SCRIPT_STYLES).describe("the dispatcher its scripts were written for"),
                ignore_states: z
                  .array(z.string())
                  .optional()
                  .describe(
                    "networkd-dispatcher style: states whose scripts never run; default none (networkd-dispatcher 2.2 and later)",
                  ),
                privileged,
                user: hooksUser,
              })
              .strict(),
          )
          .default([])
          .describe("more script directories, each run as its own dispatcher ran it, after dir"),
        // prefault: the default is written as the user would write it, and parsed like it.
        timeout: duration("a script still running after this gets SIGTERM, then SIGKILL 5 s later").prefault(
          "30s",
        ),
        run_startup_triggers: z
          .boolean()
          .default(false)
          .describe("at start, run the scripts of each link's current state"),
        ambient_capabilities: z
          .array(z.enum(CAPABILITIES))
          .default([])
          .describe("capabilities scripts get; default none"),
        max_parallel: z
          .number()
          .int()
          .min(1)
          .max(256)
          .default(8)
          .describe("links whose scripts may run at the same time"),
      })
      .prefault({}),
    api: z
      .object({
        socket: absolutePath.default(DEFAULT_API_SOCKET).describe("Unix socket of the control API"),
        listen: listenAddress
          .default("")
          .describe("TCP address for the API; off when empty; needs token_file"),
        token_file: optionalPath.default("").describe("file holding the bearer token for TCP clients"),
      })
      .prefault({})
      .superRefine((api, ctx) => {
        if (api.listen !== "" && api.token_file === "") {
          ctx.addIssue({
            code: "custom",
            path: ["token_file"],
            message: "api.listen is set but api.token_file is empty",
            params: { allowed: "the path of a file holding the bearer token" },
          });
        }
      }),
    metrics: z
      .object({
        enabled: z.boolean().default(true).describe("serve Prometheus metrics at /metrics on the API"),
        listen: listenAddress
          .default("")
          .describe(
            "TCP address serving only /metrics and /healthz, without a token (for Prometheus); off when empty",
          ),
      })
      .prefault({}),
    audit: z
      .object({
        enabled: z.boolean().default(false).describe("log every change netevd makes, one JSON line each"),
        path: absolutePath.default("/var/log/netevd/audit.jsonl"),
      })
      .prefault({}),
    filters: z.array(filterSchema).default([]).describe("event filters: the first match decides"),
  })
  .describe("netevd configuration (/etc/netevd/netevd.yaml)");

export type Config = z.output<typeof ConfigSchema>;
export type Filter = Config["filters"][number];

/** The configuration an empty file gives. */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}
