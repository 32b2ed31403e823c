#!/bin/bash
# The command line: help, version, usage errors and their exit code.
. "$(dirname "$0")/lib.sh"

test_expect_success 'help lists the verbs and every exit code' '
	kpin --help >out &&
	grep -q "kpin inspect IMAGE" out &&
	grep -q "kpin accel" out &&
	for code in 0 1 2 3 4 5 6 11; do
		grep -qE "^ +$code  " out || { echo "exit code $code not documented"; exit 1; }
	done
'

test_expect_success 'README documents the same exit codes as --help' '
	kpin --help | sed -n "s/^ *\([0-9][0-9]*\)  .*/\1/p" >help-codes &&
	sed -n "s/^| \([0-9][0-9]*\) |.*/\1/p" "$ROOT/README.md" >readme-codes &&
	test -s help-codes &&
	diff help-codes readme-codes
'

test_expect_success 'version' '
	kpin --version >out &&
	grep -qE "^kpin [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success 'no verb, unknown verb, missing and extra arguments are usage errors' '
	run_kpin && test_must_be 2 && grep -q "no command given" err &&
	run_kpin frobnicate && test_must_be 2 && grep -q "unknown command .frobnicate." err &&
	run_kpin inspect && test_must_be 2 && grep -q "inspect: missing argument" err &&
	run_kpin inspect a b && test_must_be 2 && grep -q "too many arguments" err
'

test_expect_success 'bad option values are usage errors' '
	run_kpin accel --accel warp && test_must_be 2 && grep -q "auto, kvm or tcg" err &&
	run_kpin inspect --bogus x && test_must_be 2 && grep -q "unknown option" err &&
	run_kpin inspect x --report && test_must_be 2 && grep -q "needs an argument" err
'

test_expect_success 'usage errors reach --json too, wherever --json stands' '
	run_kpin inspect --bogus x --json && test_must_be 2 &&
	jq -e ".ok == false and .error.exit_code == 2 and .error.class == \"usage\"" out &&
	jq -e ".error.message | test(\"unknown option\")" out &&
	run_kpin --json repair x.qcow2 --kernel 6.1 && test_must_be 2 &&
	jq -e ".command == \"repair\" and .error.exit_code == 2" out &&
	jq -e ".error.message == \"repair: give exactly one of -o OUT and --in-place\"" out
'

test_expect_success 'repair refuses bad values before anything starts: no probe, no overlay, no appliance' '
	qemu-img create -q -f qcow2 img.qcow2 64M &&
	printf "#!/bin/sh\ntouch \"$PWD/probed\"\nexit 1\n" >fail-qemu && chmod +x fail-qemu &&
	for bad in "--timeout 0" "--timeout 86401" "--memory 100" "--expect-module a;b" "--firmware efi" \
		"--network --packages /nowhere" "--uefi-vars v.fd --firmware bios"; do
		KPIN_QEMU=$PWD/fail-qemu run_kpin repair img.qcow2 --kernel 6.1 -o out.qcow2 $bad &&
		test_must_be 2 || exit 1
	done &&
	test ! -e probed && test ! -e out.qcow2 && test_no_kpin_temps . &&
	KPIN_QEMU=$PWD/fail-qemu run_kpin repair img.qcow2 --kernel 6.1 -o out.qcow2 --timeout 0 &&
	test_one_line_error "--timeout: " "is not a number of seconds from 1 to 86400"
'

test_done
