#!/bin/bash
# pin --network: the kernel comes from the guest's own apt sources through
# the appliance's network (here: the trixie image with bookworm added to its
# sources, as a site mirror would offer 6.1); no package directory.
. "$(dirname "$0")/lib.sh"

# The network pin downloads and installs a kernel in the appliance (about
# 4 minutes under TCG): outside the CI budget, run with KPIN_TEST_NETWORK=1.
test_lazy_prereq NETWORK_PIN '[ "${KPIN_TEST_NETWORK:-}" = 1 ] ||
	{ echo "KPIN_TEST_NETWORK=1 runs it (a kernel from Debian'"'"'s mirror into the appliance, ~4 min)"; exit 1; }'

TRIXIE=$(fixture trixie) || exit 1

test_expect_success '--packages and --network together are a usage error' '
	run_kpin pin "$TRIXIE" --kernel 6.1 --network --packages "$(fixture pkgdir-6.1)" -o out.qcow2 &&
	test_must_be 2 && test_one_line_error "--network" &&
	test ! -e out.qcow2
'

# the image with bookworm in its sources: made only when the pin runs (an
# appliance of its own)
if test_have_prereq NETWORK_PIN; then
	cp "$TRIXIE" net.qcow2 && chmod u+w net.qcow2 &&
		guestfish -a net.qcow2 -m /dev/sda1 write-append /etc/apt/sources.list "deb http://deb.debian.org/debian bookworm main
" || exit 1
	before=$(checksum net.qcow2)
fi

test_expect_success NETWORK_PIN 'pin --network: the newest 6.1 cloud kernel from the guest sources, held and booted by GRUB' '
	run_kpin pin net.qcow2 --kernel 6.1 --network -o out.qcow2 --json &&
	test_must_be 0 &&
	jq -e ".ok and .changed and (.kernel | test(\"^6\\\\.1\\\\.0-[0-9]+-cloud-amd64$\"))" out &&
	jq -e ".installed | index(\"linux-image-\" + $(jq .kernel out)) and index(\"linux-headers-\" + $(jq .kernel out))" out &&
	jq -e ".grub.boots_after == .kernel" out &&
	test "$(checksum net.qcow2)" = "$before"
'

test_expect_success NETWORK_PIN 'inspect on the output: 6.1 by default, no half-configured package' '
	K=$(jq -r .kernel out) &&
	run_kpin --accel tcg inspect --json out.qcow2 &&
	test_must_be 0 &&
	jq -e ".grub.kernel == \"$K\" and .broken_packages == []" out
'

test_done
