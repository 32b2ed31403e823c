#!/bin/bash
# kpin itself (not the appliance) is valgrind-clean on a real inspection.
. "$(dirname "$0")/lib.sh"

BOOKWORM=$(fixture bookworm) || exit 1

test_expect_success 'inspect under valgrind: no invalid access, no definite leak' '
	KPIN_BIN=$ROOT/build/kpin &&
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--log-file=vg.log "$KPIN_BIN" --accel tcg inspect --json "$BOOKWORM" >out &&
	jq -e .ok out &&
	if [ -s vg.log ]; then cat vg.log; exit 1; fi
'

test_done
