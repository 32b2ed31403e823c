#!/bin/bash
# kpin fetch: the offline kernel directory for the trixie image, from
# Debian 12's suites and the image's own sources, with the host's apt in a
# throw-away configuration; then pin needs nothing else, with no network at
# all. A repository whose signature apt cannot check is refused, and with
# no network the one line names the source, both before the image is
# opened; the directory is never half made.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
PKGDIR=$(fixture pkgdir-6.1) || exit 1
before=$(checksum "$TRIXIE")
K61=$(fetched_61) || exit 1
PINNED=$(pinned_trixie) || exit 1

test_expect_success 'fetch: the kernel, its headers and what trixie lacks, each in the MANIFEST' '
	J=$SHARED/fetched-6.1.json &&
	jq -e ".ok and .command == \"fetch\" and (.kernel | test(\"^6\\\\.1\\\\.0-[0-9]+-cloud-amd64$\"))" "$J" &&
	jq -e ".from == [\"bookworm\", \"bookworm-security\"] and .directory == \"$K61\"" "$J" &&
	test "$(ls "$K61"/*.deb | wc -l)" = "$(jq ".packages | length" "$J")" &&
	grep -v "^#" "$K61/MANIFEST" >manifest &&
	test "$(wc -l <manifest)" = "$(ls "$K61"/*.deb | wc -l)" &&
	while read -r pkg version sha where; do
		deb=$(ls "$K61/${pkg}_"*.deb) &&
		test "$(sha256sum "$deb" | cut -d" " -f1)" = "$sha" &&
		test "$(dpkg-deb -f "$deb" Version)" = "$version" &&
		case $where in http://deb.debian.org/debian*/pool/*) ;; *) false ;; esac || exit 1
	done <manifest
'

test_expect_success 'fetch resolves what the fixture recipe resolves in a trixie chroot: the same packages' '
	ls "$PKGDIR" | sed "s/_.*//" | sort >want &&
	ls "$K61" | grep "\.deb$" | sed "s/_.*//" | sort >got &&
	diff want got
'

test_expect_success 'pin with the fetched directory succeeds with no network at all' '
	jq -e ".ok and .pin.changed and .kernel == \"$(jq -r .kernel "$SHARED/fetched-6.1.json")\"" "$SHARED/repaired-trixie.json" &&
	grep -q "^unshare -n " "$SHARED/repaired-trixie.cmd"
'

test_expect_success 'the image was only read' '
	test_image_unchanged "$TRIXIE" "$before"
'

test_expect_success 'a repository signed with another key than the one named, or not signed: refused before any appliance' '
	export GNUPGHOME=$TRASH/gnupg && mkdir -m 0700 "$GNUPGHOME" &&
	gpg --batch --passphrase "" --quick-gen-key "kpin site test key" rsa2048 sign never 2>/dev/null &&
	gpg --batch --passphrase "" --quick-gen-key "kpin other key" rsa2048 sign never 2>/dev/null &&
	gpg --export "kpin other key" >other.gpg &&
	mkdir -p pkg/DEBIAN &&
	printf "Package: kpin-test-data\nVersion: 1.0\nArchitecture: all\nMaintainer: kpin tests <kpin@localhost>\nDescription: test\n" \
		>pkg/DEBIAN/control &&
	dpkg-deb --root-owner-group --build pkg kpin-test-data_1.0_all.deb >/dev/null &&
	make_apt_repo signed "kpin site test key" kpin-test-data_1.0_all.deb &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from "deb [signed-by=$PWD/other.gpg] file:$PWD/signed site main" -d kdir &&
	test_must_be 7 &&
	test_one_line_error "refusing a repository whose signature apt cannot verify" &&
	run_kpin -v fetch "$TRIXIE" --kernel 6.1 --from "deb [signed-by=$PWD/other.gpg] file:$PWD/signed site main" -d kdir &&
	test_must_be 7 &&
	grep -q "reading the archives" err && ! grep -q "appliance" err &&
	make_apt_repo unsigned "" kpin-test-data_1.0_all.deb &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from "deb file:$PWD/unsigned site main" -d kdir &&
	test_must_be 7 && test_one_line_error "refusing a repository" &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from "deb file:$PWD/unsigned site main" --allow-unsigned -d kdir &&
	test_must_be 7 && test_one_line_error "no Linux 6.1 kernel" &&
	test ! -e kdir && test_no_kpin_temps .
'

test_expect_success 'with no network: one line naming the source, no directory, nothing half made' '
	rc=0 &&
	unshare -n "$KPIN_BIN" fetch "$TRIXIE" --kernel 6.1 --from bookworm -d kdir >out.txt 2>err || rc=$? &&
	test "$rc" = 7 &&
	test_one_line_error "cannot reach http://deb.debian.org/debian bookworm" &&
	test ! -e kdir && test -z "$(ls -A . | grep "^kdir\.kpin-")"
'

