#!/bin/bash
# Runs INSIDE the booted container (boot-run.sh): one host of the backend hosts
# test. The host's network is set up as its manager would have it, then the
# .deb is installed with its netevd.yaml left as shipped (backend: auto), then a
# link changes and routable.d must run, with BACKEND naming the manager.
# Cases (/in/case): networkmanager, networkd, ifupdown, none, nm-later (NetworkManager
# starts after netevd). /in/netevd.deb is the package. Prints PASS/FAIL per
# check; the exit status is the failures.
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
CASE=$(cat /in/case)
fails=0
check() { local d=$1; shift; if "$@"; then echo "PASS: $d"; else echo "FAIL: $d"; fails=$((fails + 1)); fi; }
section() { echo; echo "=== $* ==="; }
# Polls a condition (the container's services give no other signal to wait on): 20 s at most.
wait_for() { local i; for i in $(seq 1 200); do "$@" && return 0; sleep 0.1; done; return 1; }
# The shipped configuration runs hooks as netevd-hook: they write to its runtime directory.
RUN=/run/netevd-hooks/netevd-hook
has() { grep -qx "$3" $RUN/$1.$2.* 2>/dev/null; }
journal() { journalctl -u netevd -b --no-pager; }
status_json() { netevd status --format json 2>/dev/null; }

section "the host: $CASE"
# ve0 here; its peer in netns "lan", the neighbour that serves DHCP.
ip netns add lan
ip link add ve0 type veth peer name ve0p netns lan
ip -n lan link set lo up
ip -n lan addr add 10.99.0.1/24 dev ve0p
ip -n lan link set ve0p up

nm_profile() { # a static profile for ve0, as an administrator writes it
	mkdir -p /etc/NetworkManager/system-connections /etc/NetworkManager/conf.d
	# A container's read-only /sys keeps NetworkManager off udev; its veths are managed by this profile.
	# The two links with a $ in their names are the privileged-hook check's (networkmanager case).
	printf '[main]\nno-auto-default=*\n[keyfile]\nunmanaged-devices=except:interface-name:ve0;except:interface-name:$IP4_ADDRESS_0;except:interface-name:${PATH}\n' > /etc/NetworkManager/conf.d/90-test.conf
	cat > /etc/NetworkManager/system-connections/ve0.nmconnection <<'EOF'
[connection]
id=ve0
type=ethernet
interface-name=ve0
autoconnect=true
[ipv4]
method=manual
address1=10.99.0.2/24,10.99.0.1
[ipv6]
method=disabled
EOF
	chmod 600 /etc/NetworkManager/system-connections/ve0.nmconnection
}
nm_start() {
	systemctl start NetworkManager
	check "NetworkManager runs" wait_for bash -c 'nmcli -t -f RUNNING general | grep -qx running'
}

lan_dhcp() { # dnsmasq in "lan"; .50-.59: the checks below match "10.99.0.5" (it picks from the range by the random MAC)
	ip netns exec lan dnsmasq --no-daemon --port=0 --no-ping --interface=ve0p --bind-interfaces \
		--dhcp-range=10.99.0.50,10.99.0.59,12h --dhcp-option=option:router,10.99.0.1 \
		--dhcp-option=option:dns-server,10.99.0.1 --dhcp-leasefile=/run/dnsmasq-lan.leases > /run/dnsmasq.log 2>&1 &
}

case $CASE in
networkmanager)
	nm_profile
	nm_start
	check "NetworkManager activated ve0" wait_for bash -c 'nmcli -t -f GENERAL.STATE device show ve0 | grep -q "100 (connected)"'
	;;
networkd)
	# DHCP from the neighbour: its lease makes dhcp4-change.
	lan_dhcp
	mkdir -p /etc/systemd/network
	printf '[Match]\nName=ve0\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' > /etc/systemd/network/50-ve0.network
	systemctl start systemd-networkd
	check "systemd-networkd made ve0 routable" wait_for bash -c 'networkctl status ve0 2>/dev/null | grep -q "State: routable"'
	;;
ifupdown)
	lan_dhcp
	printf 'allow-hotplug ve0\niface ve0 inet dhcp\n' > /etc/network/interfaces.d/ve0
	ifup ve0 > /run/ifup.log 2>&1
	check "ifup ve0: dhclient took a lease from dnsmasq" wait_for bash -c 'grep -qs "fixed-address 10.99.0.5" /var/lib/dhcp/dhclient.ve0.leases'
	;;
