#!/bin/bash
# Runs INSIDE the booted container (boot-run.sh): installs netevd from /in with
# the format's package manager, enables and checks the service, upgrades (deb,
# rpm), removes. Prints PASS/FAIL per check; the exit status is the failures.
# Usage (in the container): /test/run.sh, with FORMAT in /in/format.
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
FORMAT=$(cat /in/format)
fails=0
check() { local d=$1; shift; if "$@"; then echo "PASS: $d"; else echo "FAIL: $d"; fails=$((fails + 1)); fi; }
section() { echo; echo "=== $* ==="; }
wait_for() { local i; for i in $(seq 1 100); do "$@" && return 0; sleep 0.1; done; return 1; }
mainpid() { systemctl show -P MainPID netevd; }
pacman_conf=/root/pacman.conf
printf '[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n' > $pacman_conf
mkdir -p /var/lib/pacman

install_pkg() { # $1 = package file
	case $FORMAT in
	deb) dpkg -i "$1" ;;
	rpm) rpm -U --nodeps "$1" ;;
	pacman) pacman -U --noconfirm -dd --config $pacman_conf "$1" ;;
	esac
}

# The signed repository npm run package made for this format, as an
# administrator adds it (file: instead of https:, the container has no network).
section "the signed $FORMAT repository"
case $FORMAT in
deb)
	# Only this repository: the container cannot reach Debian's mirror.
	rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
	install -m 0644 /in/repo/apt/netevd-archive-keyring.gpg /usr/share/keyrings/
	cp -a /in/repo/apt /tmp/tampered
	P=/tmp/tampered/dists/bookworm/main/binary-amd64/Packages
	sed -i '0,/^Priority: /s//Priority:x/' $P && gzip -9nc $P > $P.gz
	echo "deb [signed-by=/usr/share/keyrings/netevd-archive-keyring.gpg] file:/tmp/tampered bookworm main" > /tmp/tampered.list
	apt-get -o Dir::Etc::SourceList=/tmp/tampered.list -o Dir::Etc::SourceParts=/dev/null update > /tmp/apt-tampered.out 2>&1
	check "apt refuses a repository with one byte changed in Packages" test $? -ne 0
	check "apt says why: the hash does not match the signed Release" grep -q "Hash Sum mismatch" /tmp/apt-tampered.out
	check "apt installed nothing from it" bash -c '! apt-cache policy netevd 2>/dev/null | grep -q tampered'
	echo "deb [signed-by=/usr/share/keyrings/netevd-archive-keyring.gpg] file:/in/repo/apt bookworm main" > /etc/apt/sources.list.d/netevd.list
	apt-get update > /tmp/apt-update.out 2>&1; rc=$?
	check "apt-get update accepts the signed repository" test $rc -eq 0 -a -z "$(grep -E '^(W|E):' /tmp/apt-update.out)"
	cat /tmp/apt-update.out
	;;
rpm)
	REPO_RPM=$(ls /in/repo/rpm/netevd-*.rpm)
	check "rpm -K: without the project key the signature is not trusted" bash -c "! rpm -K $REPO_RPM"
	rpm --import /in/repo/rpm/RPM-GPG-KEY-netevd
	check "rpm -K: the repository's package verifies against the project key" bash -c "rpm -K $REPO_RPM | grep -q 'digests signatures OK'"
	cp "$REPO_RPM" /tmp/changed.rpm && printf x | dd of=/tmp/changed.rpm bs=1 seek=$(( $(stat -c %s /tmp/changed.rpm) - 100 )) conv=notrunc 2>/dev/null
	check "rpm -K: a package changed after signing fails" bash -c '! rpm -K /tmp/changed.rpm'
	dnf -q -y --releasever=40 --setopt=reposdir=/dev/null --repofrompath=netevd,file:///in/repo/rpm --repo=netevd \
		--setopt=netevd.gpgcheck=1 --setopt=netevd.repo_gpgcheck=1 --setopt=netevd.gpgkey=file:///in/repo/rpm/RPM-GPG-KEY-netevd \
		repoquery --qf '%{name}-%{version}-%{release}.%{arch}' netevd > /tmp/repoquery.out 2>&1
	cat /tmp/repoquery.out
	check "dnf --repofrompath repoquery lists netevd from the signed metadata" grep -qx "netevd-[0-9.]*-1.x86_64" /tmp/repoquery.out
	check "the .repo file turns on both signature checks" grep -qx "repo_gpgcheck=1" /in/repo/rpm/netevd.repo
	;;
