# bash completion for launchpad
_launchpad() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "serve dev exec jobs cancel key plugin trust version help" -- "$cur"))
		return
	fi
	case ${COMP_WORDS[1]} in
	key) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "generate" -- "$cur")) ;;
	plugin) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "sign register list remove" -- "$cur")) ;;
	trust) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "add list revoke" -- "$cur")) ;;
	esac
	if [ -z "$COMPREPLY" ] && [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(launchpad "${COMP_WORDS[1]}" -h 2>&1 | sed -n 's/^  \(-[a-z-]*\).*/\1/p')" -- "$cur"))
	fi
	if [ -z "$COMPREPLY" ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _launchpad launchpad
