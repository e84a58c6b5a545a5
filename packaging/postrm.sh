#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
# Purge removes everything the host and its administrator made: its state
# (trust store, catalog, audit log, job history, the instance database) and
# the launchers' signatures.
if [ "$1" = purge ]; then
	rm -rf /var/lib/launchpad
	rm -f /usr/lib/launchpad/plugins/*.minisig
	rmdir /usr/lib/launchpad/plugins /usr/lib/launchpad 2>/dev/null || true
	rmdir /etc/launchpad 2>/dev/null || true
fi