pacman)
	pacman-key --init > /tmp/pacman-key.out 2>&1
	pacman-key --add /in/repo/arch/netevd.asc >> /tmp/pacman-key.out 2>&1
	pacman-key --lsign-key "$(gpg --with-colons --show-keys /in/repo/arch/netevd.asc | awk -F: '/^fpr/ { print $10; exit }')" >> /tmp/pacman-key.out 2>&1
	check "pacman-key trusts the repository's key" test $? -eq 0
	sed 's|^Server = .*|Server = file:///in/repo/arch/$arch|' /in/repo/arch/pacman.conf.d-netevd >> $pacman_conf
	pacman -Sy --noprogressbar --config $pacman_conf > /tmp/pacman-sy.out 2>&1
	check "pacman -Sy takes the signed database" test $? -eq 0
	cat /tmp/pacman-key.out /tmp/pacman-sy.out
	check "pacman -Ss finds netevd in it" bash -c "pacman -Ss --config $pacman_conf '^netevd\$' | grep -q '^netevd/netevd '"
	;;
esac

section "install ($FORMAT)"
case $FORMAT in
deb) apt-get install -y --no-install-recommends netevd ;;
rpm) install_pkg "$REPO_RPM" ;;
pacman) pacman -S --noconfirm -dd --config $pacman_conf netevd ;;
esac
echo "install rc=$?"
check "netevd installed in /usr/bin" test -x /usr/bin/netevd
check "netevd-migrate is a symlink to netevd" test "$(readlink /usr/bin/netevd-migrate)" = netevd
check "user netevd created" getent passwd netevd
check "unit installed" test -f /usr/lib/systemd/system/netevd.service
check "default config installed: the backend follows the host's manager" grep -q "^  backend: auto " /etc/netevd/netevd.yaml
check "script directories are root's, 0755" test "$(stat -c %U:%a /etc/netevd/routable.d)" = root:755
check "polkit rule installed" test -f /usr/share/polkit-1/rules.d/50-netevd.rules
check "rt_protos name installed" grep -q "177	netevd" /etc/iproute2/rt_protos.d/netevd.conf
check "man pages installed" test -f /usr/share/man/man8/netevd.8.gz -a -f /usr/share/man/man5/netevd.yaml.5.gz -a -f /usr/share/man/man8/netevd-migrate.8.gz
check "netevd-scripts(7) installed" test -f /usr/share/man/man7/netevd-scripts.7.gz
check "JSON Schemas installed (configuration, events)" test -f /usr/share/netevd/netevd.schema.json -a -f /usr/share/netevd/netevd-event.v1.schema.json
check "Prometheus rules installed" grep -q "alert: NetevdHookFailing" /usr/share/netevd/prometheus/netevd-rules.yml
check "bash completion installed" test -f /usr/share/bash-completion/completions/netevd
check "example scripts installed" test -f /usr/share/doc/netevd/examples/50-log-event.sh
check "netevd --version runs without Node.js" /usr/bin/netevd --version
check "no node on the system" bash -c '! command -v node'
check "netevd validate accepts the shipped config" /usr/bin/netevd validate
netevd demo > /tmp/demo.out 2>&1; check "netevd demo: runs and exits 0" test $? -eq 0
check "netevd demo: the hook got the address on routable" grep -q "EVENT=routable LINK=nd0 LINKINDEX=[0-9]* ADDRESSES='192.0.2.10'" /tmp/demo.out
check "netevd demo: hooks ran as user netevd with no capabilities" grep -q "ran as netevd, CapEff: 0000000000000000" /tmp/demo.out
check "netevd demo: left no namespace behind" bash -c '! ip netns list | grep -q netevd-demo'
netevd-migrate; check "netevd-migrate without network-broker says so (exit 78)" test $? -eq 78
mkdir -p /etc/network-broker/routable.d
printf '[System]\nGenerator="systemd-networkd"\n[Network]\nLinks="nv0"\nEmitJSON=true\n' > /etc/network-broker/network-broker.toml
printf '#!/bin/sh\necho "$OperationalState"\n' > /etc/network-broker/routable.d/10-old; chmod 755 /etc/network-broker/routable.d/10-old
netevd-migrate > /tmp/migrate.out; check "netevd-migrate: dry run plans the migration (exit 0)" test $? -eq 0
check "netevd-migrate: the dry run wrote nothing" test ! -e /etc/netevd/routable.d/10-old
check "netevd-migrate: the report points at \$OperationalState" grep -q "10-old:2: OperationalState" /tmp/migrate.out
netevd-migrate --apply > /tmp/migrate.out; check "netevd-migrate --apply refuses to replace the shipped netevd.yaml (exit 1)" test $? -eq 1
check "netevd-migrate: the shipped config is untouched" grep -q "^  backend: auto " /etc/netevd/netevd.yaml
rm -rf /etc/network-broker
mkdir -p /etc/networkd-dispatcher/routable.d
printf '#!/bin/sh\necho "$IFACE $IP_ADDRS"\n' > /etc/networkd-dispatcher/routable.d/10-nd; chmod 755 /etc/networkd-dispatcher/routable.d/10-nd
netevd-migrate --from-networkd-dispatcher > /tmp/migrate.out; check "netevd-migrate --from-networkd-dispatcher: plans the hooks in place (exit 0)" test $? -eq 0
check "netevd-migrate --from-networkd-dispatcher: netevd.yaml would run them in style networkd-dispatcher" grep -q "style: networkd-dispatcher" /tmp/migrate.out
rm -rf /etc/networkd-dispatcher
if [ "$FORMAT" = deb ]; then
	# Debian custom: enabled and started on install, with the default configuration
	# (backend auto; no network manager runs in this container: the kernel alone).
	check "Debian: enabled on install" systemctl -q is-enabled netevd
	check "Debian: started on install with the default configuration" wait_for systemctl -q is-active netevd
	check "journal: ready, the backend chosen automatically (none: no manager runs)" wait_for bash -c 'journalctl -u netevd -b --no-pager | grep -q "backend none (auto)"'
