# netevd %post: directories; on first install the unit follows the presets.
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create /usr/lib/tmpfiles.d/netevd.conf || :
fi
# Fedora's systemd does this in a file trigger too; not every rpm system has one.
journalctl --update-catalog >/dev/null 2>&1 || :
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -eq 1 ]; then
	systemctl --no-reload preset netevd.service >/dev/null 2>&1 || :
fi