none | nm-later)
	ip link set ve0 up
	;;
esac

section "install the package; netevd.yaml as shipped"
mkdir -p /etc/netevd/routable.d /etc/netevd/activated.d /etc/netevd/dhcp4-change.d /etc/netevd/dns-change.d
for e in routable activated dhcp4-change dns-change; do
	# Each run leaves its variables in the hook user's runtime directory.
	printf '#!/bin/sh\nenv > %s/%s.$LINK.$$\n' "$RUN" "$e" > /etc/netevd/$e.d/50-record
	chmod 755 /etc/netevd/$e.d/50-record
done
dpkg -i /in/netevd.deb > /run/dpkg.log 2>&1; check "dpkg -i installs the package" test $? -eq 0
if [ -e /in/old-default ]; then
	# Shows what the earlier default did on this host: backend pinned to systemd-networkd.
	sed -i 's/^  backend: auto .*/  backend: systemd-networkd/' /etc/netevd/netevd.yaml
	systemctl restart netevd
	echo "NOTE: netevd.yaml changed to the earlier default, backend: systemd-networkd"
else
	check "netevd.yaml is the shipped one (backend: auto)" grep -q "^  backend: auto " /etc/netevd/netevd.yaml
fi
check "netevd is active" wait_for systemctl -q is-active netevd
check "netevd is ready" wait_for bash -c 'journalctl -u netevd -b --no-pager | grep -q "ready: "'

expect_backend() { # $1 backend: the journal's one line, status and the metric say it, chosen automatically
	check "journal: backend $1 chosen automatically, with the reason" wait_for bash -c "journalctl -u netevd -b --no-pager | grep -q 'backend $1 (auto: '"
	check "netevd status: backend $1, mode auto, no problem" wait_for bash -c "netevd status --format json | grep -q '\"backend\": \"$1\"' && netevd status --format json | grep -q '\"backend_mode\": \"auto\"' && netevd status --format json | grep -q '\"backend_problem\": null'"
}

section "a link change"
case $CASE in
networkmanager)
	expect_backend NetworkManager
	nmcli connection down ve0 > /dev/null && nmcli connection up ve0 > /dev/null
	check "activated.d ran for ve0 with BACKEND=NetworkManager" wait_for has activated ve0 BACKEND=NetworkManager
	# NetworkManager's DNS configuration changes: dns-change.d, the manager's (LINK empty).
	nmcli connection modify ve0 ipv4.dns 10.99.0.53 > /dev/null && nmcli device reapply ve0 > /dev/null
	check "dns-change.d ran when NetworkManager's DNS configuration changed" wait_for has dns-change "" EVENT=dns-change
	;;
networkd)
	expect_backend systemd-networkd
	ip link set ve0 down && ip link set ve0 up
	;;
ifupdown)
	expect_backend dhclient
	ifdown ve0 > /dev/null 2>&1; ifup ve0 > /dev/null 2>&1
	;;
none)
	expect_backend none
	ip addr add 10.99.0.2/24 dev ve0
	;;
nm-later)
	expect_backend none
	nm_profile
	nm_start
	check "journal: netevd followed NetworkManager without a restart" wait_for bash -c "journalctl -u netevd -b --no-pager | grep -q 'backend NetworkManager (auto: .*; was none'"
	expect_backend NetworkManager
	check "netevd was not restarted" test "$(systemctl show -P NRestarts netevd)" = 0
	nmcli connection up ve0 > /dev/null
	check "activated.d ran for ve0 with BACKEND=NetworkManager" wait_for has activated ve0 BACKEND=NetworkManager
	;;
