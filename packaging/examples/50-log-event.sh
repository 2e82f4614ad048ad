#!/bin/sh
# Example netevd script: log every event it is linked for.
# Install: cp 50-log-event.sh /etc/netevd/routable.d/ && chmod 755 /etc/netevd/routable.d/50-log-event.sh
# Scripts run as user netevd-hook (scripts.user in the shipped netevd.yaml) with no
# capabilities and a cleared environment.
logger -t netevd-script "$EVENT on $LINK (index $LINKINDEX): addresses: ${ADDRESSES:-none}; gateway: ${GATEWAY:-none}"