test_expect_success 'a profile'"'"'s fetch-from: repair fetches when the directory is missing, before the pin' '
	printf "[kernel]\nseries = 6.1\npackages = %s\nfetch-from = bookworm bookworm-security\n" "$PWD/k" >fetching.conf &&
	rc=0 &&
	KPIN_FAULT_STEP=pin "$KPIN_BIN" repair "$TRIXIE" --profile fetching.conf --no-boot-test -o r.qcow2 >r.out 2>r.err ||
		rc=$? &&
	test "$rc" = 137 &&
	grep -q "KPIN_FAULT_STEP=pin" r.err &&
	test "$(grep -vc "^#" k/MANIFEST)" = "$(ls "$K61"/*.deb | wc -l)" &&
	test ! -e r.qcow2 && test_image_unchanged "$TRIXIE" "$before"
'

test_expect_success 'with roll = no, not when the image has the kernel already: nothing to fetch, nothing made' '
	cp "$PINNED" p.qcow2 && chmod u+w p.qcow2 &&
	printf "[kernel]\nseries = 6.1\npackages = %s\nfetch-from = bookworm\nroll = no\n" "$PWD/none" >pinned.conf &&
	run_kpin repair p.qcow2 --profile pinned.conf --no-boot-test --in-place --json &&
	test_must_be 0 &&
	jq -e ".fetch.fetched == false and (.changed | not)" out &&
	test ! -e none
'

test_expect_success 'rolling forward, the sources are asked even so; with nothing newer there, nothing to do' '
	export GNUPGHOME=$TRASH/gnupg-roll && mkdir -m 0700 "$GNUPGHOME" &&
	gpg --batch --passphrase "" --quick-gen-key "kpin kernel repo key" rsa2048 sign never 2>/dev/null &&
	make_apt_repo kernels "kpin kernel repo key" "$PKGDIR"/*.deb &&
	gpg --export "kpin kernel repo key" >site.gpg &&
	cp "$PINNED" q.qcow2 && chmod u+w q.qcow2 && stamp=$(stat -c "%i %Y %s" q.qcow2) &&
	printf "[kernel]\nseries = 6.1\npackages = %s\nfetch-from = deb [signed-by=%s] file:%s site main\n" \
		"$PWD/kk" "$PWD/site.gpg" "$PWD/kernels" >rolling.conf &&
	run_kpin repair q.qcow2 --profile rolling.conf --in-place --json &&
	test_must_be 0 &&
	jq -e ".nothing_to_do and [.steps[].name] == [\"open\", \"fetch\", \"commit\"]" out &&
	jq -e ".fetch.fetched == false and .fetch.kernel == \"$(jq -r .kernel "$SHARED/repaired-trixie.json")\"" out &&
	test "$(stat -c "%i %Y %s" q.qcow2)" = "$stamp" && test ! -e kk
'

test_expect_success 'usage: --kernel, --from and -d are needed; fetch is not an option of inspect' '
	run_kpin fetch "$TRIXIE" --from bookworm -d kdir && test_must_be 2 && test_one_line_error "--kernel" &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 -d kdir && test_must_be 2 && test_one_line_error "--from" &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from bookworm && test_must_be 2 && test_one_line_error "-d DIR" &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from "not a source!" -d kdir && test_must_be 2 &&
	run_kpin inspect "$TRIXIE" --from bookworm && test_must_be 2
'

test_expect_success 'a -d directory of other files is refused before any work, and left alone' '
	mkdir mine && echo keep >mine/notes &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from bookworm -d mine &&
	test_must_be 2 &&
	test_one_line_error "mine: has files and is not a kpin fetch directory" &&
	test "$(cat mine/notes)" = keep && test "$(ls -A mine)" = notes
'

test_expect_success 'what a killed fetch left beside DIR: the old DIR goes back, the half-made one goes' '
	dead=$(sh -c "echo \$\$") &&
	mkdir "k61.kpin-$dead.old" "k61.kpin-$dead.tmp" &&
	cp "$K61/MANIFEST" "k61.kpin-$dead.old/" &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from "deb file:$PWD/nothing site main" -d k61 &&
	test_must_be 7 &&
	grep -q "k61: put back" err &&
	cmp "$K61/MANIFEST" k61/MANIFEST &&
	test -z "$(ls -A . | grep "^k61\.kpin-")"
'

test_expect_success 'a fetch killed by SIGPIPE (its log read by head) leaves no directory of its own in TMPDIR' '
	mkdir ftmp &&
	{ TMPDIR=$PWD/ftmp "$KPIN_BIN" -v fetch "$TRIXIE" --kernel 6.1 --from bookworm --from bookworm-security \
		-d kpipe 2>&1 >/dev/null | head -n 1 >first; echo "${PIPESTATUS[0]}" >status; } &&
	test "$(cat status)" = 141 &&
	test -s first &&
	test -z "$(ls -A ftmp)" &&
	test ! -e kpipe
'

test_expect_success 'a fetch killed by SIGTERM while apt reads the archives leaves nothing behind either' '
	TMPDIR=$PWD/ftmp "$KPIN_BIN" fetch "$TRIXIE" --kernel 6.1 --from bookworm --from bookworm-security -d kterm \
		>/dev/null 2>term.err &
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null || :" &&
	for ((i = 0; i < 200; i++)); do ls -d ftmp/kpin-fetch-$pid-* >/dev/null 2>&1 && break; sleep 0.05; done &&
	ls -d ftmp/kpin-fetch-$pid-* &&
	kill -TERM $pid && rc=0 && { wait $pid || rc=$?; } &&
	test "$rc" = 143 &&
	test -z "$(ls -A ftmp)" &&
	test ! -e kterm
'

test_done
