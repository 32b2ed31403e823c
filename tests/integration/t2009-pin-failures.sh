#!/bin/bash
# pin failure paths: a clear one-line error, a distinct exit code, the
# original byte-identical, no output and no temporary left behind.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
PKGDIR=$(fixture pkgdir-6.1) || exit 1
before=$(checksum "$TRIXIE")

# no_trace: no OUT and no .kpin-* temporary here, the fixture unchanged
no_trace() {
	test ! -e out.qcow2 &&
	test -z "$(ls -A | grep "^\.kpin-")" &&
	test "$(checksum "$TRIXIE")" = "$before"
}

test_expect_success 'usage: --kernel is required, and exactly one of -o and --in-place' '
	run_kpin pin "$TRIXIE" -o out.qcow2 && test_must_be 2 && test_one_line_error "--kernel" &&
	run_kpin pin "$TRIXIE" --kernel 6.1 && test_must_be 2 && test_one_line_error "-o OUT" "--in-place" &&
	run_kpin pin "$TRIXIE" --kernel 6.1 -o out.qcow2 --in-place && test_must_be 2 &&
	run_kpin inspect "$TRIXIE" --kernel 6.1 && test_must_be 2 &&
	test "$(head -n1 err)" = "kpin: inspect: --kernel is not an option of inspect" &&
	no_trace
'

test_expect_success 'a missing package directory: exit 7 before any appliance' '
	run_kpin pin "$TRIXIE" --kernel 6.1 --packages "$PWD/nowhere" -o out.qcow2 &&
	test_must_be 7 &&
	test_one_line_error "$PWD/nowhere" "No such file or directory" &&
	mkdir empty && run_kpin pin "$TRIXIE" --kernel 6.1 --packages empty -o out.qcow2 &&
	test_must_be 7 && test_one_line_error "empty" "no .deb files" &&
	no_trace
'

test_expect_success 'a package directory without kbuild: exit 7 naming exactly what is missing' '
	mkdir nokbuild &&
	for d in "$PKGDIR"/*.deb; do
		case $d in */linux-kbuild-6.1_*) ;; *) ln -s "$d" nokbuild/ ;; esac
	done &&
	run_kpin pin "$TRIXIE" --kernel 6.1 --packages nokbuild -o out.qcow2 &&
	test_must_be 7 &&
	test_one_line_error "$TRIXIE" "missing from nokbuild: linux-kbuild-6.1 (>= " \
		"(needed by linux-headers-6.1.0-" &&
	no_trace
'

test_expect_success 'a guest disk with too little free space: exit 7, the image untouched' '
	cp "$TRIXIE" full.qcow2 && chmod u+w full.qcow2 &&
	eval "$(guestfish --listen --rw -a full.qcow2)" &&
	echo "$GUESTFISH_PID" >"$TRASH/guestfish.pid" &&
	guestfish --remote run &&
	guestfish --remote mount /dev/sda1 / &&
	guestfish --remote statvfs / >statvfs &&
	free=$(awk "/^bsize:/ {b = \$2} /^bavail:/ {a = \$2} END {print a * b}" statvfs) &&
	guestfish --remote fallocate64 /kpin-test-fill $((free - 100 * 1024 * 1024)) &&
	guestfish --remote exit && rm "$TRASH/guestfish.pid" &&
	full_sum=$(checksum full.qcow2) &&
	run_kpin pin full.qcow2 --kernel 6.1 --packages "$PKGDIR" --in-place &&
	test_must_be 7 &&
	test_one_line_error "full.qcow2" "not enough free space" "MiB free" &&
	test "$(checksum full.qcow2)" = "$full_sum" &&
	rm full.qcow2 && no_trace
'

# start_pin_until_install: starts a pin of the fixture into out.qcow2 in
# the background and waits until dpkg unpacks in the appliance (-v streams
# the guest's output).
start_pin_until_install() {
	"$KPIN_BIN" -v pin "$TRIXIE" --kernel 6.1 --packages "$PKGDIR" -o out.qcow2 >bg.out 2>bg.err &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "^Unpacking " bg.err && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.5
	done
	grep -q "^Unpacking " bg.err || { cat bg.err >&2; return 1; }
}

# no_appliance_of PID: the appliance of that kpin run is gone (within 15 s)
no_appliance_of() {
	for ((i = 0; i < 15; i++)); do
		pgrep -f "\.kpin-$1-out\.qcow2" >/dev/null || return 0
		sleep 1
	done
	echo "an appliance of pid $1 is still running" >&2
	return 1
}

# SIGTERM as `pkill kpin` sends it: to kpin and to libguestfs's recovery
# process, a fork of kpin with its name that would otherwise kill the
# appliance once kpin is gone; kpin kills its appliance itself
test_expect_success 'SIGTERM during the install (pkill kpin): appliance and temporaries gone, no output, original identical' '
	start_pin_until_install &&
	test "$(pgrep -P $pid -x kpin | wc -l)" = 1 &&
	pkill -TERM -P $pid -x kpin && kill -TERM $pid && rc=0 && { wait $pid || rc=$?; } &&
	test $rc = 143 &&
	no_appliance_of $pid &&
	no_trace
'

test_expect_success 'kill -9 during the install: no output, original identical, the stale overlay is reported' '
	start_pin_until_install &&
	kill -KILL $pid && { wait $pid || :; } &&
	no_appliance_of $pid &&
	test ! -e out.qcow2 &&
	test "$(checksum "$TRIXIE")" = "$before" &&
	test -e ".kpin-$pid-out.qcow2.overlay.qcow2" &&
	echo $pid >killed.pid
'

test_expect_success 'the next run into the same place removes the stale overlay; a series that does not exist: exit 7' '
	pid=$(cat killed.pid) &&
	run_kpin pin "$TRIXIE" --kernel 5.10 --packages "$PKGDIR" -o out.qcow2 &&
	test_must_be 7 &&
	grep -q "^kpin: warning: removed .*/\.kpin-$pid-out\.qcow2\.overlay\.qcow2, left behind by an interrupted kpin run" err &&
	test_one_line_error "$TRIXIE" "no Linux 5.10 kernel of flavour cloud-amd64" &&
	no_trace
'

test_done
