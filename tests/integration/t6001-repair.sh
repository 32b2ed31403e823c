#!/bin/bash
# repair: the whole job on the broken cluster image (laid out like Debian's
# cloud images) in one run, driven by the demo profile: pin 6.1 from the
# directory kpin fetch made, build the canary for it, verify, boot-test
# (BIOS, as the profile's firmware = auto picks; cloud-init seeded), commit.
# Then: a second run changes nothing, and a failed boot test in both
# firmwares (UEFI through shim and the ESP's GRUB) commits nothing.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
before=$(checksum "$TRIXIE")
REPAIRED=$(repaired_trixie) || exit 1
J=$SHARED/repaired-trixie.json
X=$SHARED/repaired-trixie.xml
O=$SHARED/repaired-trixie.out

test_expect_success 'repair succeeds: every step ran and passed, in order' '
	jq -e ".ok and .changed and .command == \"repair\" and .failed_step == null" "$J" &&
	jq -e "[.steps[] | .name] == [\"open\", \"pin\", \"dkms\", \"verify\", \"boot-test\", \"commit\"]" "$J" &&
	jq -e "[.steps[] | select(.ok and .seconds > 0)] | length == 6" "$J" &&
	jq -e ".fetch == null" "$J" &&
	jq -e ".output == \"$REPAIRED\" and .profile == \"$ROOT/images/demo.conf\"" "$J" &&
	jq -e ".kernel | test(\"^6\\\\.1\\\\.0-[0-9]+-cloud-amd64$\")" "$J"
'

test_expect_success 'the report has the state before and after: kernels, GRUB, holds, DKMS' '
	K=$(jq -r .kernel "$J") &&
	jq -e ".before.grub.kernel | startswith(\"6.12.\")" "$J" &&
	jq -e ".before.holds == [] and ([.before.kernels[].release] | index(\"$K\") == null)" "$J" &&
	jq -e "[.before.dkms[] | select(.module == \"kpin-canary\") | .kernels[].status] == [\"failed\"]" "$J" &&
	jq -e ".after.grub.kernel == \"$K\" and ([.after.kernels[].release] | index(\"$K\") != null)" "$J" &&
	jq -e "[.after.holds[].package] | index(\"linux-image-$K\") != null" "$J" &&
	jq -e "[.after.dkms[] | select(.module == \"kpin-canary\") | .kernels[] | select(.kernel == \"$K\") | .status] == [\"installed\"]" "$J" &&
	jq -e ".after.broken_packages == []" "$J"
'

