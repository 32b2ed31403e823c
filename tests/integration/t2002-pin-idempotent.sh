#!/bin/bash
# pin is idempotent: on its own output it changes nothing and says so; in
# place it does not even rewrite the file. One run, its summary and its
# --report JSON.
. "$(dirname "$0")/lib.sh"

PINNED=$(pinned_trixie) || exit 1
K=$(jq -r .kernel "$SHARED/repaired-trixie.json")
cp --reflink=auto "$PINNED" work.qcow2 && chmod u+w work.qcow2
before=$(checksum work.qcow2)
mtime=$(stat -c %Y.%i work.qcow2)

test_expect_success 'pin --in-place on a pinned image, its packages at hand: exit 0, nothing changed' '
	run_kpin pin work.qcow2 --kernel 6.1 --packages "$(fixture pkgdir-6.1)" --in-place --report pin.json &&
	test_must_be 0 &&
	test "$(cat out)" = "work.qcow2 already boots and holds $K: nothing changed"
'

test_expect_success 'the file was not rewritten: same bytes, same inode and mtime' '
	test "$(checksum work.qcow2)" = "$before" &&
	test "$(stat -c %Y.%i work.qcow2)" = "$mtime" &&
	test -z "$(ls -A | grep "^\.kpin-")"
'

test_expect_success 'the JSON report says changed: false, with nothing installed, held or purged' '
	jq -e ".ok and (.changed | not) and .kernel == \"$K\"" pin.json &&
	jq -e ".installed == [] and .held == [] and .purged == [] and (.apt_preferences_written | not)" pin.json &&
	jq -e ".grub.regenerated == false and .grub.boots_before == .grub.boots_after" pin.json
'

test_done
