# bash completion for kpin(1): verbs and each verb's options (from
# `kpin --list-options [VERB]`, made from kpin's option table), option
# values, and the files options take (images, profiles, package directories).
_kpin() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev= verb= i w
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# the verbs and each verb's options come from kpin's own option table
	local kpin=${COMP_WORDS[0]:-kpin}
	local verbs global
	verbs=$("$kpin" --list-options 2>/dev/null | grep -v '^-' | tr '\n' ' ')
	global=$("$kpin" --list-options 2>/dev/null | grep '^-' | tr '\n' ' ')

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case " $verbs " in *" $w "*) verb=$w; break ;; esac
	done

	case $prev in
	--accel) mapfile -t COMPREPLY < <(compgen -W "auto kvm tcg" -- "$cur"); return ;;
	--firmware)
		# a comma-separated list: complete the word after the last comma
		local done_=${cur%"${cur##*,}"}
		mapfile -t COMPREPLY < <(compgen -P "$done_" -W "$([ -n "$done_" ] || echo auto all) bios uefi uefi-secure" \
			-- "${cur##*,}")
		compopt -o nospace 2>/dev/null
		return ;;
	--from) mapfile -t COMPREPLY < <(compgen -W "bookworm bookworm-security bookworm-updates bookworm-backports" -- "$cur"); return ;;
	--kernel) mapfile -t COMPREPLY < <(compgen -W "6.1 6.6" -- "$cur"); return ;;
	--packages | --source | --build-cache | -d | --serial-dir | --images | --forecast-packages) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); compopt -o filenames 2>/dev/null; return ;;
	--profile)
		mapfile -t COMPREPLY < <(compgen -f -X '!*.conf' -- "$cur"; compgen -d -- "$cur"
			[ -n "$cur" ] || compgen -G "/etc/kpin/images/*.conf"; compgen -G "/usr/share/kpin/images/*.conf")
		compopt -o filenames 2>/dev/null
		return ;;
	--packer-manifest) mapfile -t COMPREPLY < <(compgen -f -X '!*.json' -- "$cur"; compgen -d -- "$cur"); compopt -o filenames 2>/dev/null; return ;;
	--report | --junit | --serial-log | --build-config | --allow-backing | -o | --output | --sign-key | --sign-cert | --uefi-vars)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur"); compopt -o filenames 2>/dev/null; return ;;
	--module | --expect-module | --expect-kernel | --flavour | --timeout | --memory | --mirror) return ;;
	esac

	if [ -z "$verb" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$global" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$("$kpin" --list-options "$verb" 2>/dev/null | tr '\n' ' ')" -- "$cur")
		return
	fi
	[ "$verb" = accel ] && return
	# CLUSTER.conf
	if [ "$verb" = cluster-test ]; then
		mapfile -t COMPREPLY < <(compgen -f -X '!*.conf' -- "$cur"; compgen -d -- "$cur")
		compopt -o filenames 2>/dev/null
		return
	fi
	# IMAGE: disk images and directories to walk into
	mapfile -t COMPREPLY < <(compgen -f -X '!*.@(qcow2|img|raw)' -- "$cur"; compgen -d -- "$cur")
	compopt -o filenames 2>/dev/null
}
shopt -s extglob
complete -F _kpin kpin
