#!/bin/sh
# Example for routes.d: react to routes added or removed on a watched link.
logger -t netevd-script "route $ROUTE_ACTION $ROUTE_DST via ${ROUTE_GATEWAY:-direct} dev $LINK table $ROUTE_TABLE proto $ROUTE_PROTOCOL"
