#!/bin/bash
# The Debian package: dpkg-buildpackage builds kpin_*.deb from a copy of the
# tree, apt installs it with its runtime Depends on this machine, and what it
# installs works; then it is purged again without leftovers.
. "$(dirname "$0")/lib.sh"

V=$(sed -n 's/^PACKAGE_VERSION := //p' "$ROOT/Makefile")
DEB=$ROOT/build/deb/kpin_${V}_amd64.deb
rc=0
make -s -C "$ROOT" deb >deb.log 2>&1 || rc=$?

test_expect_success 'dpkg-buildpackage -us -uc builds kpin_VERSION_amd64.deb' '
	test "$rc" = 0 || { cat deb.log; exit 1; } &&
	test -s "$DEB" &&
	test "$(dpkg-deb -f "$DEB" Package) $(dpkg-deb -f "$DEB" Version)" = "kpin $V"
'

test_expect_success 'it declares what kpin needs at run time' '
	deps=$(dpkg-deb -f "$DEB" Depends) &&
	for d in libguestfs0 qemu-system-x86 qemu-utils linux-image-amd64 libjson-c5 libxml2 libinih1 jq; do
		grep -q "\(^\|, \)$d\( \|,\|$\)" <<<"$deps" || { echo "no $d in: $deps"; exit 1; }
	done
'

test_expect_success 'it installs cleanly and what it installs works' '
	if dpkg-query -W -f="\${Status}" kpin 2>/dev/null | grep -q "install ok installed"; then
		echo "kpin is already installed here: not touching it"; exit 1
	fi &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" >apt.log 2>&1 ||
		{ tail -n 20 apt.log; exit 1; } &&
	dpkg-query -W -f="\${Status}" kpin | grep -q "install ok installed" &&
	/usr/bin/kpin --version | grep -qx "kpin $V" &&
	/usr/bin/kpin-nightly --help | grep -q "kpin-nightly \[-j N\]" &&
	man -w kpin | grep -q "^/usr/share/man/man1/kpin.1.gz$" &&
	test -s /usr/share/bash-completion/completions/kpin &&
	test -s /usr/share/kpin/images/hpc-compute.conf &&
	mkdir units && cp /usr/share/doc/kpin/examples/kpin-nightly.* /usr/share/doc/kpin/examples/kpin-nightly-slurm.service units/ &&
	SYSTEMD_UNIT_PATH=$TRASH/units: systemd-analyze verify units/kpin-nightly.service units/kpin-nightly.timer \
		units/kpin-nightly-slurm.service &&
	/usr/bin/kpin accel --accel tcg --json | jq -e ".accel == \"tcg\"" >/dev/null
'

test_expect_success 'it purges without leftovers' '
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kpin >purge.log 2>&1 || { tail -n 20 purge.log; exit 1; } &&
	! test -e /usr/bin/kpin && ! test -e /usr/share/kpin &&
	! dpkg-query -W -f="\${Status}" kpin 2>/dev/null | grep -q installed
'

test_done
