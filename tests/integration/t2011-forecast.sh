#!/bin/bash
# Can the pin be lifted? kpin forecast installs the newest kernel of a later
# series in a throw-away overlay, tries each module on it and boots it when
# they all build: on the image an earlier pin left at 6.1 the canary does
# not build on trixie's 6.12 (pin still needed, its first error); a module
# that builds everywhere, on the trixie image, builds, is stored in the
# build cache and loads in the boot (the pin can be lifted). Neither image
# changes; a series the image is not offered is said in one line.
. "$(dirname "$0")/lib.sh"

OLDER=$(fixture trixie-6.1-older) && TRIXIE=$(fixture trixie) || exit 1
before_older=$(checksum "$OLDER") && before_trixie=$(checksum "$TRIXIE") || exit 1

# a module that builds for any kernel
mkdir -p portable && cat >portable/dkms.conf <<-'EOF2' && printf 'obj-m := kpin_portable.o\n' >portable/Makefile &&
	PACKAGE_NAME="kpin-portable"
	PACKAGE_VERSION="1.0"
	BUILT_MODULE_NAME[0]="kpin_portable"
	DEST_MODULE_LOCATION[0]="/updates/dkms"
	AUTOINSTALL="yes"
EOF2
	cat >portable/kpin_portable.c <<-'EOF2' || exit 1
	#include <linux/module.h>
	static int __init kpin_portable_init(void) { return 0; }
	static void __exit kpin_portable_exit(void) { }
	module_init(kpin_portable_init);
	module_exit(kpin_portable_exit);
	MODULE_LICENSE("GPL");
EOF2

test_expect_success 'usage: a forecast needs its series; fetching needs the directory to fetch into' '
	run_kpin forecast "$OLDER" &&
	test_must_be 2 &&
	test_one_line_error "forecast: no kernel to forecast: give --forecast SERIES or [forecast] kernel" &&
	run_kpin forecast "$OLDER" --forecast 6.12 --forecast-from trixie &&
	test_must_be 2 &&
	test_one_line_error "needs the directory to fetch into: --forecast-packages DIR"
'

run_kpin --accel tcg forecast "$OLDER" --forecast 6.12 --report still.json
cp out still.out && cp err still.err

test_expect_success 'pin still needed: the canary fails on 6.12 with its first error, exit 8, nothing written' '
	test_must_be 8 &&
	test_one_line_error "$OLDER: pin still needed: kpin-canary 1.0 fails on 6.12." \
		"-cloud-amd64: canary.c:14:10: fatal error: asm/unaligned.h: No such file or directory" &&
	test_image_unchanged "$OLDER" "$before_older" &&
	test_no_kpin_temps . "$(dirname "$OLDER")" &&
	grep -qx "  modules:  kpin-canary/1.0: FAILED in [0-9]* s" still.out &&
	grep -q "^  kernel:   6\.12\.[0-9].*-cloud-amd64 (6\.12\.[0-9]*-[0-9]*), the image.s own$" still.out
'

test_expect_success 'its report: not lifted, the module not built, no boot' '
	jq -e ".command == \"forecast\" and .ok == false" still.json &&
	jq -e ".forecast | .series == \"6.12\" and (.kernel | startswith(\"6.12.\")) and .lifted == false and .installed == false" still.json &&
	jq -e ".forecast.modules == [.forecast.modules[0]] and .forecast.modules[0].name == \"kpin-canary\"" still.json &&
	jq -e ".forecast.modules[0] | .built == false and .loads == false and (.error | contains(\"asm/unaligned.h\"))" still.json &&
	jq -e ".forecast.boot_test.ran == false and .forecast.problem == null" still.json &&
	jq -e ".forecast.verdict | length == 1 and (.[0] | startswith(\"pin still needed: kpin-canary 1.0 fails on 6.12.\"))" still.json
'

run_kpin --accel tcg forecast "$TRIXIE" --forecast 6.12 --source "$PWD/portable" --build-cache cache \
	--serial-log serial.log --report lifted.json
cp out lifted.out && cp err lifted.err

test_expect_success 'the pin can be lifted: the module builds on 6.12 and loads in its boot, exit 0' '
	test_must_be 0 &&
	K=$(jq -r .forecast.kernel lifted.json) &&
	head -n1 lifted.out | grep -qxF "$TRIXIE: the pin can be lifted: every module builds and loads on $K" &&
	grep -qx "  modules:  kpin-portable/1.0: built in [0-9]* s" lifted.out &&
	grep -qx "  boot:     passed in [0-9]* s" lifted.out &&
	grep -q "module=kpin_portable modprobe=ok" serial.log &&
	test_image_unchanged "$TRIXIE" "$before_trixie" &&
	test_no_kpin_temps . "$(dirname "$TRIXIE")"
'

test_expect_success 'its report: lifted, built and loaded, the boot passed, the build stored in the cache' '
	jq -e ".ok and .forecast.lifted and .forecast.boot_test.ok and .forecast.boot_test.seconds > 0" lifted.json &&
	jq -e ".forecast.modules[0] | .name == \"kpin-portable\" and .built and .loads and .cached == false and .error == null" lifted.json &&
	test "$(find cache -name "*.ko*" | wc -l)" -ge 1
'

test_expect_success 'a series the image is not offered: one line, the class of a package problem' '
	run_kpin --accel tcg forecast "$OLDER" --forecast 6.6 &&
	test_must_be 7 &&
	test_one_line_error "6.6" &&
	test_image_unchanged "$OLDER" "$before_older"
'

test_done
