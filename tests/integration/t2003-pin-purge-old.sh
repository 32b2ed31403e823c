#!/bin/bash
# pin --purge-old on the pinned image: 6.12, its headers, -common and kbuild
# packages and the trixie metapackages that pull it in go; nothing else.
# In place on a write-protected copy, as sites mark base images: refused
# without --force; with it, the image keeps its mode, owner and ACL.
. "$(dirname "$0")/lib.sh"

PINNED=$(pinned_trixie) || exit 1
K=$(jq -r .kernel "$SHARED/repaired-trixie.json")
before=$(checksum "$PINNED")
cp "$PINNED" purged.qcow2 && chmod 0444 purged.qcow2 && chown 1234:5678 purged.qcow2 &&
	setfacl -m u:65534:r purged.qcow2 || exit 1
protected=$(checksum purged.qcow2)

test_expect_success 'in place on a write-protected image (mode 0444), even as root: exit 3, untouched' '
	run_kpin pin purged.qcow2 --kernel 6.1 --purge-old --in-place &&
	test_must_be 3 &&
	test_one_line_error "purged.qcow2: write-protected (mode 0444)" "--force" &&
	test_image_unchanged purged.qcow2 "$protected" && test_no_kpin_temps .
'

run_kpin pin purged.qcow2 --kernel 6.1 --purge-old --in-place --force --json
cp out pin.json

test_expect_success '--force replaces it, and it keeps its mode, owner and ACL' '
	test_must_be 0 &&
	test "$(stat -c "%a %u:%g" purged.qcow2)" = "444 1234:5678" &&
	getfacl -n purged.qcow2 | grep -qx "user:65534:r--" &&
	test "$(checksum purged.qcow2)" != "$protected"
'

test_expect_success 'pin --purge-old: exit 0, exactly the 6.12 kernel packages purged' '
	test_must_be 0 &&
	jq -e ".ok and .changed and .kernel == \"$K\"" pin.json &&
	jq -e ".purged | length == 6" pin.json &&
	jq -e "[.purged[] | select(test(\"6\\\\.12\\\\.[0-9]+\\\\+deb13\"))] | length == 4" pin.json &&
	jq -e ".purged | index(\"linux-image-cloud-amd64\") and index(\"linux-headers-cloud-amd64\")" pin.json &&
	jq -e "[.purged[] | select(contains(\"6.1.0-\") or . == \"linux-kbuild-6.1\")] == []" pin.json &&
	test "$(checksum "$PINNED")" = "$before"
'

run_kpin --accel tcg inspect --json purged.qcow2
cp out inspect.json

test_expect_success 'inspect: only 6.1 is left, GRUB boots it, dpkg is consistent' '
	test_must_be 0 &&
	jq -e "[.kernels[].release] == [\"$K\"]" inspect.json &&
	jq -e ".grub.kernel == \"$K\" and .grub.fallback == false" inspect.json &&
	jq -e ".broken_packages == []" inspect.json
'

test_expect_success 'inspect: the 6.1 packages stay held and the canary has no 6.12 entry' '
	jq -e "[.holds[].package] | sort == [\"linux-headers-$K\", \"linux-image-$K\"]" inspect.json &&
	jq -e "[.dkms[].kernels[] | select(.kernel | startswith(\"6.12.\"))] == []" inspect.json
'

test_done
