// The script directory styles by name (netevd-scripts.7, STYLES).
export const SCRIPT_STYLES = ["netevd", "networkd-dispatcher", "nm-dispatcher", "netevd-rust"] as const;
export type ScriptStyleName = (typeof SCRIPT_STYLES)[number];
