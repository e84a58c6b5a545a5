#!/bin/bash
# usage: run.sh LANG SCRIPTFILE [extra exec args...]
S=${ATTACK_STATE:-$(cat /var/tmp/attack-statepath)}
L=$1; F=$2; shift 2
exec timeout 300 /work/wt/attack/bin/launchpad exec --address unix://$S/launchpad.sock --language $L --script "$(cat $F)" "$@"
