#!/bin/bash
# KVM vs TCG is decided by booting a kernel under KVM, never by /dev/kvm
# existing; the answer comes in under 3 s whatever KVM does.
. "$(dirname "$0")/lib.sh"

# What only a machine with KVM can show: kpin must find it unusable when
# its QEMU misbehaves. Without /dev/kvm the probe never runs QEMU at all.
test_lazy_prereq KVM 'test -r /dev/kvm || { echo "no /dev/kvm on this machine"; exit 1; }'

test_expect_success 'the probe answers within 3 s and says why it chose TCG' '
	start=$(date +%s%N) &&
	kpin accel --json >out &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	echo "probe took $ms ms" &&
	test "$ms" -lt 3000 &&
	accel=$(jq -r .accel out) &&
	case $accel in
	kvm) jq -e ".reason == null" out ;;
	tcg) jq -e ".reason | length > 0" out ;;
	*) false ;;
	esac
'

test_expect_success KVM 'a QEMU that hangs in the guest kernel is unusable, decided in under 3 s' '
	printf "#!/bin/sh\nexec sleep 61.25\n" >hang-qemu && chmod +x hang-qemu &&
	start=$(date +%s%N) &&
	KPIN_QEMU=$PWD/hang-qemu kpin accel --json >out &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	echo "probe took $ms ms" &&
	test "$ms" -lt 3000 &&
	jq -e ".accel == \"tcg\" and (.reason | test(\"no kernel output within 2000 ms\"))" out &&
	! pgrep -f "sleep 61.25"
'

test_expect_success KVM 'a QEMU that aborts at once is unusable, with its error as the reason' '
	printf "#!/bin/sh\necho \"qemu: error: failed to set MSR 0x10a\" >&2\nexit 1\n" >abort-qemu &&
	chmod +x abort-qemu &&
	KPIN_QEMU=$PWD/abort-qemu kpin accel >out &&
	grep -q "tcg (KVM unusable: qemu: error: failed to set MSR 0x10a" out
'

test_expect_success !KVM 'without /dev/kvm the probe says so and starts no QEMU' '
	printf "#!/bin/sh\ntouch \"$PWD/probed\"\nexit 1\n" >fail-qemu && chmod +x fail-qemu &&
	KPIN_QEMU=$PWD/fail-qemu kpin accel --json >out &&
	jq -e ".accel == \"tcg\" and (.reason | startswith(\"cannot open /dev/kvm\"))" out &&
	test ! -e probed
'

test_expect_success '--accel tcg and --accel kvm do not probe' '
	printf "#!/bin/sh\ntouch \"$PWD/probed\"\nexit 1\n" >fail-qemu && chmod +x fail-qemu &&
	KPIN_QEMU=$PWD/fail-qemu kpin accel --accel tcg >out &&
	grep -qx "tcg (forced by --accel)" out &&
	KPIN_QEMU=$PWD/fail-qemu kpin accel --accel kvm >out &&
	grep -qx "kvm (forced by --accel)" out &&
	test ! -e probed
'

test_expect_success 'a bad image is refused before any probe or appliance' '
	printf "#!/bin/sh\ntouch \"$PWD/probed\"\nexit 1\n" >fail-qemu && chmod +x fail-qemu &&
	KPIN_QEMU=$PWD/fail-qemu run_kpin inspect "$PWD/nonexistent.qcow2" &&
	test_must_be 3 &&
	test ! -e probed &&
	! grep -q warning err
'

test_done
