#!/bin/bash
# Bad input to repair, each a clear line with its documented exit code and
# nothing damaged: a bad profile, a corrupt .deb, an image that cannot be
# written in place, an image without GRUB, a guest that is not Debian.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
PKGDIR=$(fixture pkgdir-6.1) || exit 1
cp "$TRIXIE" img.qcow2 && chmod u+w img.qcow2
SUM=$(checksum img.qcow2)

untouched() {
	test "$(checksum img.qcow2)" = "$SUM" && test -z "$(ls -A . | grep "^\.kpin-")"
}

test_expect_success 'a profile with a bad value: exit 2, file:line, before anything else' '
	printf "[kernel]\nseries = 6.1\n\n[boot-test]\ntimeout = soon\n" >bad.conf &&
	run_kpin repair img.qcow2 --profile bad.conf --in-place &&
	test_must_be 2 &&
	test_one_line_error "bad.conf:5: timeout: '"'"'soon'"'"' is not a number of seconds" &&
	run_kpin repair img.qcow2 --profile nowhere.conf --in-place &&
	test_must_be 2 && test_one_line_error "nowhere.conf: cannot read the profile: No such file or directory" &&
	untouched
'

test_expect_success 'a package directory with a corrupt .deb: exit 7 naming it, before any appliance' '
	mkdir debs && cp "$PKGDIR"/*.deb debs/ &&
	victim=$(ls debs/linux-kbuild-*.deb) &&
	head -c 4096 "$PKGDIR/$(basename "$victim")" >"$victim" &&
	run_kpin repair img.qcow2 --profile "$ROOT/images/demo.conf" --packages debs --in-place &&
	test_must_be 7 &&
	test_one_line_error "$(basename "$victim")" &&
	untouched
'

test_expect_success 'an image that cannot be written (immutable) with --in-place: exit 3, before any appliance' '
	chattr +i img.qcow2 &&
	run_kpin repair img.qcow2 --profile "$ROOT/images/demo.conf" --packages "$PKGDIR" --in-place --no-boot-test &&
	chattr -i img.qcow2 &&
	test_must_be 3 &&
	test_one_line_error "img.qcow2: cannot open" &&
	untouched
'

test_expect_success 'an image without grub.cfg: exit 9 from the pin step, nothing written' '
	cp img.qcow2 nogrub.qcow2 &&
	guestfish -a nogrub.qcow2 -m /dev/sda1 rm /boot/grub/grub.cfg &&
	sum=$(checksum nogrub.qcow2) &&
	run_kpin repair nogrub.qcow2 --profile "$ROOT/images/demo.conf" --packages "$PKGDIR" --in-place --json &&
	test_must_be 9 &&
	jq -e ".failed_step == \"pin\" and .error.class == \"grub\"" out &&
	test_one_line_error "nogrub.qcow2" &&
	test "$(checksum nogrub.qcow2)" = "$sum" && rm nogrub.qcow2
'

test_expect_success 'a guest that is not Debian (an ext4 with Fedora'"'"'s os-release): exit 6, nothing written' '
	mkdir -p fedora/etc fedora/usr/bin fedora/usr/lib &&
	ln -s usr/bin fedora/bin && ln -s usr/lib fedora/lib &&
	printf "NAME=\"Fedora Linux\"\nVERSION_ID=41\nID=fedora\nPRETTY_NAME=\"Fedora Linux 41\"\n" >fedora/etc/os-release &&
	echo "Fedora release 41 (Forty One)" >fedora/etc/fedora-release &&
	echo "/dev/sda1 / ext4 defaults 0 1" >fedora/etc/fstab &&
	# made on the host without mounting anything: one MBR partition at
	# 1 MiB holding an ext4 that mke2fs fills from the directory
	truncate -s 256M fedora.raw &&
	echo "start=2048, type=83" | sfdisk -q fedora.raw &&
	mke2fs -F -q -t ext4 -d fedora -E offset=1048576 fedora.raw 255M &&
	qemu-img convert -O qcow2 fedora.raw fedora.qcow2 && rm fedora.raw &&
	sum=$(checksum fedora.qcow2) &&
	run_kpin repair fedora.qcow2 --profile "$ROOT/images/demo.conf" --packages "$PKGDIR" --in-place &&
	test_must_be 6 &&
	test_one_line_error "fedora.qcow2" "kpin handles Debian and Ubuntu images" &&
	test "$(checksum fedora.qcow2)" = "$sum"
'

test_done