esac
BACKEND=$(case $CASE in networkmanager | nm-later) echo NetworkManager ;; networkd) echo systemd-networkd ;; ifupdown) echo dhclient ;; none) echo none ;; esac)
# The run for the link routable again (a link going down may run routable once more
# first, as its addresses go: that one has none).
check "routable.d ran for ve0 after the change, with the address" wait_for bash -c "grep -hq '^ADDRESSES=10.99.0.' $RUN/routable.ve0.* 2>/dev/null"
check "routable.d had BACKEND=$BACKEND" has routable ve0 "BACKEND=$BACKEND"
[ "$CASE" = networkd ] && check "dhcp4-change.d ran for ve0's new lease (DHCP_CHANGE=acquired, its DHCP_ADDRESS)" \
	wait_for bash -c "for f in $RUN/dhcp4-change.ve0.*; do grep -qx DHCP_CHANGE=acquired \"\$f\" && grep -q '^DHCP_ADDRESS=10.99.0.5' \"\$f\" && exit 0; done 2>/dev/null; exit 1"
[ "$CASE" = networkd ] && check "dhcp4-change.d ran when ve0 went down (DHCP_CHANGE=lost)" has dhcp4-change ve0 DHCP_CHANGE=lost
[ "$CASE" = ifupdown ] && check "routable.d had the lease's DHCP_ADDRESS" wait_for bash -c "grep -hq '^DHCP_ADDRESS=10.99.0.5' $RUN/routable.ve0.* 2>/dev/null"
check "no 'lost the system bus' in the journal (the bus never went)" bash -c '! journalctl -u netevd -b --no-pager | grep -q "lost the system bus"'
if [ "$CASE" = networkmanager ]; then
	section "a privileged nm-dispatcher hook: its arguments byte for byte (real systemd)"
	# Links named as a variable of the hook's own environment would be expanded
	# by systemd in ExecStart's arguments unless netevd escapes them.
	mkdir -p /etc/netevd/nm-root
	# Every run is recorded: an expanded name shifts "up" out of $2, so nothing is filtered on it.
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" "IP4_ADDRESS_0=$IP4_ADDRESS_0" > /run/netevd-args.$$\n' > /etc/netevd/nm-root/50-args
	chmod 755 /etc/netevd/nm-root/50-args
	printf 'system: { backend: NetworkManager }\nscripts:\n  directories:\n    - { path: /etc/netevd/nm-root, style: nm-dispatcher, privileged: {} }\n' > /etc/netevd/netevd.yaml
	systemctl restart netevd
	check "netevd active again, with a privileged nm-dispatcher directory" wait_for systemctl -q is-active netevd
	n=0
	for name in '$IP4_ADDRESS_0' '${PATH}'; do
		n=$((n + 1))
		ip link add "$name" type veth peer name "dl$n" netns lan
		ip -n lan link set "dl$n" up
		printf '[connection]\nid=dollar%s\ntype=ethernet\ninterface-name=%s\n[ipv4]\nmethod=manual\naddress1=10.9%s.0.2/24,10.9%s.0.1\n[ipv6]\nmethod=disabled\n' \
			"$n" "$name" "$n" "$n" > "/etc/NetworkManager/system-connections/dollar$n.nmconnection"
		chmod 600 "/etc/NetworkManager/system-connections/dollar$n.nmconnection"
	done
	nmcli connection reload
	nmcli connection up dollar1 > /dev/null 2>&1
	nmcli connection up dollar2 > /dev/null 2>&1
	args_have() { grep -Fxq -- "$1" /run/netevd-args.* 2>/dev/null; }
	check "the link named \$IP4_ADDRESS_0 arrived as \$1, literally" wait_for args_have '$IP4_ADDRESS_0'
	check "its IP4_ADDRESS_0 beside it, one value, not split" wait_for args_have 'IP4_ADDRESS_0=10.91.0.2/24 10.91.0.1'
	check "the link named \${PATH} arrived as \$1, literally" wait_for args_have '${PATH}'
	check "no argument was the expanded address" bash -c "! grep -Fxq 10.91.0.2/24 /run/netevd-args.*"
	check "journal: they ran as root in transient units" bash -c 'journalctl -b -u netevd-privileged --no-pager | grep -q "running /etc/netevd/nm-root/50-args as root in netevd-hook-"'
	head -n 3 /run/netevd-args.*
fi
for e in routable activated; do for f in $RUN/$e.ve0.*; do [ -e "$f" ] && { echo "--- $f"; grep -E '^(EVENT|STATE|BACKEND|ADDRESSES|DHCP_ADDRESS)=' "$f"; }; done; done
journal | tail -15

echo
echo "FAILURES: $fails"
exit $fails