test_expect_success 'pin, dkms and the boot test say what they did' '
	K=$(jq -r .kernel "$J") &&
	jq -e ".pin.changed and .pin.grub.boots_after == \"$K\" and (.pin.installed | length) > 2" "$J" &&
	jq -e ".dkms.kernel == \"$K\" and .dkms.modules[0].module == \"kpin-canary\" and .dkms.modules[0].vermagic != null" "$J" &&
	jq -e ".dkms.modules[0].vermagic | startswith(\"$K \")" "$J" &&
	jq -e ".boot_test.ok and .boot_test.kernel == \"$K\" and .boot_test.expected_kernel == \"6.1\"" "$J" &&
	jq -e "[.boot_test.boots[] | .firmware] == [\"bios\"]" "$J" &&
	jq -e "[.boot_test.boots[] | select(.ok and .kernel == \"$K\" and .cloud_init == \"done\")] | length == 1" "$J" &&
	jq -e "[.boot_test.boots[].checks[] | select(.passed) | .name] | unique ==
		[\"boots\", \"cloud-init finishes\", \"kernel 6.1\", \"module canary loads\", \"no failed units\"]" "$J" &&
	jq -e "[.boot_test.boots[].checks[] | select(.passed | not)] == []" "$J"
'

test_expect_success 'BIOS booted it; the ESP'"'"'s GRUB still points at the root that boots 6.1' '
	jq -e ".boot_test.boots[0].probe | index(\"firmware=bios\")" "$J" &&
	jq -e ".after.boot.firmwares == [\"bios\", \"uefi\"] and .after.boot.esp_grub_uuid == .after.boot.boot_uuid" "$J"
'

test_expect_success 'the report is the golden one, field by field' '
	test_golden repair-trixie "$J"
'

test_expect_success 'the JUnit file: the steps and the boot checks, none failed' '
	xmllint --noout "$X" &&
	test "$(xmllint --xpath "string(//testsuite/@name)" "$X")" = "kpin repair demo-hpc-compute" &&
	test "$(xmllint --xpath "string(//testsuite/@failures)" "$X")" = 0 &&
	test "$(xmllint --xpath "count(//testcase[@classname=\"kpin.repair\"])" "$X")" = 5 &&
	test "$(xmllint --xpath "count(//testcase[@classname=\"kpin.boot-test\"])" "$X")" = 5 &&
	test "$(xmllint --xpath "count(//testcase[@name=\"module canary loads\"])" "$X")" = 1
'

test_expect_success 'the human summary: pinned, the module, the boot test, the steps' '
	grep -qE "^pinned 6\.1\.0-[0-9]+-cloud-amd64 \(Linux 6\.1\) -> $REPAIRED$" "$O" &&
	grep -qE "^  dkms: +kpin-canary/1\.0 for 6\.1\.0-.*vermagic verified$" "$O" &&
	grep -qE "^  boot-test .*: PASS \(6\.1\.0-.*, BIOS\)" "$O" &&
	! grep -q "^  boot-test .*UEFI" "$O" &&
	grep -qE "^    ok +module canary loads$" "$O" &&
	grep -qE "^  steps: +open [0-9]+s pin [0-9]+s dkms [0-9]+s verify [0-9]+s boot-test [0-9]+s commit [0-9]+s$" "$O" &&
	grep -qE "^  took [0-9]+ s \(profile demo-hpc-compute\)$" "$O" &&
	! grep -v "^kpin: warning: KVM" "$SHARED/repaired-trixie.err" | grep -vE "^kpin: [a-z-]+: .*[0-9]+ min"
'

test_expect_success 'the original is byte-identical and no temporary is left' '
	test "$(checksum "$TRIXIE")" = "$before" &&
	test -z "$(ls -A "$SHARED" | grep "^\.kpin-[0-9]*-repaired-trixie\.")" &&
	test -z "$(ls -A "$SHARED/repaired-trixie.tmp")"
'

cp "$REPAIRED" again.qcow2 && chmod u+w again.qcow2

test_expect_success 'again on its own output, in place: nothing to do, decided without a pin or a boot, not rewritten' '
	stamp=$(stat -c "%i %Y %s" again.qcow2) && sum=$(checksum again.qcow2) &&
	run_kpin repair again.qcow2 --profile "$ROOT/images/demo.conf" --in-place --json &&
	test_must_be 0 &&
	jq -e ".ok and (.changed | not) and .nothing_to_do and .boot_test == null and .pin == null" out &&
	jq -e "[.steps[].name] == [\"open\", \"commit\"] and .kernel == \"$(jq -r .kernel "$J")\"" out &&
	test "$(stat -c "%i %Y %s" again.qcow2)" = "$stamp" &&
	test "$(checksum again.qcow2)" = "$sum"
'

# --expect-kernel 6.6: each boot fails at 6.1's banner, seconds into the
# kernel, and --firmware all boots UEFI too, through shim and the GRUB the
# ESP points at the root the repair changed
test_expect_success 'a failed boot test commits nothing: exit 10, the image byte-identical, the report says where' '
	sum=$(checksum again.qcow2) && K=$(jq -r .kernel "$J") &&
	run_kpin repair again.qcow2 --profile "$ROOT/images/demo.conf" --in-place --expect-kernel 6.6 --firmware all \
		--purge-old --report fail.json --junit fail.xml &&
	test_must_be 10 &&
	test_one_line_error "again.qcow2: boot test failed: BIOS: booted $K, expected 6.6" &&
	test "$(checksum again.qcow2)" = "$sum" &&
	jq -e ".ok == false and .failed_step == \"boot-test\" and .error.exit_code == 10 and .error.class == \"boot-test\"" fail.json &&
	jq -e "[.steps[] | select(.ok | not) | .name] == [\"boot-test\"] and ([.steps[].name] | index(\"commit\") == null)" fail.json &&
	jq -e "(.pin.purged | length) > 0 and .changed == false" fail.json &&
	jq -e "[.boot_test.boots[] | .firmware] == [\"bios\", \"uefi\"]" fail.json &&
	jq -e "[.boot_test.boots[] | select((.ok | not) and .kernel == \"$K\" and .stages.probe == null)] | length == 2" fail.json &&
	test "$(xmllint --xpath "count(//testcase[@classname=\"kpin.boot-test.bios\"])" fail.xml)" = 5 &&
	test "$(xmllint --xpath "count(//testcase[@classname=\"kpin.boot-test.uefi\"])" fail.xml)" = 5 &&
	xmllint --xpath "string(//testcase[@classname=\"kpin.boot-test.uefi\" and @name=\"kernel 6.6\"]/failure/@message)" fail.xml |
		grep -qx "booted $K, expected 6.6" &&
	test "$(xmllint --xpath "count(//testcase[@name=\"commit\"]/skipped)" fail.xml)" = 1 &&
	test_no_kpin_temps .
'

test_done