fi

section "the shipped configuration: hooks run as netevd-hook, behind their own door"
check "user netevd-hook created, not in group netevd" bash -c 'getent passwd netevd-hook && ! id -nG netevd-hook | tr " " "\n" | grep -qx netevd'
check "the shipped netevd.yaml runs scripts as netevd-hook" grep -q "^  user: netevd-hook" /etc/netevd/netevd.yaml
# What the hook can reach, said on its standard output (the daemon's journal): its sandbox writes nothing else.
cat > /etc/netevd/routable.d/30-door <<'EOS'
#!/bin/sh
[ "$LINK" = nh0 ] || exit 0
can() { if "$@" 2>/dev/null; then echo yes; else echo no; fi; }
echo "door: uid=$(id -u) signal=$(can kill -0 "$(cat /etc/netevd/daemon.pid)") api=$(can test -w /run/netevd/netevd.sock) privileged=$(can test -w /run/netevd-privileged.sock) runner=$(can test -w /run/netevd-hooks/netevd-hook.sock)"
EOS
chmod 755 /etc/netevd/routable.d/30-door
systemctl restart netevd
check "netevd active with the shipped configuration" wait_for systemctl -q is-active netevd
mainpid > /etc/netevd/daemon.pid
check "netevd-hooks@netevd-hook.socket came up with netevd" systemctl -q is-active netevd-hooks@netevd-hook.socket
check "its socket is the daemon user's alone (0600 netevd)" test "$(stat -c %a:%U /run/netevd-hooks/netevd-hook.sock)" = 600:netevd
check "journal: ready" wait_for bash -c 'journalctl -u netevd -b --no-pager | grep -q "ready: [0-9]* link(s)"'
ip link add nh0 type veth peer name nh1
ip link set nh1 up
ip link set nh0 up
ip addr add 192.0.2.77/24 dev nh0
door() { journalctl -u netevd -b --no-pager -o cat | grep "door: "; }
check "the hook ran, its output in netevd's journal" wait_for bash -c "$(declare -f door); door | grep -q uid="
door
check "the hook ran as netevd-hook" bash -c "$(declare -f door); door | grep -q 'uid=$(id -u netevd-hook) '"
check "the hook cannot signal the daemon" bash -c "$(declare -f door); door | grep -q 'signal=no '"
check "the hook cannot reach the control API, the executor's or its runner's socket" bash -c "$(declare -f door); door | grep -q 'api=no privileged=no runner=no'"
check "the runner is its own unit, as netevd-hook" test "$(systemctl show -P User netevd-hooks@netevd-hook.service)" = netevd-hook
ip link del nh0
rm -f /etc/netevd/routable.d/30-door /etc/netevd/daemon.pid

section "configure the kernel-only backend, a routable.d script"
cat > /etc/netevd/netevd.yaml <<'EOC'
# edited by the administrator
system: { backend: none }
scripts:
  timeout: 3s
  directories: [{ path: /etc/rust-hooks, style: netevd-rust }]
