// network-broker's configuration keys (as network-broker v0.3 reads them):
// sections, types and its built-in defaults. Keys are matched case-insensitively.
export type BrokerSection = "system" | "network";

export interface BrokerKey {
  section: BrokerSection;
  /** The spelling network-broker documents. */
  name: string;
  type: "string" | "bool";
}

export const BROKER_KEYS: readonly BrokerKey[] = [
  { section: "system", name: "LogLevel", type: "string" },
  { section: "system", name: "LogFormat", type: "string" },
  { section: "system", name: "Generator", type: "string" },
  { section: "network", name: "Links", type: "string" },
  { section: "network", name: "RoutingPolicyRules", type: "string" },
  { section: "network", name: "EmitJSON", type: "bool" },
  { section: "network", name: "UseDNS", type: "bool" },
  { section: "network", name: "UseDomain", type: "bool" },
  { section: "network", name: "UseHostname", type: "bool" },
];

export const SECTION_NAMES: Record<BrokerSection, string> = { system: "System", network: "Network" };

export function findKey(name: string): BrokerKey | undefined {
  return BROKER_KEYS.find((k) => k.name.toLowerCase() === name.toLowerCase());
}

/** Boolean spellings network-broker's parser (Go strconv.ParseBool via viper/cast) accepted. */
const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False", ""]);
/** Spellings an administrator means as booleans but that crashed network-broker. */
const MEANT_TRUE = /^(yes|y|on|enable|enabled)$/i;
const MEANT_FALSE = /^(no|n|off|disable|disabled)$/i;

export type BoolReading = { ok: true; value: boolean } | { ok: false; meant: boolean | null };

export function brokerBool(v: unknown): BoolReading {
  if (typeof v === "boolean") return { ok: true, value: v };
  if (typeof v === "number")
    return v === 0 || v === 1 ? { ok: true, value: v === 1 } : { ok: false, meant: null };
  if (typeof v !== "string") return { ok: false, meant: null };
  if (TRUE.has(v)) return { ok: true, value: true };
  if (FALSE.has(v)) return { ok: true, value: false };
  if (MEANT_TRUE.test(v.trim())) return { ok: false, meant: true };
  if (MEANT_FALSE.test(v.trim())) return { ok: false, meant: false };
  if (/^true$/i.test(v.trim())) return { ok: false, meant: true };
  if (/^false$/i.test(v.trim())) return { ok: false, meant: false };
  return { ok: false, meant: null };
}

/** logrus levels → netevd's. */
export const LOG_LEVELS: Record<string, string> = {
  panic: "error",
  fatal: "error",
  error: "error",
  warn: "warn",
  warning: "warn",
  info: "info",
  debug: "debug",
  trace: "trace",
};

/** Config file extensions in viper's search order: the first that exists is used. */
export const VIPER_EXTENSIONS = [
  "json",
  "toml",
  "yaml",
  "yml",
  "properties",
  "props",
  "prop",
  "hcl",
  "tfvars",
  "dotenv",
  "env",
  "ini",
] as const;

export const CONFIG_DIRS = ["/etc/network-broker", "/etc/network-event-broker"];
export const BASE_NAME = "network-broker";
/** network-broker's policy tables: 9999 + ifindex. */
export const BROKER_TABLE_BASE = 9999;
