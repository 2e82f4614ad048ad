// netevd's route protocol id: on every rule and route netevd adds, so `ip rule`
// and `ip route` show them as "proto netevd" (packaging ships the name in
// /etc/iproute2/rt_protos.d/netevd.conf) and a restarted netevd finds its own.
// 177 is unused by the kernel, iproute2's list and FRR (186-198).
export const NETEVD_RTPROT = 177;
export const NETEVD_RTPROT_NAME = "netevd";

/** netevd's own rules and routes among the kernel's (by their protocol). */
export function owned<T extends { protocol: number | null }>(entries: Iterable<T>): T[] {
  return [...entries].filter((e) => e.protocol === NETEVD_RTPROT);
}
