#!/bin/bash
# repair killed (SIGKILL, KPIN_FAULT_STEP) as a step begins and during the
# boot test's VM, on both fixtures:
# the original stays byte-identical, no result appears, no appliance or VM
# outlives kpin, and the next run into the same place cleans up after the
# dead ones and succeeds. One kill per kind of state: before the appliance
# (open), with the VM running on a scratch overlay in $TMPDIR (boot-test+5),
# and with the result being written (commit); inside the package install
# (the appliance up, the overlay dirty) is t2009's.
. "$(dirname "$0")/lib.sh"

REPAIRED=$(repaired_trixie) || exit 1
BOOKWORM=$(fixture bookworm) || exit 1
PKGDIR=$(fixture pkgdir-6.1) || exit 1
mkdir tmp res
export TMPDIR=$TRASH/tmp
cp "$REPAIRED" repaired.qcow2 && chmod u+w repaired.qcow2
cp "$BOOKWORM" bookworm.qcow2 && chmod u+w bookworm.qcow2

# killed_at IMAGE OUT STEP [ARGS]: a repair of IMAGE (-o OUT, or --in-place
# if OUT is IMAGE) killed at STEP: IMAGE is byte-identical, OUT did not
# appear, and the dead run's appliance is gone. Both images have a 6.1
# kernel with headers already: the pin installs nothing and the kill comes
# soon.
killed_at() {
	local img=$1 out=$2 step=$3 sum rc=0 o
	shift 3
	sum=$(checksum "$img")
	[ "$out" = "$img" ] && o=(--in-place) || o=(-o "$out")
	KPIN_FAULT_STEP=$step "$KPIN_BIN" repair "$img" --profile "$ROOT/images/demo.conf" "${o[@]}" "$@" \
		>fault.out 2>fault.err || rc=$?
	test "$rc" = 137 || { echo "kpin exited $rc, not by SIGKILL:"; cat fault.err; return 1; }
	grep -q "KPIN_FAULT_STEP=$step: killing kpin" fault.err &&
	test "$(checksum "$img")" = "$sum" &&
	{ [ "$out" = "$img" ] || test ! -e "$out"; } &&
	for ((i = 0; i < 15; i++)); do pgrep -f "qemu.*$TRASH/" >/dev/null || break; sleep 1; done &&
	! pgrep -af "qemu.*$TRASH/"
}

for step in open commit; do
	test_expect_success "the repaired trixie image, killed as $step begins: byte-identical, no result" "
		killed_at repaired.qcow2 res/r.qcow2 $step --no-boot-test
	"
done

test_expect_success 'bookworm in place, killed 5 s into the boot test: the VM dies with kpin, byte-identical' '
	killed_at bookworm.qcow2 bookworm.qcow2 boot-test+5 --serial-log serial.log &&
	test -s serial.log &&
	test -n "$(ls -A tmp | grep "^\.kpin-[0-9]*-scratch")"
'

test_expect_success 'the next run into the same place removes what the killed runs left, here and in TMPDIR' '
	test -n "$(ls -A res | grep "^\.kpin-")" &&
	run_kpin repair repaired.qcow2 --profile "$ROOT/images/demo.conf" --packages "$PKGDIR" -o res/r.qcow2 \
		--no-boot-test --json &&
	test_must_be 0 &&
	grep -q "^kpin: warning: removed .*res/\.kpin-[0-9]*-r\.qcow2\.overlay\.qcow2, left behind by an interrupted kpin run" err &&
	grep -q "^kpin: warning: removed .*tmp/\.kpin-[0-9]*-scratch[0-9]*\.overlay\.qcow2, left behind" err &&
	jq -e ".ok and (.changed | not)" out && test -s res/r.qcow2 &&
	test -z "$(ls -A res | grep "^\.kpin-")" &&
	test -z "$(ls -A tmp | grep "^\.kpin-")"
'

test_done
