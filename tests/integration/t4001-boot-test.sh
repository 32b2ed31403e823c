#!/bin/bash
# boot-test: real boots under QEMU through the images' own GRUB, with the
# probe (SMBIOS credentials for trixie's systemd, written into the
# throw-away overlay for bookworm's); verdicts as soon as the console says
# enough; nothing left behind. UEFI and Secure Boot: t4002, t6001; the
# pinned trixie image boots in the shared repair (t6001) and under Secure
# Boot (t4002), where a check that fails among passing ones is printed.
. "$(dirname "$0")/lib.sh"

BOOKWORM=$(fixture bookworm) || exit 1
TRIXIE=$(fixture trixie) || exit 1
PINNED=$(pinned_trixie) || exit 1
mkdir tmp
export TMPDIR=$TRASH/tmp # the overlays and sockets of these runs

# no_vm_left: no QEMU of ours and no overlay or socket left in $TMPDIR
no_vm_left() {
	! pgrep -f "$TRASH/tmp/" >/dev/null &&
	test -z "$(ls -A "$TRASH/tmp")"
}

test_expect_success 'bookworm: boots 6.1 by default, the canary loads: PASS, exit 0' '
	before=$(checksum "$BOOKWORM") &&
	run_kpin boot-test "$BOOKWORM" --expect-module canary --junit junit.xml --serial-log serial.log --json &&
	test_must_be 0 &&
	jq -e ".ok and (.kernel | startswith(\"6.1.0-\")) and .failure == null and (.timed_out | not)" out &&
	jq -e "[.checks[] | select(.passed | not)] == []" out &&
	jq -e "[.checks[].name] | index(\"module canary loads\") and index(\"no failed units\")" out &&
	jq -e ".stages | .grub < .kernel and .kernel < .userspace and .userspace < .probe and .probe <= .done" out &&
	grep -aq "Linux version 6.1.0-" serial.log &&
	grep -aq "KPIN-PROBE-END" serial.log &&
	test "$(checksum "$BOOKWORM")" = "$before" &&
	no_vm_left
'

test_expect_success 'the JUnit file: one testcase per check, no failure' '
	xmllint --noout junit.xml &&
	test "$(xmllint --xpath "string(//testsuite/@tests)" junit.xml)" = 4 &&
	test "$(xmllint --xpath "string(//testsuite/@failures)" junit.xml)" = 0 &&
	test "$(xmllint --xpath "count(//testcase[@name=\"module canary loads\"])" junit.xml)" = 1
'

test_expect_success 'trixie with --expect-kernel 6.1: fails at the kernel banner, exit 10' '
	run_kpin boot-test "$TRIXIE" --expect-kernel 6.1 --json &&
	test_must_be 10 &&
	jq -e ".ok == false and (.failure | test(\"^booted 6\\\\.12\\\\.[^ ]+, expected 6\\\\.1$\"))" out &&
	jq -e ".stages.userspace == null and .stages.probe == null and (.timed_out | not)" out &&
	test_one_line_error "$TRIXIE" "boot test failed: booted 6.12." "expected 6.1" &&
	no_vm_left
'

test_expect_success 'an image whose initramfs is garbage: the panic is the verdict, long before the timeout' '
	cp "$TRIXIE" badinitrd.qcow2 && chmod u+w badinitrd.qcow2 &&
	cp "$TRIXIE" noinitrd.qcow2 && chmod u+w noinitrd.qcow2 &&
	guestfish -a badinitrd.qcow2 -a noinitrd.qcow2 <<-EOF &&
	run
	mount /dev/sda1 /
	glob write "/boot/initrd.img-*" "not an initramfs"
	umount /
	mount /dev/sdb1 /
	glob rm "/boot/initrd.img-*"
	EOF
	run_kpin boot-test badinitrd.qcow2 --timeout 600 --junit panic.xml --json &&
	test_must_be 10 &&
	jq -e ".failure | startswith(\"kernel panic: Kernel panic - not syncing\")" out &&
	jq -e "(.timed_out | not) and .stages.userspace == null and .seconds < 300" out &&
	test "$(xmllint --xpath "string(//testcase[@name=\"boots\"]/failure/@message)" panic.xml | cut -c1-13)" = "kernel panic:" &&
	xmllint --xpath "string(//testcase[@name=\"boots\"]/failure)" panic.xml | grep -q "Kernel panic" &&
	no_vm_left
'

test_expect_success 'an image without initramfs: GRUB says so and that is the verdict' '
	test -e noinitrd.qcow2 && # made beside badinitrd.qcow2, in one appliance
	run_kpin boot-test noinitrd.qcow2 --json &&
	test_must_be 10 &&
	jq -e ".failure | test(\"^GRUB error: file .*/boot/initrd.img-6\\\\.12\\\\..* not found\\\\.$\")" out &&
	jq -e ".stages.kernel == null and (.timed_out | not)" out &&
	no_vm_left
'

test_expect_success 'SIGTERM while the VM runs: QEMU and the overlay go with kpin' '
	"$KPIN_BIN" -v boot-test "$PINNED" >bg.out 2>bg.err &
	pid=$! &&
	for ((i = 0; i < 120; i++)); do grep -q "^kpin: booting" bg.err && break; sleep 1; done &&
	grep -q "^kpin: booting" bg.err &&
	sleep 5 && pgrep -f "$TRASH/tmp/" >/dev/null &&
	kill -TERM $pid && { wait $pid || :; } &&
	for ((i = 0; i < 10; i++)); do pgrep -f "$TRASH/tmp/" >/dev/null || break; sleep 1; done &&
	no_vm_left
'

test_done