metrics: { listen: "127.0.0.1:9171" }
EOC
# A hook written for the Rust netevd: its flat JSON, HOME and USER.
mkdir -p /etc/rust-hooks/routable.d
cat > /etc/rust-hooks/routable.d/50-rust <<'EOS'
#!/bin/sh
echo "$USER $JSON" > /run/netevd/rust.$LINK
EOS
chmod 755 /etc/rust-hooks/routable.d/50-rust
cat > /etc/netevd/routable.d/50-record <<'EOS'
#!/bin/sh
grep -E '^(Uid|CapEff|CapAmb)' /proc/self/status > /run/netevd/routable.$LINK
echo "LINK=$LINK STATE=$STATE ADDRESSES=$ADDRESSES" >> /run/netevd/routable.$LINK
env > /run/netevd/env.$LINK
EOS
chmod 755 /etc/netevd/routable.d/50-record
# A hook that fails for nv0: the journal's catalog explains it.
cat > /etc/netevd/routable.d/60-fails <<'EOS'
#!/bin/sh
[ "$LINK" = nv0 ] || exit 0
echo "60-fails: giving up on $LINK" >&2
exit 3
EOS
chmod 755 /etc/netevd/routable.d/60-fails
# A hung hook whose child leaves its session and ignores SIGTERM.
mkdir -p /etc/netevd/degraded.d
cat > /etc/netevd/degraded.d/50-escape <<'EOS'
#!/bin/sh
[ "$LINK" = nv3 ] || exit 0
setsid sh -c 'trap "" TERM; echo $$ > /run/netevd/escapee.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &
sleep 300
EOS
chmod 755 /etc/netevd/degraded.d/50-escape

section "systemctl enable --now netevd"
systemctl enable --now netevd; echo "enable --now rc=$?"
systemctl restart netevd  # the Debian postinst already started it with the old configuration
check "active (Type=notify: READY=1 was sent)" wait_for systemctl -q is-active netevd
check "enabled" systemctl -q is-enabled netevd
systemctl -q is-active netevd || journalctl -u netevd -b --no-pager | tail -25
pid=$(mainpid); echo "MainPID=$pid"
grep -E '^(Uid|Cap|NoNewPrivs)' /proc/$pid/status
check "main process runs as user netevd" test "$(ps -o user= -p "$pid")" = netevd
check "CapEff = cap_net_admin only" test "$(awk '/^CapEff/{print $2}' /proc/$pid/status)" = 0000000000001000
check "CapPrm = cap_net_admin only" test "$(awk '/^CapPrm/{print $2}' /proc/$pid/status)" = 0000000000001000
check "CapAmb empty (scripts get nothing)" test "$(awk '/^CapAmb/{print $2}' /proc/$pid/status)" = 0000000000000000
check "journal: ready after the first sync" wait_for bash -c 'journalctl -u netevd -b --no-pager | grep -q "ready: [0-9]* link(s)"'
netevd status; check "netevd status answers over the API socket (exit 0)" test $? -eq 0
check "the API socket is 0660, group netevd" test "$(stat -c %a:%G /run/netevd/netevd.sock)" = 660:netevd
check "netevd status reports the backend" bash -c 'netevd status --format json | grep -q "\"backend\": \"none\""' 

section "a veth becomes routable: routable.d runs as netevd with no capabilities"
ip link add nv0 type veth peer name nv1
ip link set nv1 up
ip link set nv0 up
ip addr add 192.0.2.5/24 dev nv0
check "routable.d script ran for nv0" wait_for test -s /run/netevd/routable.nv0
cat /run/netevd/routable.nv0
check "script CapEff = 0" grep -q "CapEff:	0000000000000000" /run/netevd/routable.nv0
check "script environment" grep -q "LINK=nv0 STATE=routable ADDRESSES=192.0.2.5" /run/netevd/routable.nv0
check "script uid is netevd's" grep -q "Uid:	$(id -u netevd)	" /run/netevd/routable.nv0
check "script environment has nothing of the daemon's own (PKG_NATIVE_CACHE_PATH, NODE_OPTIONS)" bash -c '! grep -qE "PKG_|NODE_OPTIONS" /run/netevd/env.nv0'
main_pid=$(systemctl show -P MainPID netevd)
check "the daemon runs with the unit's heap flags" grep -qzx 'NODE_OPTIONS=--jitless --max-semi-space-size=2 --v8-pool-size=1' "/proc/$main_pid/environ"
check "journal: V8 took the executable's code cache (no warning)" bash -c '! journalctl -u netevd -b --no-pager | grep -q "Code cache"'
check "licences of the bundled packages installed" grep -q "^zod " /usr/share/doc/netevd/third-party-notices.txt
check "a Rust netevd hook (style netevd-rust) got USER and its flat JSON" wait_for grep -q '^netevd {"ifindex":[0-9]*,"ifname":"nv0"' /run/netevd/rust.nv0

