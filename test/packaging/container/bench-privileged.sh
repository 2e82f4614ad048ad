#!/bin/bash
# Runs INSIDE the booted package container (bench/privileged.bench-test.ts runs it):
# installs the .deb, puts an unprivileged and a privileged hook that do nothing
# in routable.d, makes ROUNDS links routable one after another, and leaves the
# audit log (each run's duration as netevd measured it) and the executor's
# breakdown of each privileged run (timing.jsonl) in /out.
set -u
ROUNDS=$(cat /in/rounds)
dpkg -i /in/pkg/*.deb >/dev/null 2>&1 || { echo "dpkg -i failed"; exit 1; }
cat > /etc/netevd/netevd.yaml <<'EOC'
system: { backend: none }
audit: { enabled: true, path: /var/log/netevd/audit.jsonl }
scripts:
  privileged: { scripts: [routable.d/20-root] }
EOC
printf '#!/bin/sh\nexit 0\n' > /etc/netevd/routable.d/10-plain
printf '#!/bin/sh\nexit 0\n' > /etc/netevd/routable.d/20-root
chmod 755 /etc/netevd/routable.d/10-plain /etc/netevd/routable.d/20-root
# The executor at debug level: it logs where each run's time went (NETEVD_TIMING_*).
mkdir -p /etc/systemd/system/netevd-privileged.service.d
printf '[Service]\nExecStart=\nExecStart=/usr/bin/netevd --log-level debug privileged-executor\n' \
	> /etc/systemd/system/netevd-privileged.service.d/debug.conf
systemctl daemon-reload
systemctl restart netevd
for i in $(seq 1 100); do systemctl -q is-active netevd && break; sleep 0.1; done
runs() { grep -c '"script.run"' /var/log/netevd/audit.jsonl 2>/dev/null || echo 0; }
for r in $(seq 1 "$ROUNDS"); do
	ip link add pb0 type veth peer name pb1
	ip link set pb1 up
	ip link set pb0 up
	ip addr add 192.0.2.7/24 dev pb0
	for i in $(seq 1 200); do [ "$(runs)" -ge $((r * 2)) ] && break; sleep 0.05; done
	ip link del pb0
	sleep 0.2
done
cp /var/log/netevd/audit.jsonl /out/audit.jsonl
# The floor: systemd-run --wait starting the same hook as a transient unit,
# with the same output to the journal, as root (no request, no checks).
for r in $(seq 1 "$ROUNDS"); do
	t0=$(date +%s%N)
	systemd-run --wait -q -p StandardOutput=journal -p StandardError=journal /etc/netevd/routable.d/20-root
	echo $((($(date +%s%N) - t0) / 1000)) >> /out/systemd-run.us
done
journalctl -q -u netevd-privileged -o json \
	--output-fields=NETEVD_TIMING_CHECKS,NETEVD_TIMING_START,NETEVD_TIMING_JOB,NETEVD_TIMING_RUN,NETEVD_TIMING_COLLECT \
	| grep NETEVD_TIMING_ > /out/timing.jsonl
echo "runs: $(runs)"
