# Integration test library, git t/ style: each tNNNN-*.sh sources this, runs
# test_expect_success blocks against real images, and ends with test_done.
set -u

TEST_NAME=$(basename "$0" .sh)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# The sanitized build by default: every integration run is an ASan/UBSan run.
KPIN_BIN=${KPIN_BIN:-$ROOT/build/asan/kpin}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=99}
# Test VMs get no network; appliances need no host-side state from the user.
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-/var/tmp}

TRASH=$(mktemp -d "${TMPDIR:-/var/tmp}/kpin-$TEST_NAME.XXXXXX")
cleanup_trash() {
	local pidfile
	for pidfile in "$TRASH"/*.pid; do
		[ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	done
	rm -rf "$TRASH"
}
trap cleanup_trash EXIT
cd "$TRASH" || exit 1

test_count=0
test_failed=0

kpin() {
	"$KPIN_BIN" "$@"
}

fixture() {
	"$ROOT/tests/fixtures/fixture" "$@"
}

# run_kpin ARGS...: runs kpin, keeps stdout/stderr in out/err and the exit
# code in $rc; never fails itself.
run_kpin() {
	rc=0
	kpin "$@" >out 2>err || rc=$?
	return 0
}

test_must_be() {
	if [ "$rc" != "$1" ]; then
		echo "exit code $rc, expected $1; stderr:" >&2
		cat err >&2
		return 1
	fi
}

# The stderr of a failed run is exactly one line (no sanitizer noise, no
# libguestfs chatter) and mentions every given string.
test_one_line_error() {
	local n
	n=$(grep -vc '^kpin: warning:' err || true)
	if [ "$n" != 1 ]; then
		echo "expected a one-line error, got $n lines:" >&2
		cat err >&2
		return 1
	fi
	for s in "$@"; do
		grep -v '^kpin: warning:' err | grep -qF -- "$s" || {
			echo "error line does not mention '$s':" >&2
			cat err >&2
			return 1
		}
	done
}

# hold_image IMAGE [readonly]: a paused QEMU keeps IMAGE open (for writing
# unless "readonly"), as a running VM would, until release_image IMAGE.
# Its output goes to a file: a test's output pipe must not outlive the test.
hold_image() {
	local ro=
	[ "${2:-}" = readonly ] && ro=,readonly=on
	qemu-system-x86_64 -accel tcg -S -display none -nodefaults -nic none \
		-pidfile "$TRASH/$(basename "$1").pid" -daemonize \
		-drive "file=$1,format=qcow2,if=virtio$ro" </dev/null >"$TRASH/qemu.log" 2>&1
}

release_image() {
	local pidfile
	pidfile="$TRASH/$(basename "$1").pid"
	kill "$(cat "$pidfile")" && rm -f "$pidfile"
}

# Expensive images that tests only read are made once per tests/run, in
# KPIN_TEST_SHARED (a script run alone makes its own in its trash).
SHARED=${KPIN_TEST_SHARED:-$TRASH}

# shared_image NAME CMD...: makes $SHARED/NAME.qcow2 by running CMD (a kpin
# command that writes it) unless it is there, and prints its path. Scripts
# run in parallel: the first one makes it under a lock, the others wait for
# it. CMD's stdout and stderr sit beside it as NAME.{out,err}; its TMPDIR is
# NAME.tmp, so a test can tell what that run left there.
shared_image() {
	local name=$1 img=$SHARED/$1.qcow2
	shift
	(
		flock 8
		[ -e "$img" ] && exit 0
		mkdir -p "$SHARED/$name.tmp" &&
			TMPDIR=$SHARED/$name.tmp "$@" >"$SHARED/$name.out" 2>"$SHARED/$name.err" || {
			echo "making the shared image $name failed:" >&2
			cat "$SHARED/$name.err" >&2
			rm -f "$img"
			exit 1
		}
		chmod a-w "$img"
	) 8>"$SHARED/.lock-$name" || return 1
	echo "$img"
}

# pinned_trixie: the trixie fixture pinned to 6.1 from the pkgdir-6.1
# fixture by the kpin under test (read-only). Its stdout, stderr and
# --report JSON sit beside it as pinned-trixie.{out,err,json}.
pinned_trixie() {
	local trixie pkgdir
	trixie=$(fixture trixie) && pkgdir=$(fixture pkgdir-6.1) || return 1
	shared_image pinned-trixie kpin pin "$trixie" --kernel 6.1 --packages "$pkgdir" \
		-o "$SHARED/pinned-trixie.qcow2" --report "$SHARED/pinned-trixie.json"
}

# repaired_trixie: the trixie fixture repaired by `kpin repair` with the
# demo profile (6.1 from pkgdir-6.1, the canary built, boot-tested), as
# `make demo` does it (read-only). Its stdout, stderr, --report JSON and
# JUnit sit beside it as repaired-trixie.{out,err,json,xml}.
repaired_trixie() {
	local trixie pkgdir
	trixie=$(fixture trixie) && pkgdir=$(fixture pkgdir-6.1) || return 1
	shared_image repaired-trixie kpin repair "$trixie" --profile "$ROOT/images/demo.conf" --packages "$pkgdir" \
		-o "$SHARED/repaired-trixie.qcow2" --report "$SHARED/repaired-trixie.json" \
		--junit "$SHARED/repaired-trixie.xml"
}

# boot_serial IMAGE LOG PATTERN [SECONDS]: boots a throw-away overlay of
# IMAGE under QEMU (TCG, no network, serial console to LOG) until LOG
# matches PATTERN (extended regex) or SECONDS (default 240) pass; then stops
# the VM. Fails on a timeout.
boot_serial() {
	local img=$1 log=$2 pattern=$3 limit=${4:-240} overlay pid i
	overlay="$TRASH/boot-$(basename "$img" .qcow2).overlay.qcow2"
	qemu-img create -q -f qcow2 -F qcow2 -b "$img" "$overlay" || return 1
	: >"$log"
	qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -display none -nodefaults -nic none \
		-serial "file:$log" -drive "file=$overlay,format=qcow2,if=virtio" \
		-pidfile "$TRASH/boot.pid" -daemonize </dev/null >"$TRASH/qemu.log" 2>&1 || {
		cat "$TRASH/qemu.log" >&2
		return 1
	}
	pid=$(cat "$TRASH/boot.pid")
	for ((i = 0; i < limit; i++)); do
		grep -aqE "$pattern" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	kill "$pid" 2>/dev/null
	rm -f "$TRASH/boot.pid" "$overlay"
	grep -aqE "$pattern" "$log" || {
		echo "no '$pattern' on the serial console within $limit s; its end:" >&2
		tail -n 20 "$log" | tr -d '\033' >&2
		return 1
	}
}

# guestfish for the tests' own image surgery: under TCG where kpin's probe
# finds KVM unusable, as kpin itself would run.
guestfish() {
	if [ -z "${KPIN_TEST_ACCEL:-}" ]; then
		KPIN_TEST_ACCEL=$("$KPIN_BIN" accel --json 2>/dev/null | jq -r .accel)
		export KPIN_TEST_ACCEL
	fi
	if [ "$KPIN_TEST_ACCEL" = tcg ]; then
		LIBGUESTFS_BACKEND_SETTINGS=force_tcg command guestfish "$@"
	else
		command guestfish "$@"
	fi
}

checksum() {
	sha256sum "$1" | cut -d' ' -f1
}

test_expect_success() {
	local title=$1 body=$2 out
	test_count=$((test_count + 1))
	if out=$( (eval "set -e; $body") 2>&1); then
		echo "ok $test_count - $title"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $title"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

test_done() {
	echo "# $TEST_NAME: $((test_count - test_failed)) passed, $test_failed failed"
	[ "$test_failed" = 0 ]
}