section "metrics.listen and netevd dashboard"
# bash's /dev/tcp: no HTTP client in the container. http_get PORT PATH [TOKEN]
http_get() {
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%b\r\n' "$2" "${3:+Authorization: Bearer $3\r\n}" >&3
	timeout 5 cat <&3
	exec 3<&-
}
check "metrics.listen serves /metrics without a token" bash -c "$(declare -f http_get); http_get 9171 /metrics | grep -q '^netevd_events_total'"
check "... and nothing else" bash -c "$(declare -f http_get); http_get 9171 /v1/links | grep -q '^HTTP/1.1 404'"
netevd dashboard --listen 127.0.0.1:8091 > /tmp/dashboard.out 2>&1 &
dashboard_pid=$!
check "netevd dashboard prints the URL to open" wait_for grep -q "open http://127.0.0.1:8091/?token=" /tmp/dashboard.out
token=$(sed -n 's|.*?token=||p' /tmp/dashboard.out)
check "the dashboard refuses a request without the token" bash -c "$(declare -f http_get); http_get 8091 /api/links | grep -q '^HTTP/1.1 401'"
check "the dashboard serves the page and the links with it" bash -c "$(declare -f http_get); http_get 8091 / $token | grep -q '<title>netevd</title>' && http_get 8091 /api/links $token | grep -q '\"name\": \"nv0\"'"
kill "$dashboard_pid"

section "the journal's own fields and catalog"
FAILED_ID=6d7bd66d72074d3cbccd946b046d1160
check "the catalog is installed and known to journalctl" bash -c "journalctl --list-catalog | grep -q '^$FAILED_ID netevd: A netevd script failed'"
check "journalctl -u netevd INTERFACE=nv0 shows the link's event lines" wait_for bash -c 'journalctl -b -u netevd INTERFACE=nv0 --no-pager -o cat | grep -qx "daemon \[nv0\]: event routable"'
check "... and no other link's" bash -c '! journalctl -b -u netevd INTERFACE=nv0 --no-pager -o cat | grep -v "\[nv0\]"'
check "journalctl NETEVD_EVENT=routable finds the event" bash -c 'journalctl -b -u netevd NETEVD_EVENT=routable --no-pager -o cat | grep -q "\[nv0\]: event routable"'
check "the failed script: NETEVD_SCRIPT, NETEVD_EXIT_STATUS=3, MESSAGE_ID" wait_for bash -c "journalctl -b -u netevd NETEVD_SCRIPT=60-fails NETEVD_EXIT_STATUS=3 MESSAGE_ID=$FAILED_ID --no-pager -o cat | grep -q 'exited with status 3'"
check "netevd list runs shows the failed run with its exit status" bash -c 'netevd list runs --link nv0 --format json | grep -A3 "\"script\": \"60-fails\"" | grep -q "\"exit_status\": 3"'
check "its stderr line carries NETEVD_SCRIPT too" bash -c 'journalctl -b -u netevd NETEVD_SCRIPT=60-fails --no-pager -o cat | grep -q "giving up on nv0"'
journalctl -b -x -u netevd MESSAGE_ID=$FAILED_ID --no-pager > /tmp/explained.txt
sed -n 1,12p /tmp/explained.txt
check "journalctl -x explains the failed script from the catalog, with its fields" grep -q "The script 60-fails, run for the event routable of link" /tmp/explained.txt
check "journalctl -x: ready has its catalog entry" bash -c 'journalctl -b -x -u netevd MESSAGE_ID=9e75cb1c8570470bb81c95ef7f54a34e --no-pager | grep -q "netevd is watching the network"'

