#!/bin/bash
# Rolling forward within the held series, on an image an earlier pin left
# on the ABI before the newest (the one before that kept too), with the
# newest in the package directory: a roll whose module does not build
# commits nothing; the roll installs the newest, makes it GRUB's default,
# keeps the previous as the fallback with its module, purges the oldest
# (keep-kernels = 2), marks the kept kernels manual and says which CVE IDs
# the new kernel's changelog names since the old one, and its forecast says
# the pin is still needed on 6.12; run again, nothing to do and the file
# untouched. --no-roll keeps the ABI the image has; an
# exact release rolls back.
. "$(dirname "$0")/lib.sh"

OLDER=$(fixture trixie-6.1-older) && PK=$(fixture pkgdir-6.1) || exit 1
NEW_DEB=$(ls "$PK"/linux-image-6.1.0-*-cloud-amd64_*.deb) || exit 1
K_NEW=$(dpkg-deb -f "$NEW_DEB" Package) && K_NEW=${K_NEW#linux-image-}
NEW_VERSION=$(dpkg-deb -f "$NEW_DEB" Version)
ABI=${K_NEW#6.1.0-} && ABI=${ABI%%-*}
K_OLD=6.1.0-$((ABI - 1))-cloud-amd64 K_OLDEST=6.1.0-$((ABI - 2))-cloud-amd64
before=$(checksum "$OLDER")

# what the new kernel's own changelog names since the old kernel's version,
# read here with dpkg-deb and awk: every entry above the old one's
run_kpin --accel tcg inspect --json "$OLDER"
OLD_VERSION=$(jq -r ".kernels[] | select(.release == \"$K_OLD\") | .package_version" out)
dpkg-deb --fsys-tarfile "$NEW_DEB" | tar -xO "./usr/share/doc/linux-image-$K_NEW/changelog.gz" | zcat >changelog || exit 1
awk -v old="$OLD_VERSION" '
	/^[a-z0-9][a-z0-9.+-]* \(/ {
		v = $2; gsub(/[()]/, "", v)
		# the signed wrapper 6.1.192+3 is the binary 6.1.192-3
		if ($1 ~ /^linux-signed/ && v !~ /-/ && match(v, /\+[^+]*$/))
			v = substr(v, 1, RSTART - 1) "-" substr(v, RSTART + 1)
		if (v == old) exit
	}
	{ print }' changelog | grep -oE "CVE-[0-9]{4}-[0-9]{4,}" | sort -u >want-cves

test_expect_success 'the fixture: GRUB boots the ABI before the newest, the one before that is kept' '
	test_must_be 0 &&
	jq -e ".grub.kernel == \"$K_OLD\"" out &&
	jq -e "[.kernels[].release] | index(\"$K_OLDEST\") and (index(\"$K_NEW\") | not)" out &&
	test -n "$OLD_VERSION" && test -s want-cves
'

# a module that builds for no kernel, given as a source: the roll gets as
# far as its DKMS step
mkdir -p rollfail && cat >rollfail/dkms.conf <<-'EOF' && printf 'obj-m := rollfail.o\n' >rollfail/Makefile &&
	PACKAGE_NAME="kpin-rollfail"
	PACKAGE_VERSION="1.0"
	BUILT_MODULE_NAME[0]="rollfail"
	DEST_MODULE_LOCATION[0]="/updates/dkms"
	AUTOINSTALL="yes"
EOF
	printf '#error kpin test: this module builds for no kernel\n' >rollfail/rollfail.c || exit 1

test_expect_success 'a roll whose module does not build: exit 8, held back at the old ABI, nothing written' '
	run_kpin repair "$OLDER" --profile "$ROOT/images/demo.conf" --packages "$PK" --source "$PWD/rollfail" \
		--no-boot-test -o failed.qcow2 --report failed.json &&
	test_must_be 8 &&
	test_one_line_error "held back at $K_OLD: dkms failed for $K_NEW:" "rollfail" &&
	test_image_unchanged "$OLDER" "$before" &&
	test ! -e failed.qcow2 && test_no_kpin_temps . &&
	jq -e ".ok == false and .failed_step == \"dkms\" and .output == null" failed.json &&
	jq -e ".pin.roll.from == \"$K_OLD\" and .pin.roll.to == \"$K_NEW\"" failed.json
'

run_kpin repair "$OLDER" --profile "$ROOT/images/demo.conf" --packages "$PK" -o rolled.qcow2 \
	--forecast 6.12 --report rolled.json --junit rolled.xml
cp out rolled.out && cp err rolled.err

test_expect_success 'the roll: exit 0, old -> new with both Debian versions and the count of CVE IDs fixed' '
	test_must_be 0 &&
	n=$(wc -l <want-cves) && if [ "$n" = 1 ]; then ids="ID"; else ids="IDs"; fi &&
	head -n1 rolled.out | grep -qxF "rolled forward $K_OLD -> $K_NEW ($OLD_VERSION -> $NEW_VERSION): $(echo "$n" | sed ":a;s/\B[0-9]\{3\}\>/,&/;ta") CVE $ids fixed -> rolled.qcow2" &&
	grep -q "^  fixes: *$(head -n1 want-cves)" rolled.out &&
	test_image_unchanged "$OLDER" "$before"
'

test_expect_success 'the report: the roll, its CVE IDs as the changelog has them, the oldest purged, two kept' '
	jq -e ".ok and .changed and .kernel == \"$K_NEW\" and .nothing_to_do == false" rolled.json &&
	jq -e ".pin.roll | .from == \"$K_OLD\" and .to == \"$K_NEW\" and .from_version == \"$OLD_VERSION\" and .to_version == \"$NEW_VERSION\" and .changelog_known" rolled.json &&
	jq -r ".pin.roll.cves[]" rolled.json | sort >got-cves &&
	test_cmp want-cves got-cves &&
	jq -e ".pin.roll.cve_count == $(wc -l <want-cves)" rolled.json &&
	jq -e ".pin.kept == [\"$K_NEW\", \"$K_OLD\"]" rolled.json &&
	jq -e ".pin.purged | index(\"linux-image-$K_OLDEST\") and index(\"linux-headers-$K_OLDEST\")" rolled.json &&
	jq -e "[.pin.purged[] | select(contains(\"$K_OLD\") or contains(\"6.12\"))] == []" rolled.json &&
	jq -e ".boot_test.ok and .boot_test.boots[0].kernel == \"$K_NEW\"" rolled.json
'

test_expect_success 'JUnit: the roll and its fixes as properties of the suite' '
	xmllint --xpath "string(//property[@name=\"kpin.roll.from\"]/@value)" rolled.xml | grep -qxF "$K_OLD" &&
	xmllint --xpath "string(//property[@name=\"kpin.roll.cve-count\"]/@value)" rolled.xml | grep -qx "$(wc -l <want-cves)" &&
	xmllint --xpath "string(//property[@name=\"kpin.roll.cves\"]/@value)" rolled.xml | tr " " "\n" | sort | test_cmp want-cves -
'

test_expect_success 'the forecast after the commit: the pin is still needed on 6.12, said in text, JSON and JUnit' '
	grep -q "^  forecast: pin still needed: kpin-canary 1\.0 fails on 6\.12\..*-cloud-amd64: canary\.c:.*asm/unaligned\.h" rolled.out &&
	jq -e ".forecast | .series == \"6.12\" and .lifted == false and .problem == null" rolled.json &&
	jq -e ".forecast.modules | length == 1 and .[0].name == \"kpin-canary\" and .[0].built == false" rolled.json &&
	xmllint --xpath "string(//property[@name=\"kpin.forecast.lifted\"]/@value)" rolled.xml | grep -qx false &&
	xmllint --xpath "string(//property[@name=\"kpin.forecast\"]/@value)" rolled.xml | grep -q "^pin still needed: kpin-canary 1.0 fails on 6.12"
'

run_kpin --accel tcg inspect --json rolled.qcow2
cp out rolled-inspect.json
guestfish --ro -a rolled.qcow2 -m /dev/sda1 <<-'EOF' >guest.txt 2>guest.err
	cat /boot/grub/grub.cfg
	echo ---extended_states
	cat /var/lib/apt/extended_states
	echo ---dkms
	ls /var/lib/dkms/kpin-canary/1.0
EOF
gf=$?

test_expect_success 'the image: GRUB boots the new ABI, the previous is an entry with its module, the oldest is gone' '
	test "$gf" = 0 &&
	jq -e ".grub.kernel == \"$K_NEW\"" rolled-inspect.json &&
	jq -e "[.kernels[].release] | index(\"$K_NEW\") and index(\"$K_OLD\") and (index(\"$K_OLDEST\") | not)" rolled-inspect.json &&
	jq -e "[.holds[].package] | index(\"linux-image-$K_NEW\") and index(\"linux-image-$K_OLD\")" rolled-inspect.json &&
	jq -e "[.dkms[0].kernels[] | select(.status == \"installed\") | .kernel] | index(\"$K_NEW\") and index(\"$K_OLD\")" rolled-inspect.json &&
	sed -n "1,/^---extended_states/p" guest.txt | grep -q "menuentry .*with Linux $K_OLD'"'"'" &&
	! sed -n "1,/^---extended_states/p" guest.txt | grep -q "$K_OLDEST" &&
	sed -n "/^---dkms/,\$p" guest.txt | grep -qx "$K_NEW" &&
	sed -n "/^---dkms/,\$p" guest.txt | grep -qx "$K_OLD" &&
	! sed -n "/^---dkms/,\$p" guest.txt | grep -qx "$K_OLDEST"
'

test_expect_success 'the kernels kept are manually installed: apt autoremove leaves them' '
	sed -n "/^---extended_states/,/^---dkms/p" guest.txt | tr "\n" "|" | sed "s/||/\n/g" >stanzas &&
	for k in "$K_NEW" "$K_OLD"; do
		for p in linux-image linux-headers; do
			! grep -E "^\|?Package: $p-$k\|" stanzas | grep -q "Auto-Installed: 1" || return 1
		done
	done
'

cp rolled.qcow2 again.qcow2
stamp=$(stat -c "%i %Y %s" again.qcow2)
run_kpin repair again.qcow2 --profile "$ROOT/images/demo.conf" --packages "$PK" --in-place --report again.json

test_expect_success 'again with nothing newer: nothing to do, no pin, no boot, the file untouched (mtime too)' '
	test_must_be 0 &&
	grep -qxF "again.qcow2: nothing to do: it boots $K_NEW, the newest Linux 6.1 offered, held, with its modules built" out &&
	jq -e ".ok and (.changed | not) and .nothing_to_do and .kernel == \"$K_NEW\"" again.json &&
	jq -e "[.steps[].name] == [\"open\", \"commit\"] and .pin == null and .boot_test == null and .forecast == null" again.json &&
	test "$(stat -c "%i %Y %s" again.qcow2)" = "$stamp" &&
	test_image_unchanged again.qcow2 "$(checksum rolled.qcow2)"
'

test_expect_success '--no-roll keeps the ABI the image has, the newer one at hand' '
	run_kpin pin "$OLDER" --kernel 6.1 --no-roll --packages "$PK" -o kept.qcow2 --json &&
	test_must_be 0 &&
	jq -e ".ok and .kernel == \"$K_OLD\" and .installed == [] and .roll == null and .purged == []" out &&
	test_image_unchanged "$OLDER" "$before"
'

test_expect_success 'an exact release rolls back: GRUB boots the previous ABI again, nothing installed or purged' '
	cp rolled.qcow2 back.qcow2 &&
	run_kpin pin back.qcow2 --kernel "$K_OLD" --in-place --json &&
	test_must_be 0 &&
	jq -e ".ok and .changed and .kernel == \"$K_OLD\" and .installed == [] and .purged == [] and .roll == null" out &&
	jq -e ".grub.boots_before == \"$K_NEW\" and .grub.boots_after == \"$K_OLD\"" out
'

test_done
