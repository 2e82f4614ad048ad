# netevd %preun: on removal (not upgrade) stop and disable the service.
if [ "$1" -eq 0 ]; then
	systemctl --no-reload disable --now netevd.service >/dev/null 2>&1 || :
	systemctl --no-reload stop netevd-privileged.socket netevd-privileged.service 'netevd-hooks@*.socket' 'netevd-hooks@*.service' >/dev/null 2>&1 || :
fi