section "a hung hook's setsid child dies with the hook's timeout (its own cgroup, Delegate=yes)"
check "journal: scripts run in cgroups of their own" wait_for bash -c 'journalctl -u netevd -b --no-pager | grep -q "each script runs in a cgroup of its own under /sys/fs/cgroup.*/netevd.service"'
ip link add nv3 type veth peer name nv4
ip link set nv4 up
ip link set nv3 up
check "the escaping hook ran" wait_for test -s /run/netevd/escapee.pid
escapee=$(cat /run/netevd/escapee.pid)
check "the child is gone after the timeout and the grace (3 s + 5 s)" bash -c "for i in \$(seq 1 150); do kill -0 $escapee 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
kill -9 "$escapee" 2>/dev/null
check "the unit keeps its memory ceiling" test "$(systemctl show -P MemoryMax netevd)" = 536870912
before=$(mainpid)
kill -KILL "$before"  # what the OOM killer does at MemoryMax
check "killed as by the OOM killer: restarted (new MainPID, active again)" wait_for bash -c "systemctl -q is-active netevd && [ \"\$(systemctl show -P MainPID netevd)\" != $before ] && [ \"\$(systemctl show -P MainPID netevd)\" != 0 ]"
check "restarted: ready again after its first sync" wait_for bash -c 'test "$(journalctl -u netevd -b --no-pager | grep -c "ready: [0-9]* link(s)")" -ge 2'
ip link del nv3

section "privileged hooks: root outside the daemon, only the ones the administrator marked"
cat > /etc/netevd/netevd.yaml <<'EOC'
# edited by the administrator
system: { backend: none }
scripts:
  timeout: 3s
  privileged: { scripts: [routable.d/40-firewall, degraded.d/40-hang] }
EOC
cat > /etc/netevd/routable.d/40-firewall <<'EOS'
#!/bin/sh
nft add table inet netevd_test || exit 1
nft add chain inet netevd_test input || exit 1
nft add rule inet netevd_test input iifname "$LINK" counter accept || exit 1
echo "$LINK" >> /etc/netevd-firewall.links
grep -E '^(Uid|CapEff)' /proc/self/status > /run/netevd-priv.$LINK
echo "firewall opened for $LINK"
EOS
chmod 755 /etc/netevd/routable.d/40-firewall
cat > /etc/netevd/degraded.d/40-hang <<'EOS'
#!/bin/sh
[ "$LINK" = nv7 ] || exit 0
setsid sh -c 'trap "" TERM; echo $$ > /run/priv-escapee.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &
sleep 300
EOS
chmod 755 /etc/netevd/degraded.d/40-hang
systemctl restart netevd
check "active again" wait_for systemctl -q is-active netevd
check "netevd-privileged.socket started with netevd" systemctl -q is-active netevd-privileged.socket
check "its socket is root:netevd 0660" test "$(stat -c %U:%G:%a /run/netevd-privileged.sock)" = root:netevd:660
ip link add nv5 type veth peer name nv6
ip link set nv6 up
ip link set nv5 up
ip addr add 192.0.2.55/24 dev nv5
check "the privileged hook ran for nv5" wait_for test -s /run/netevd-priv.nv5
cat /run/netevd-priv.nv5
check "privileged hook: uid 0" grep -q "Uid:	0	" /run/netevd-priv.nv5
check "privileged hook: added its nftables rule" bash -c 'nft list table inet netevd_test | grep -q "iifname \"nv5\""'
check "privileged hook: wrote under /etc" grep -qx nv5 /etc/netevd-firewall.links
check "the unprivileged hook beside it: CapEff 0" wait_for grep -q "CapEff:	0000000000000000" /run/netevd/routable.nv5
check "the daemon's own CapEff is still cap_net_admin only" test "$(awk '/^CapEff/{print $2}' /proc/$(mainpid)/status)" = 0000000000001000
check "the daemon still runs as netevd" test "$(ps -o user= -p "$(mainpid)")" = netevd
check "journal: the hook's output under its own name" wait_for bash -c 'journalctl -b -t 40-firewall --no-pager | grep -q "firewall opened for nv5"'
check "journal: it ran in a transient unit of its own" bash -c 'journalctl -b -u netevd-privileged --no-pager | grep -q "running /etc/netevd/routable.d/40-firewall as root in netevd-hook-"'
check "journal: the executor's line has the link's INTERFACE= and NETEVD_SCRIPT=" bash -c 'journalctl -b -u netevd-privileged INTERFACE=nv5 NETEVD_SCRIPT=40-firewall --no-pager -o cat | grep -q "as root in netevd-hook-"'
check "the netevd user cannot start units itself" bash -c '! setpriv --reuid=netevd --regid=netevd --init-groups busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager StartUnit ss systemd-hostnamed.service replace 2>/tmp/busctl.err'
cat /tmp/busctl.err
# A symlink swapped in for the marked hook, to a root file in a directory the
# netevd user owns (it could replace the file): netevd lists it, the executor
# refuses it.
printf '#!/bin/sh\ntouch /run/swapped-ran\n' > /var/cache/netevd/evil; chmod 755 /var/cache/netevd/evil
ln -s /var/cache/netevd/evil /etc/netevd/routable.d/.40-new && mv -T /etc/netevd/routable.d/.40-new /etc/netevd/routable.d/40-firewall
ip link add nv9 type veth peer name nv10
ip link set nv10 up
ip link set nv9 up
ip addr add 192.0.2.56/24 dev nv9
check "the swapped-in symlink was refused" wait_for bash -c 'journalctl -b -u netevd-privileged --no-pager | grep -q "refused /etc/netevd routable.d/40-firewall (from uid [0-9]* pid [0-9]*): directory /var/cache/netevd (uid [0-9]*, mode 0750) must be root.s"'
check "and did not run" test ! -e /run/swapped-ran
check "the daemon logged the refusal for the hook" bash -c 'journalctl -b -u netevd --no-pager | grep -q "refused by netevd-privileged"'
ip link add nv7 type veth peer name nv8
ip link set nv8 up
ip link set nv7 up
check "the hung privileged hook ran" wait_for test -s /run/priv-escapee.pid
priv_escapee=$(cat /run/priv-escapee.pid)
check "its setsid child is gone after the timeout and the grace (3 s + 5 s)" bash -c "for i in \$(seq 1 150); do kill -0 $priv_escapee 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
kill -9 "$priv_escapee" 2>/dev/null
check "no netevd-hook unit is left loaded after its run" wait_for bash -c '! systemctl list-units --all --no-legend "netevd-hook-*" | grep -q .'
ip link del nv5; ip link del nv7; ip link del nv9
rm -f /etc/netevd/routable.d/40-firewall /etc/netevd/degraded.d/40-hang /var/cache/netevd/evil
nft delete table inet netevd_test

