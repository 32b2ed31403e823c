#!/bin/bash
# A DKMS source directory that needs a build options file (--build-config),
# through the build cache: the first image builds the module and stores it;
# a repair of another image with the same kernel, module and options takes it
# from the cache and compiles nothing, and it loads in that repair's boot
# test; an entry whose bytes are not for the kernel is refused, reported and
# rebuilt. (Without the options file the source fails to build: t3001.)
. "$(dirname "$0")/lib.sh"

PINNED=$(pinned_trixie) || exit 1
REPAIRED=$(repaired_trixie) || exit 1
K61=$(fetched_61) || exit 1
K=$(jq -r .kernel "$SHARED/repaired-trixie.json")
C=$TRASH/cache
before=$(checksum "$PINNED")

# a module of the canary's kind, as a DKMS source directory whose Makefile
# includes a build options file the site keeps in /etc
mkdir src &&
	cp "$ROOT/tests/fixtures/canary/canary.c" src/canary2.c &&
	printf 'include /etc/kpin-canary2/build.mk\nobj-m := canary2.o\n' >src/Makefile &&
	printf 'PACKAGE_NAME="kpin-canary2"\nPACKAGE_VERSION="2.0"\nBUILT_MODULE_NAME[0]="canary2"\nDEST_MODULE_LOCATION[0]="/updates/dkms"\nAUTOINSTALL="yes"\n' \
		>src/dkms.conf &&
	echo "ccflags-y += -DKPIN_BUILD_CONFIG=1" >build.mk || exit 1
CFG=$PWD/build.mk=/etc/kpin-canary2/build.mk

test_expect_success 'the first image: a miss, built with its options file, stored under its key with the key in words' '
	run_kpin -v dkms "$PINNED" --source src --build-config "$CFG" --build-cache "$C" -o a.qcow2 --json &&
	test_must_be 0 &&
	jq -e ".ok and .kernel == \"$K\" and .changed" out &&
	jq -e ".modules[0] | .module == \"kpin-canary2\" and .built_now and .cache == \"miss\"" out &&
	jq -e ".modules[0].files == [\"/lib/modules/$K/updates/dkms/canary2.ko\"]" out &&
	jq -e ".modules[0].vermagic | startswith(\"$K \")" out &&
	key=$(jq -r ".modules[0].cache_key" out) &&
	test -s "$C/$key/canary2.ko" &&
	grep -qx "kernel $K" "$C/$key/KEY" &&
	grep -q "^package linux-headers-$K " "$C/$key/KEY" &&
	grep -q "^package gcc-12 " "$C/$key/KEY" &&
	grep -q "  ./dkms.conf$" "$C/$key/KEY" &&
	grep -qx "build-config /etc/kpin-canary2/build.mk $(sha256sum build.mk | cut -c1-64)" "$C/$key/KEY" &&
	test -z "$(ls -A "$C" | grep "^\.")" &&
	grep -q "^kpin-build kpin-canary2/2.0 for $K$" err &&
	echo "$key" >key
'

test_expect_success 'a repair of another image with the same kernel and module: a hit, nothing compiled, and it loads at boot' '
	cp "$REPAIRED" b.qcow2 && chmod u+w b.qcow2 &&
	run_kpin -v repair b.qcow2 --kernel 6.1 --packages "$K61" --source src --build-config "$CFG" --build-cache "$C" \
		--expect-module canary2 -o b2.qcow2 --json &&
	test_must_be 0 &&
	jq ".dkms.modules[] | select(.module == \"kpin-canary2\")" out >m.json &&
	jq -e ".cache == \"hit\" and (.built_now | not) and .cache_key == \"$(cat key)\"" m.json &&
	jq -e ".vermagic | startswith(\"$K \")" m.json &&
	jq -e ".files == [\"/lib/modules/$K/updates/dkms/canary2.ko\"]" m.json &&
	! grep -q "^kpin-build " err && ! grep -q "CC \[M\]" err &&
	grep -q "Installing /lib/modules/$K/updates/dkms/canary2.ko" err &&
	jq .boot_test out >boot.json &&
	jq -e ".ok and .kernel == \"$K\" and (.probe | index(\"module=canary2 modprobe=ok loaded=yes\"))" boot.json &&
	jq -e "[.probe[] | select(startswith(\"dkms=kpin-canary2/2.0, $K, \") and endswith(\": installed\"))] | length == 1" boot.json
'

test_expect_success 'a poisoned entry (the wrong vermagic in its bytes) is refused, reported and rebuilt' '
	key=$(cat key) &&
	chmod u+w "$C/$key/canary2.ko" &&
	bad=$(echo "$K" | sed "s/^\([0-9]*\.[0-9]*\.[0-9]*-\)[0-9]*/\199/") &&
	test ${#bad} = ${#K} &&
	sed -i "s/$K SMP/$bad SMP/" "$C/$key/canary2.ko" &&
	grep -qa "$bad SMP" "$C/$key/canary2.ko" &&
	run_kpin dkms b.qcow2 --source src --build-config "$CFG" --build-cache "$C" -o b3.qcow2 --report r3.json &&
	test_must_be 0 &&
	jq -e ".modules[0] | .cache == \"refused\" and .built_now and (.cache_note | test(\"vermagic .$bad SMP\"))" r3.json &&
	grep -qE "^ +build cache: miss, an entry refused: .*vermagic .*, stored \([0-9a-f]{12}\)" out &&
	grep -q "^kpin: warning: .*build cache entry .* is refused: canary2.ko has vermagic" err &&
	! grep -qa "$bad SMP" "$C/$key/canary2.ko" &&
	test -z "$(ls -A "$C" | grep "^\.")"
'

test_expect_success 'the pinned image was only read' '
	test_image_unchanged "$PINNED" "$before"
'

test_done
