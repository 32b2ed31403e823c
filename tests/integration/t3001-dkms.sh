#!/bin/bash
# kpin dkms on the trixie image pinned to 6.1: the canary builds, installs
# and verifies for 6.1 from a registered module and a .deb; a source
# directory whose build options file is not given fails (given, it builds:
# t3002, through the build cache); for 6.12 the canary fails with the
# compiler's first error; --matrix says the same for both kernels without
# changing anything.
. "$(dirname "$0")/lib.sh"

PINNED=$(pinned_trixie) || exit 1
K=$(jq -r .kernel "$SHARED/repaired-trixie.json")
before=$(checksum "$PINNED")

# canary_variant DIR PACKAGE MODULE [BUILD_MK]: the canary's source renamed,
# as a DKMS source directory; with BUILD_MK its Makefile needs that file.
canary_variant() {
	mkdir -p "$1" &&
	cp "$ROOT/tests/fixtures/canary/canary.c" "$1/$3.c" &&
	{
		[ -z "${4:-}" ] || echo "include $4"
		echo "obj-m := $3.o"
	} >"$1/Makefile" &&
	printf 'PACKAGE_NAME="%s"\nPACKAGE_VERSION="2.0"\nBUILT_MODULE_NAME[0]="%s"\nDEST_MODULE_LOCATION[0]="/updates/dkms"\nAUTOINSTALL="yes"\n' \
		"$2" "$3" >"$1/dkms.conf"
}

test_expect_success 'a source directory whose build options file is not given: exit 8, nothing written' '
	canary_variant src kpin-canary2 canary2 /etc/kpin-canary2/build.mk &&
	run_kpin dkms "$PINNED" --source src -o nocfg.qcow2 &&
	test_must_be 8 &&
	test_one_line_error "$PINNED" "kpin-canary2/2.0" "$K" &&
	test ! -e nocfg.qcow2
'

# one run for two modules: the registered canary and a .deb's
test_expect_success 'a *-dkms .deb: installed without Recommends, built, verified' '
	canary_variant deb/usr/src/kpin-canary3-2.0 kpin-canary3 canary3 &&
	mkdir deb/DEBIAN &&
	printf "Package: kpin-canary3-dkms\nVersion: 2.0\nArchitecture: all\nMaintainer: kpin tests <kpin@localhost>\nDepends: dkms\nRecommends: linux-headers-amd64\nDescription: canary as a deb\n" >deb/DEBIAN/control &&
	dpkg-deb --root-owner-group --build deb kpin-canary3-dkms_2.0_all.deb >/dev/null &&
	run_kpin dkms "$PINNED" --module kpin-canary --source kpin-canary3-dkms_2.0_all.deb -o deb.qcow2 --json &&
	test_must_be 0 && cp out deb.json &&
	jq -e ".ok and .kernel == \"$K\" and .changed and (.modules | length == 2)" deb.json &&
	jq -e ".modules[] | select(.module == \"kpin-canary3\") | .built_now and (.vermagic | startswith(\"$K \"))" deb.json &&
	test -s deb.qcow2
'

test_expect_success 'and the registered module: already built by the kernel hook, verified from its bytes' '
	jq ".modules[] | select(.module == \"kpin-canary\")" deb.json >m.json &&
	jq -e ".version == \"1.0\" and (.built_now | not)" m.json &&
	jq -e ".files == [\"/lib/modules/$K/updates/dkms/canary.ko\"]" m.json &&
	jq -e ".vermagic | startswith(\"$K \")" m.json
'

test_expect_success 'for 6.12 the canary fails: exit 8 with the first compiler error and the log path' '
	run_kpin dkms "$PINNED" --module kpin-canary --kernel 6.12 -o fail.qcow2 &&
	test_must_be 8 &&
	test_one_line_error "$PINNED" "kpin-canary/1.0 does not build for 6.12." \
		"(log: /var/lib/dkms/kpin-canary/1.0/build/make.log in the image)" &&
	grep -Eq "asm/unaligned.h|SetPageError|generic_fillattr" err &&
	test ! -e fail.qcow2 && test -z "$(ls -A | grep "^\.kpin-")"
'

test_expect_success '--matrix: 6.1 built, 6.12 failed with its error, and nothing changes' '
	mkdir tmp && TMPDIR=$PWD/tmp run_kpin dkms "$PINNED" --matrix --report matrix.json &&
	test_must_be 0 &&
	jq -e "[.matrix[] | select(.module == \"kpin-canary\")] | length == 2" matrix.json &&
	jq -e ".matrix[] | select(.kernel == \"$K\") | .status == \"built\"" matrix.json &&
	jq -e ".matrix[] | select(.kernel | startswith(\"6.12.\")) | .status == \"failed\" and (.error | test(\"unaligned|SetPageError|generic_fillattr\"))" matrix.json &&
	test -z "$(ls -A tmp)"
'

test_expect_success 'the same matrix as a table on stdout' '
	grep -Eq "^kpin-canary/1.0 +$K +built " out &&
	grep -Eq "^kpin-canary/1.0 +6\.12\.[^ ]+ +FAILED " out &&
	grep -Eq "^    .*(unaligned|SetPageError|generic_fillattr)" out
'

test_expect_success 'the pinned image is byte-identical after all of it' '
	test "$(checksum "$PINNED")" = "$before"
'

test_done
