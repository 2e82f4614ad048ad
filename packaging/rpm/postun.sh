# netevd %postun: reload units; after an upgrade restart it if it was running.
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -ge 1 ]; then
	systemctl try-restart netevd.service netevd-privileged.service 'netevd-hooks@*.service' >/dev/null 2>&1 || :
fi
