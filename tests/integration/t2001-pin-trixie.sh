#!/bin/bash
# pin on the broken cluster image: Debian 12's 6.1 cloud kernel from the
# directory kpin fetch made into the trixie (6.12) fixture, with no network,
# written to a new image; the original is untouched; the image read back
# boots 6.1 by default in BIOS and UEFI alike (the boot itself: t4001).
# The pin is the one the shared repair ran (its report's .pin, the same
# object `kpin pin` reports, and the same lines on stdout): a repair is a
# pin and more, and the pin under TCG takes minutes.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
PKGDIR=$(fetched_61) || exit 1
before=$(checksum "$TRIXIE")
PINNED=$(pinned_trixie)
R=$SHARED/repaired-trixie.json
J=$TRASH/pin.json

test_expect_success 'pin succeeds and reports a change to 6.1 cloud' '
	test -s "$PINNED" &&
	jq -e ".ok and .output == \"$PINNED\" and .kernel == .pin.kernel" "$R" &&
	jq ".pin" "$R" >"$J" &&
	jq -e ".changed and .series == \"6.1\"" "$J" &&
	jq -e ".kernel | test(\"^6\\\\.1\\\\.0-[0-9]+-cloud-amd64$\")" "$J" &&
	jq -e "[.steps[] | select(.name == \"pin\") | .ok] == [true]" "$R"
'

test_expect_success 'image and headers came in one transaction with their cross-suite dependencies' '
	jq -e ".installed | length == $(ls "$PKGDIR"/*.deb | wc -l)" "$J" &&
	jq -e ".installed[0] == \"linux-image-\" + .kernel and .installed[1] == \"linux-headers-\" + .kernel" "$J" &&
	jq -e "[.installed[] | select(startswith(\"linux-kbuild-6.1\"))] | length == 1" "$J"
'

test_expect_success 'the ABI packages and the flavour metapackages are held' '
	jq -e ".held | sort == ([\"linux-image-\", \"linux-headers-\"] | map(. + \"$(jq -r .kernel "$J")\")
		+ [\"linux-image-cloud-amd64\", \"linux-headers-cloud-amd64\"] | sort)" "$J"
'

test_expect_success 'GRUB_DEFAULT became the id path and grub.cfg boots 6.1 instead of 6.12' '
	jq -e ".grub.default_before == \"0\" and (.grub.boots_before | startswith(\"6.12.\"))" "$J" &&
	jq -e ".grub.boots_after == .kernel" "$J" &&
	jq -e ".kernel as \$k | .grub.default_after | test(\"^gnulinux-advanced-[0-9a-f-]+>gnulinux-\" + \$k + \"-advanced-[0-9a-f-]+$\")" "$J"
'

test_expect_success 'the human summary says what changed' '
	O=$SHARED/repaired-trixie.out &&
	grep -qE "^pinned 6\.1\.0-[0-9]+-cloud-amd64 \(Linux 6\.1\) -> $PINNED$" "$O" &&
	grep -q "^  installed: linux-image-6.1.0-" "$O" &&
	grep -q "^  held: .*linux-image-cloud-amd64" "$O" &&
	grep -q "^  apt: *  /etc/apt/preferences.d/kpin-kernel" "$O" &&
	grep -qE "^  grub: +GRUB_DEFAULT 0 -> gnulinux-advanced-" "$O" &&
	grep -qE "^ +boots 6\.12\..* -> 6\.1\.0-" "$O" &&
	! grep -v "^kpin: \(warning: KVM\|pinning\|installing\)" "$SHARED/repaired-trixie.err" |
		grep -vE "^kpin: (open|pin|dkms|verify|boot-test|commit): .*[0-9]+ min"
'

test_expect_success 'a step longer than a minute says what it does, once a minute, in the log' '
	grep -E "^kpin: pin: (unpacking|setting up|building|initramfs|GRUB|triggers).*, [0-9]+ min" "$SHARED/repaired-trixie.err"
'

test_expect_success 'the original is byte-identical and no temporary is left anywhere' '
	test "$(checksum "$TRIXIE")" = "$before" &&
	test -z "$(ls -A "$SHARED" | grep "^\.kpin-[0-9]*-repaired-trixie\.")" &&
	test -z "$(ls -A "$SHARED/repaired-trixie.tmp")" &&
	test -z "$(ls -A "$(dirname "$TRIXIE")" | grep "^\.kpin-")"
'

run_kpin --accel tcg inspect --json "$PINNED"
cp out inspect.json

test_expect_success 'inspect on the output: 6.1 is the default, resolved through grub.cfg' '
	test_must_be 0 &&
	K=$(jq -r .kernel "$J") &&
	jq -e ".grub.kernel == \"$K\" and .grub.fallback == false and .grub.problem == null" inspect.json &&
	jq -e ".grub.configured_default == \"$(jq -r .grub.default_after "$J")\"" inspect.json &&
	jq -e "[.kernels[] | select(.release == \"$K\") | .headers and .initramfs and .grub_default] == [true]" inspect.json
'

test_expect_success 'inspect: 6.12 stays as a fallback, not the default' '
	jq -e "[.kernels[] | select(.release | startswith(\"6.12.\")) | .grub_default] == [false]" inspect.json
'

test_expect_success 'inspect: the holds are there and apt refuses other kernel series' '
	jq -e "[.holds[].package] | sort == $(jq -c ".held | sort" "$J")" inspect.json &&
	jq -e "[.apt_pins[] | select(.file == \"/etc/apt/preferences.d/kpin-kernel\" and .priority == \"-1\")] | length >= 1" inspect.json
'

test_expect_success 'inspect: dpkg is consistent and the canary is built for 6.1 by the kernel hook' '
	jq -e ".broken_packages == []" inspect.json &&
	K=$(jq -r .kernel "$J") &&
	jq -e "[.dkms[] | select(.module == \"kpin-canary\") | .kernels[] | select(.kernel == \"$K\") | .status]
		| .[0] == \"installed\" or .[0] == \"built\"" inspect.json
'

test_expect_success 'inspect: both boot paths are kept, the ESP still points at the grub.cfg that boots 6.1' '
	jq -e ".boot.firmwares == [\"bios\", \"uefi\"] and .boot.esp_grub_uuid == .boot.boot_uuid" inspect.json
'

test_done
