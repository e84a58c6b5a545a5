#!/bin/sh
set -e
# The embedded instance: an empty file is an empty SQLite database.
if [ ! -e /var/lib/launchpad/instance.db ]; then
	install -m 0600 -o root -g root /dev/null /var/lib/launchpad/instance.db
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
echo "launchpad: sign, trust and register the launchers in /usr/lib/launchpad/plugins"
echo "           (man launchpad), then: systemctl enable --now launchpad"
