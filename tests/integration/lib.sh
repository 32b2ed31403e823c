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
