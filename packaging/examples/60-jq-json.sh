#!/bin/sh
# Example: read the JSON variable (schema netevd.event.v1) with jq.
# Every key is present; unknown values are null.
[ -n "$JSON" ] || exit 0
mtu=$(printf '%s' "$JSON" | jq -r '.link.mtu')
dns=$(printf '%s' "$JSON" | jq -r '.dns | join(" ")')
logger -t netevd-script "$LINK: mtu $mtu, dns ${dns:-none}"