section "network namespaces: another namespace's links, its socket from netevd-privileged"
cat > /etc/netevd/netevd.yaml <<'EOC'
# edited by the administrator
system: { backend: none }
monitoring: { namespaces: [tenant-*] }
scripts:
  privileged: { scripts: [routable.d/45-inside], namespace: link }
EOC
mkdir -p /etc/netevd/netns.d
cat > /etc/netevd/routable.d/45-inside <<'EOS'
#!/bin/sh
[ -n "$NETNS" ] || exit 0
ip -j addr > "/run/netevd-inside.$NETNS.json"
EOS
printf '#!/bin/sh\necho "$NETNS $LINK $(id -un)" >> /run/netevd/routable-netns\n' > /etc/netevd/routable.d/46-record
printf '#!/bin/sh\necho "$NETNS $NETNS_ACTION" >> /run/netevd/netns\n' > /etc/netevd/netns.d/10-record
chmod 755 /etc/netevd/routable.d/45-inside /etc/netevd/routable.d/46-record /etc/netevd/netns.d/10-record
systemctl restart netevd
check "active again" wait_for systemctl -q is-active netevd
ip netns add tenant-a
ip -n tenant-a link add ta0 type veth peer name ta1
ip -n tenant-a link set ta1 up
ip -n tenant-a link set ta0 up
ip -n tenant-a addr add 198.51.100.7/24 dev ta0
check "netns.d ran: tenant-a created" wait_for grep -qx "tenant-a created" /run/netevd/netns
check "routable.d ran for ta0 with NETNS=tenant-a, as user netevd" wait_for grep -qx "tenant-a ta0 netevd" /run/netevd/routable-netns
check "the privileged hook entered tenant-a: it saw ta0 and its address" wait_for grep -q '"local":"198.51.100.7"' /run/netevd-inside.tenant-a.json
check "the daemon's CapEff is still cap_net_admin only" test "$(awk '/^CapEff/{print $2}' /proc/$(mainpid)/status)" = 0000000000001000
check "netevd list links --netns tenant-a: ta0 routable" bash -c 'netevd list links --netns tenant-a --format json | grep -A3 "\"name\": \"ta0\"" | grep -q "\"state\": \"routable\""'
check "journal: netevd-privileged handed over the socket, the daemon watches tenant-a" wait_for bash -c 'journalctl -b -u netevd --no-pager | grep -q "watching namespace tenant-a"'
ip netns del tenant-a
check "netns.d ran: tenant-a deleted" wait_for grep -qx "tenant-a deleted" /run/netevd/netns
check "netevd list namespaces: none left" bash -c '[ "$(netevd list namespaces --format json)" = "[]" ]'
rm -rf /etc/netevd/netns.d /etc/netevd/routable.d/45-inside /etc/netevd/routable.d/46-record /run/netevd-inside.*

