#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	systemctl stop launchpad.service || true
	systemctl disable launchpad.service || true
fi
