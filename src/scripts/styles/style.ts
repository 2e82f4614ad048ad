// What a script directory's style decides (netevd-scripts.7, STYLES): which of
// its directories an event runs, with which arguments and variables, under
// which file rules. netevd's own variables are always there; a style's
// variables are added and win where the names are the same.
import type { NetworkEvent } from "../../events/event";
import type { ScriptStyleName } from "../../config/style-names";
import type { FileRule } from "../../config/script-rules";

/** One run of a directory's scripts for an event. */
export interface StyleRun {
  /** The directory under the style's root ("routable.d"); "" for the root itself. */
  subdir: string;
  /** Arguments every script gets. */
  args: string[];
}

/** What the daemon can read for a style when its scripts are about to run. */
export interface StyleContext {
  /** `networkctl status IFACE` as text, or null when it failed. */
  networkctlStatus?: (name: string) => Promise<string | null>;
}

export interface ScriptStyle {
  readonly name: ScriptStyleName;
  /**
   * The runs this event makes, in order; none when its dispatcher had no such
   * event. Called once per event, in the link's order: a style may remember.
   */
  runs(e: NetworkEvent): StyleRun[];
  /** The variables scripts get on top of netevd's own, read when scripts are about to run. */
  environment(
    e: NetworkEvent,
    run: StyleRun,
    ctx: StyleContext,
    /** netevd's own variables for the event. */
    base: Readonly<Record<string, string>>,
    /** A script that runs may read the costly variables: compute them (else they are built from the event). */
    costly: boolean,
  ): Promise<Record<string, string>>;
  /** Variables that cost a process or a round trip to compute (envRef's names): only for scripts that may read them. */
  readonly costly?: RegExp;
  /**
   * Starts reading what environment() will need, once the event is known to
   * run scripts that may read it: it then overlaps with the reading of the
   * event's other facts.
   */
  prefetch?(e: NetworkEvent, ctx: StyleContext): void;
  /** Why a file (after following symlinks) may not run under this style's rules, or undefined. */
  readonly rule: FileRule;
  /** Directories inside the root are part of the layout, not scripts (NetworkManager's). */
  readonly layoutDirs?: boolean;
  /**
   * Links in other namespaces (monitoring.namespaces) run its scripts. Only
   * netevd's own layouts: the other dispatchers saw their own namespace alone,
   * and their styles remember links by ifindex, which repeats across namespaces.
   */
  readonly otherNamespaces?: boolean;
  /**
   * Its dispatcher ran every state a link passed through, in order: a state
   * still waiting is never superseded by a later one (the other styles' are).
   */
  readonly everyState?: boolean;
  /** Whether netevd starts this script and goes on without waiting (NetworkManager's no-wait.d). */
  noWait?(path: string): boolean;
}
