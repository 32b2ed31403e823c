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
# libguestfs chatter) and mentions every given string. Warnings and the
# once-a-minute progress lines of a long step (stderr is no terminal here)
# are not the error.
# Nor are the cluster test's live lines ("kpin: cluster-test: node compute1: up").
NOT_THE_ERROR='^kpin: (warning:|cluster-test: (node|cluster) |[a-z-]+: (.*, )?[0-9]+ min(, [0-9]+ objects)?$)'
test_one_line_error() {
	local n
	n=$(grep -Evc "$NOT_THE_ERROR" err || true)
	if [ "$n" != 1 ]; then
		echo "expected a one-line error, got $n lines:" >&2
		cat err >&2
		return 1
	fi
	for s in "$@"; do
		grep -Ev "$NOT_THE_ERROR" err | grep -qF -- "$s" || {
			echo "error line does not mention '$s':" >&2
			cat err >&2
			return 1
		}
	done
}

# test_no_vm_left: nothing of kpin's runs from, or stays in, $TRASH/tmp (the
# TMPDIR a script gives its VM runs)
test_no_vm_left() {
	! pgrep -f "$TRASH/tmp/" >/dev/null &&
	test -z "$(ls -A "$TRASH/tmp")"
}

# test_kill9_cleans PID KIND: kill -9 of kpin PID while its VMs and switch
# run: they all go with it, and the next kpin run removes the
# kpin-KIND-PID-* directory it left in $TRASH/tmp, saying so.
test_kill9_cleans() {
	local pid=$1 kind=$2 i
	kill -KILL "$pid" && { wait "$pid" || :; } &&
	for ((i = 0; i < 10; i++)); do pgrep -f "$TRASH/tmp/" >/dev/null || break; sleep 1; done &&
	! pgrep -f "$TRASH/tmp/" >/dev/null &&
	ls -d "$TRASH/tmp/kpin-$kind-$pid-"* >/dev/null &&
	kpin accel >/dev/null 2>reap.err &&
	grep -q "^kpin: warning: removed $TRASH/tmp/kpin-$kind-$pid-[A-Za-z0-9]*, left behind by an interrupted kpin run (pid $pid)$" reap.err &&
	test_no_vm_left
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
		printf '%q ' "$@" >"$SHARED/$name.cmd" &&
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

# fetched_61: the directory `kpin fetch` makes for the trixie fixture with
# Debian 12's 6.1 cloud kernel from bookworm and bookworm-security, made
# once per run (read-only); its --report JSON and output beside it as
# fetched-6.1.{json,out,err}.
fetched_61() {
	local trixie dir=$SHARED/fetched-6.1
	trixie=$(fixture trixie) || return 1
	(
		flock 8
		[ -e "$dir" ] && exit 0
		"$KPIN_BIN" fetch "$trixie" --kernel 6.1 --from bookworm --from bookworm-security -d "$dir" \
			--report "$dir.json" >"$dir.out" 2>"$dir.err" || {
			echo "fetching 6.1 failed:" >&2
			cat "$dir.err" >&2
			exit 1
		}
		chmod -R a-w "$dir"
	) 8>"$SHARED/.lock-fetched-6.1" || return 1
	echo "$dir"
}

# repaired_trixie: the trixie fixture repaired by `kpin repair` with the
# demo profile (6.1 pinned from fetched_61 with no network at all, the
# canary built, boot-tested the way the profile says: BIOS, the first way
# the image boots), as `make demo` does it (read-only). Its UEFI boots:
# t4002's repair of it (Secure Boot, through shim) and t6001's last case
# (both firmwares). Its command line, stdout, stderr, --report JSON and
# JUnit sit beside it as repaired-trixie.{cmd,out,err,json,xml}.
repaired_trixie() {
	local trixie pkgdir
	trixie=$(fixture trixie) && pkgdir=$(fetched_61) || return 1
	shared_image repaired-trixie unshare -n "$KPIN_BIN" repair "$trixie" --profile "$ROOT/images/demo.conf" \
		--packages "$pkgdir" -o "$SHARED/repaired-trixie.qcow2" \
		--report "$SHARED/repaired-trixie.json" --junit "$SHARED/repaired-trixie.xml"
}

# pinned_trixie: the trixie fixture with 6.1 pinned and held, GRUB booting
# it, 6.12 kept, the canary built for 6.1: where the pin, dkms and
# boot-test scripts start. A repair is that pin and more (its image
# differs only in having been verified and boot-tested), so one run of it
# serves both: the pin under TCG takes 4-5 minutes. Its kernel is
# $SHARED/repaired-trixie.json's .kernel, the pin's report its .pin.
pinned_trixie() {
	repaired_trixie
}

# make_apt_repo DIR KEY DEB...: an apt repository of the DEBs in DIR
# ("deb file:DIR site main", or served over HTTP), its InRelease signed
# with gpg key KEY in $GNUPGHOME; KEY empty: not signed.
make_apt_repo() {
	local dir=$1 key=$2
	shift 2
	mkdir -p "$dir/pool/main" "$dir/dists/site/main/binary-amd64" &&
	cp "$@" "$dir/pool/main/" &&
	(cd "$dir" && dpkg-scanpackages --multiversion pool >dists/site/main/binary-amd64/Packages 2>/dev/null) &&
	apt-ftparchive -o APT::FTPArchive::Release::Suite=site -o APT::FTPArchive::Release::Codename=site \
		-o APT::FTPArchive::Release::Architectures=amd64 release "$dir/dists/site" >"$dir/Release" &&
	mv "$dir/Release" "$dir/dists/site/Release" &&
	{ [ -z "$key" ] || gpg --batch --yes -u "$key" --clearsign -o "$dir/dists/site/InRelease" "$dir/dists/site/Release"; }
}

# guestfish for the tests' own image surgery: under TCG where kpin's probe
# finds KVM unusable, as kpin itself would run. The trixie fixture's root
# (all of it, /boot included) is /dev/sda1: "-m /dev/sda1" instead of "-i"
# spares libguestfs's inspection, ~15 s under TCG.
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

# checksum FILE: a hash of its bytes (BLAKE2b: on these machines 2.5 times
# the speed of sha256sum, and the images are a gigabyte)
checksum() {
	local s
	s=$(b2sum -- "$1") || return 1
	echo "${s%% *}"
}

# test_image_unchanged IMAGE SUM: IMAGE still has the checksum SUM.
test_image_unchanged() {
	local now
	now=$(checksum "$1") || return 1
	[ "$now" = "$2" ] || { echo "$1 changed: $2 -> $now" >&2; return 1; }
}

# test_cmp WANT GOT: the same lines, or the difference on stderr (GOT may
# be - for stdin).
test_cmp() {
	diff -u "$1" "$2" >&2
}

# test_no_kpin_temps DIR...: no .kpin-* temporary (overlay, clean copy,
# result before its rename) and no kpin-boot-*/kpin-seed-* run directory
# is left in any DIR.
test_no_kpin_temps() {
	local d left
	for d in "$@"; do
		left=$(ls -A "$d" | grep -E "^(\.kpin-|kpin-boot-|kpin-seed-|kpin-read-)") || true
		[ -z "$left" ] || { echo "kpin left in $d: $left" >&2; return 1; }
	done
}

# golden_json FILE: the report with what changes from run to run replaced
# (times and sizes, kernel and package versions, UUIDs, paths, tokens, MACs),
# keys sorted: compared with tests/integration/golden/NAME.json. Numbers
# that must not change (versions, exit codes, settings) are kept; key ids
# (a key made in the guest) and the accelerator (KVM on a user's host, TCG
# here) are not the report's to keep.
golden_json() {
	jq -S --arg root "$ROOT" --arg trash "$TRASH" --arg shared "$SHARED" --arg cache "$(dirname "$(fixture canary-deb)")" '
	def norm: gsub($trash; "TRASH") | gsub($shared; "SHARED") | gsub($cache; "CACHE") | gsub($root; "ROOT")
		| gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"; "UUID")
		| gsub("6\\.1\\.0-[0-9]+"; "6.1.0-N") | gsub("6\\.1\\.[0-9]+-[0-9]+"; "6.1.N-N")
		| gsub("6\\.12\\.[0-9]+\\+deb13"; "6.12.N+deb13") | gsub("6\\.12\\.[0-9]+-[0-9]+"; "6.12.N-N")
		| gsub("(?<f>trixie|bookworm)-[0-9a-f]{16}"; "\(.f)-HASH")
		| gsub("\\.kpin-[0-9]+-"; ".kpin-PID-") | gsub("52:54:00(:[0-9a-f]{2}){3}"; "MAC") | sub("^(?<m>1[23])\\.[0-9]+$"; "\(.m).N")
		| sub("^([0-9A-F]{2}:){19}[0-9A-F]{2}$"; "KEYID") | sub("^(kvm|tcg)$"; "ACCEL");
	reduce paths(type == "number") as $p (.;
		if ($p[-1] | IN("major", "exit_code", "timeout_s", "memory_mb", "schema")) then . else setpath($p; 0) end)
	| walk(if type == "string" then norm else . end)
	| del(.. | .probe?, .console_tail?, .vermagic?) ' "$1"
}

# test_golden NAME FILE: FILE, normalised, is the golden report NAME.
test_golden() {
	golden_json "$2" >"$TRASH/$1.norm" || return 1
	if [ -n "${KPIN_GOLDEN_UPDATE:-}" ]; then
		# CI never blesses its own output
		if [ -n "${CI:-}" ]; then
			echo "KPIN_GOLDEN_UPDATE is refused where CI is set" >&2
			return 1
		fi
		cp "$TRASH/$1.norm" "$ROOT/tests/integration/golden/$1.json"
	fi
	diff -u "$ROOT/tests/integration/golden/$1.json" "$TRASH/$1.norm" >&2
}

# test_chain_lint BODY: every command of a body is joined to the next by
# && (or ||, a pipe, a line continuation), so no failure can be lost in
# the middle: a line that ends a command and is not the last of the body
# must end in one of those, open a block, or be followed by the line that
# closes it. Quotes, here-documents and comments are understood; one line may still hold
# "a; b", which set -e catches. Prints the offending line.
test_chain_lint() {
	awk '
	function flush(   t, first) {
		t = line
		gsub(/^[ \t]+|[ \t]+$/, "", t)
		line = ""
		if (t == "") return
		n++; text[n] = t
	}
	heredoc != "" {
		t = $0
		gsub(/^[ \t]+|[ \t]+$/, "", t)
		if (t == heredoc) heredoc = ""
		next
	}
	{
		if (!sq && !dq && match($0, /<<-?[ \t]*[\047"]?[A-Za-z_]+/)) {
			heredoc = substr($0, RSTART, RLENGTH)
			sub(/^<<-?[ \t]*[\047"]?/, "", heredoc)
		}
		s = $0 "\n"
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (esc) { esc = 0; if (c != "\n") line = line c; continue }
			if (c == "\\" && !sq) { esc = 1; if (substr(s, i + 1, 1) == "\n") line = line "\\"; else line = line c; continue }
			if (sq) { if (c == "\047") sq = 0; continue }
			if (dq) { if (c == "\"") dq = 0; continue }
			if (c == "\047") { sq = 1; line = line "Q"; continue }
			if (c == "\"") { dq = 1; line = line "Q"; continue }
			if (c == "#" && (line == "" || substr(line, length(line), 1) ~ /[ \t;(|&]/)) { comment = 1; continue }
			if (c == "\n") { comment = 0; flush(); continue }
			if (!comment) line = line c
		}
	}
	END {
		for (k = 1; k < n; k++) {
			t = text[k]; nx = text[k + 1]
			if (t ~ /(&|\|\||\||\\|[{(]|\<then|\<do|\<else|;;|\<in)$/) continue
			if (nx ~ /^(}|\)|done\>|fi\>|esac\>|;;|then\>|do\>|else\>|elif\>|&&|\|\|)/) continue
			print "broken && chain: " t
			bad = 1
		}
		exit bad
	}' <<<"$1"
}

# Prerequisites: test_set_prereq NAME, or test_lazy_prereq NAME 'script'
# (run once, when a test first needs it; its output is the reason it is
# missing). A test names them as git's t/ does: "A,B" needs both, "!A"
# runs only where A is missing. A test whose prerequisites do not hold
# prints "skip" and why.
declare -A test_prereq=() test_lazy=() test_prereq_why=()
test_set_prereq() { test_prereq[$1]=1; }
test_lazy_prereq() { test_lazy[$1]=$2; }
test_have_prereq() {
	local p=$1 out
	if [ -z "${test_prereq[$p]+set}" ] && [ -n "${test_lazy[$p]+set}" ]; then
		if out=$( (set -e; eval "${test_lazy[$p]}") 2>&1); then
			test_prereq[$p]=1
		else
			test_prereq[$p]=0
			test_prereq_why[$p]=${out:-it does not hold here}
		fi
	fi
	[ "${test_prereq[$p]:-0}" = 1 ]
}

# test_prereqs_hold LIST: every prerequisite of a comma list holds ("!P":
# P does not); else 1 with why in $test_prereq_missing.
test_prereqs_hold() {
	local p list
	IFS=, read -r -a list <<<"$1"
	for p in "${list[@]}"; do
		if [ "${p#!}" != "$p" ]; then
			if test_have_prereq "${p#!}"; then
				test_prereq_missing="$p: ${p#!} holds here"
				return 1
			fi
		elif ! test_have_prereq "$p"; then
			test_prereq_missing="$p: ${test_prereq_why[$p]:-not set}"
			return 1
		fi
	done
}

# test_when_finished CMD: inside a test body, CMD runs when the test ends,
# passed or failed (a VM, a switch or a daemon the test started); the
# latest first. A failing CMD fails the test.
test_when_finished() {
	{ printf '%s\n' "$1" && { [ ! -e "$TRASH/.test-cleanup" ] || cat "$TRASH/.test-cleanup"; }; } >"$TRASH/.test-cleanup.new" &&
	mv "$TRASH/.test-cleanup.new" "$TRASH/.test-cleanup"
}

# LONG: the slowest cases beyond the CI budget (90 minutes on 2 cores under
# TCG); KPIN_TEST_LONG=1 runs them, make check reports them as skips.
test_lazy_prereq LONG '[ "${KPIN_TEST_LONG:-}" = 1 ] ||
	{ echo "beyond the CI budget: KPIN_TEST_LONG=1 runs it"; exit 1; }'

test_count=0
test_failed=0
test_skipped=0

# test_expect_success [PREREQ] TITLE BODY: runs BODY where set -e holds (a
# subshell that is not part of a condition), after its && chain is linted.
test_expect_success() {
	# names of its own that no body uses: the body sees the script's variables
	local _t_prereq= _t_title _t_body _t_rc=0 _t_start
	[ $# = 3 ] && { _t_prereq=$1; shift; }
	_t_title=$1 _t_body=$2
	test_count=$((test_count + 1))
	if [ -n "$_t_prereq" ] && ! test_prereqs_hold "$_t_prereq"; then
		test_skipped=$((test_skipped + 1))
		echo "ok $test_count # skip $_t_title (missing $test_prereq_missing)"
		return 0
	fi
	_t_start=$SECONDS
	if ! test_chain_lint "$_t_body" >"$TRASH/.test-out" 2>&1; then
		_t_rc=117
	else
		rm -f "$TRASH/.test-cleanup"
		(
			(set -e; eval "$_t_body")
			_t_body_rc=$?
			if [ -e "$TRASH/.test-cleanup" ] && ! (set -e; . "$TRASH/.test-cleanup"); then
				echo "test_when_finished failed:" && cat "$TRASH/.test-cleanup"
				[ "$_t_body_rc" != 0 ] || _t_body_rc=1
			fi
			exit "$_t_body_rc"
		) >"$TRASH/.test-out" 2>&1 </dev/null
		_t_rc=$?
		rm -f "$TRASH/.test-cleanup"
	fi
	if [ "$_t_rc" = 0 ]; then
		echo "ok $test_count - $_t_title"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $_t_title"
		sed 's/^/#   /' "$TRASH/.test-out"
	fi
	# where a script's time goes, in the CI log (cases of 10 s or more)
	[ $((SECONDS - _t_start)) -lt 10 ] || echo "#   $((SECONDS - _t_start)) s"
	rm -f "$TRASH/.test-out"
}

test_done() {
	echo "# $TEST_NAME: $((test_count - test_failed - test_skipped)) passed, $test_failed failed, $test_skipped skipped"
	[ "$test_failed" = 0 ]
}
