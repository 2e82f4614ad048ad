// The control API's response bodies: the one definition the daemon's handlers
// return and the CLI reads. Events are the event JSON itself (netevd.event.v1).
import type { LinkProperties } from "../links/link-table";
import type { AddressInfo, EventJson } from "../events/event";

export type Family = "ipv4" | "ipv6";

/** GET /v1/status. The count of links in the backend's up state is keyed by that state's name. */
export interface StatusBody {
  version: string;
  /** The backend in use; under `auto`, the one managing the host now. */
  backend: string;
  /** "auto" (system.backend: auto) or "configured". */
  backend_mode: string;
  /** Why this backend: what auto saw, or "configured". */
  backend_reason: string;
  /** A configured backend whose manager is not running, in plain words; null when all is well. */
  backend_problem: string | null;
  /** "running", "starting", or "warning" (backend_problem says why). */
  state: string;
  ready: boolean;
  dry_run: boolean;
  config: string;
  uptime_seconds: number;
  links: number;
  policy_rules: number;
  policy_routes: number;
  /** Other network namespaces watched now. */
  namespaces: number;
  [upState: string]: string | number | boolean | null;
}

/** GET /v1/links (a list) and /v1/links/{name}. */
export interface LinkBody {
  name: string;
  index: number;
  /** The network namespace's name; null: netevd's own. */
  netns: string | null;
  state: string | null;
  monitored: boolean;
  /** Where its states come from: the backend in use (another namespace's: none). */
  backend: string;
  /** "auto" when that backend was chosen by system.backend: auto. */
  backend_mode: string;
  operstate: string;
  carrier: boolean | null;
  kind: string | null;
  mac: string | null;
  mtu: number | null;
  addresses: AddressInfo[];
  gateway: string | null;
  manager: LinkProperties | null;
}

/** GET /v1/namespaces: the other network namespaces watched (monitoring.namespaces). */
export interface NamespaceBody {
  name: string;
  links: number;
  routable: number;
}

/** GET /v1/routes: netevd's own policy routes. */
export interface RouteBody {
  family: Family;
  table: number;
  dst: string;
  gateway: string | null;
  dev: string | number | null;
}

/** GET /v1/rules: netevd's own policy rules, by priority. */
export interface RuleBody {
  family: Family;
  priority: number | null;
  from: string | null;
  to: string | null;
  table: number;
}

/** GET /v1/scripts: per event directory. */
export interface ScriptsBody {
  event: string;
  scripts: string[];
  skipped: { name: string; rule: string; detail: string }[];
  ignored: string[];
}

/** GET /v1/runs: a finished script run. */
export interface RunBody {
  time: string;
  link: string;
  event: string;
  script: string;
  path: string;
  result: "success" | "failure" | "timeout" | "error";
  /** The exit code, or the name of the signal that ended it; null when it did not start. */
  exit_status: number | string | null;
  duration_ms: number;
}

/** POST /v1/reload. */
export interface ReloadBody {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

/** Any non-2xx answer. */
export interface ErrorBody {
  error: string;
}

export type EventBody = EventJson;