section "backend dhclient: a lease's DNS and host name reach resolved and hostnamed as user netevd (the polkit rule)"
systemctl start systemd-resolved
# No static host name, so the transient one shows (hostnamed never writes /etc/hostname for it).
rm -f /etc/hostname
mkdir -p /var/lib/dhcp
cat > /etc/netevd/netevd.yaml <<'EOC'
# edited by the administrator
system: { backend: dhclient }
backends: { dhclient: { use_dns: true, use_domain: true, use_hostname: true } }
EOC
systemctl restart netevd
cat > /var/lib/dhcp/dhclient.nv0.leases <<'EOL'
lease {
  interface "nv0";
  fixed-address 192.0.2.5;
  option subnet-mask 255.255.255.0;
  option domain-name-servers 192.0.2.53;
  option domain-name "lease.example";
  option host-name "lease-host";
  expire never;
}
EOL
check "resolved holds the lease's DNS server for nv0" wait_for bash -c 'resolvectl dns nv0 | grep -q 192.0.2.53'
check "resolved holds the lease's domain for nv0" wait_for bash -c 'resolvectl domain nv0 | grep -q lease.example'
check "hostnamed set the lease's transient host name (polkit: set-hostname)" wait_for bash -c '[ "$(hostname)" = lease-host ]'
check "the static host name was not written" test ! -e /etc/hostname
resolvectl status nv0 | head -8
journalctl -u netevd -b --no-pager | grep -E "DNS servers|domains|resolved|host name" | tail -5

section "policy routing: rules with the packaged protocol name"
cat > /etc/netevd/netevd.yaml <<'EOC'
# edited by the administrator
system: { backend: none }
routing: { policy_rules: [nv0] }
EOC
systemctl restart netevd
t=$((200 + $(cat /sys/class/net/nv0/ifindex)))
check "ip rule shows netevd's rule by its rt_protos name" wait_for bash -c "ip rule show | grep -q 'from 192.0.2.5 lookup $t proto netevd'"
check "the link's table has its prefix route" bash -c "ip route show table $t | grep -q '192.0.2.0/24 dev nv0 proto netevd'"
check "netevd list rules shows it (API)" bash -c "netevd list rules --format json | grep -q '\"from\": \"192.0.2.5\"'"
ip rule show
systemctl stop netevd
check "stop removes netevd's rules" bash -c "! ip rule show | grep -q 'proto netevd'"
systemctl start netevd

section "reload and stop"
systemctl reload netevd; sleep 0.3
check "reload (SIGHUP) keeps it running" systemctl -q is-active netevd
check "journal: configuration reloaded" wait_for bash -c 'journalctl -u netevd -b --no-pager | grep -q "configuration reloaded"'

if [ -d /in/pkg/new ]; then
	section "upgrade to a newer version"
	before=$(mainpid)
	install_pkg /in/pkg/new/*; echo "upgrade rc=$?"
	check "the administrator's edit is kept" grep -q "edited by the administrator" /etc/netevd/netevd.yaml
	check "still active after the upgrade" wait_for systemctl -q is-active netevd
	check "restarted by the upgrade (new MainPID)" test "$(mainpid)" != "$before"
	case $FORMAT in
	deb) check "new version installed" test "$(dpkg-query -W -f '${Version}' netevd)" = 0.1.1-1 ;;
	rpm) check "new version installed" test "$(rpm -q --qf '%{VERSION}-%{RELEASE}' netevd)" = 0.1.1-1 ;;
	esac
fi

section "remove"
case $FORMAT in
deb) dpkg -r netevd ;;
rpm) rpm -e --nodeps netevd ;;
pacman) pacman -R --noconfirm --config $pacman_conf netevd ;;
esac
echo "remove rc=$?"
check "stopped" bash -c '! systemctl -q is-active netevd'
check "not enabled" test ! -e /etc/systemd/system/multi-user.target.wants/netevd.service
check "binary removed" test ! -e /usr/bin/netevd
check "user kept" getent passwd netevd
if [ "$FORMAT" = deb ]; then
	check "dpkg -r keeps the edited configuration" test -f /etc/netevd/netevd.yaml
	dpkg -P netevd; echo "purge rc=$?"
	check "dpkg -P removes the configuration" test ! -e /etc/netevd/netevd.yaml
	check "dpkg -P leaves no package state" bash -c '! dpkg -s netevd >/dev/null 2>&1'
	check "user kept after purge (Debian policy)" getent passwd netevd
fi
systemctl --failed --no-legend
echo
echo "FAILURES: $fails"
exit $fails
