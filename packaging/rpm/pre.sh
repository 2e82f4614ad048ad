# netevd %pre: the user, before files owned by it are installed.
if command -v systemd-sysusers >/dev/null 2>&1; then
	printf '%s\n' 'u netevd - "netevd network event daemon" /var/lib/netevd /usr/sbin/nologin' \
		'u netevd-hook - "netevd hooks" / /usr/sbin/nologin' |
		systemd-sysusers --replace=/usr/lib/sysusers.d/netevd.conf - || :
fi
if ! getent passwd netevd >/dev/null; then
	getent group netevd >/dev/null || groupadd -r netevd
	useradd -r -g netevd -d /var/lib/netevd -M -s /usr/sbin/nologin -c "netevd network event daemon" netevd || :
fi
# The hooks' own user (scripts.user): a group of its own, never netevd's.
if ! getent passwd netevd-hook >/dev/null; then
	useradd -r -U -d / -M -s /usr/sbin/nologin -c "netevd hooks" netevd-hook || :
fi
