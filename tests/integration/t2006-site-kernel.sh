#!/bin/bash
# A site's own kernel from the site's own apt repository: built the way
# `make bindeb-pkg` builds one (linux-image-6.1.N-site and
# linux-headers-6.1.N-site: no ABI number, no flavour metapackages), in a
# repository the test signs with its own key and serves on 127.0.0.1.
# fetch finds it by series and flavour or by its release; repair pins it,
# holds what exists, makes GRUB boot it and builds the canary for it. The
# kernel is small (modules and an initramfs, no drivers): nothing boots it.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
SITEK=$(fixture site-kernel-6.1) || exit 1
before=$(checksum "$TRIXIE")
pkg=$(dpkg-deb -f "$SITEK"/linux-image-*.deb Package) || exit 1
REL=${pkg#linux-image-}

http_pid=
trap '[ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null; cleanup_trash' EXIT
export GNUPGHOME=$TRASH/gnupg
mkdir -m 0700 "$GNUPGHOME" repo
port=$((20000 + RANDOM % 20000))
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory repo "$port" >http.log 2>&1 &
http_pid=$!
SOURCE="deb [signed-by=$TRASH/site.gpg] http://127.0.0.1:$port/ site main"

test_expect_success 'the site repository: bindeb-pkg names, signed with the site key, on 127.0.0.1' '
	case $REL in 6.1.[0-9]*-site) ;; *) false ;; esac &&
	test "$(ls "$SITEK" | wc -l)" = 2 &&
	test -e "$SITEK/$(ls "$SITEK" | grep "^linux-headers-${REL}_")" &&
	gpg --batch --passphrase "" --quick-gen-key "kpin site repository" rsa2048 sign never 2>/dev/null &&
	gpg --export "kpin site repository" >site.gpg &&
	make_apt_repo repo "kpin site repository" "$SITEK"/*.deb &&
	for ((i = 0; i < 50; i++)); do curl -sf "http://127.0.0.1:$port/dists/site/InRelease" >/dev/null && break; sleep 0.2; done &&
	curl -sf "http://127.0.0.1:$port/dists/site/InRelease" | grep -q "BEGIN PGP SIGNED MESSAGE"
'

test_expect_success 'fetch by series and flavour: the image and headers packages from the site, in the MANIFEST' '
	run_kpin fetch "$TRIXIE" --kernel 6.1 --flavour site --from "$SOURCE" -d kdir --json &&
	test_must_be 0 &&
	jq -e ".ok and .kernel == \"$REL\"" out &&
	grep -v "^#" kdir/MANIFEST | cut -d" " -f1 | sort >got &&
	printf "linux-headers-%s\nlinux-image-%s\n" "$REL" "$REL" >want &&
	diff want got &&
	grep -v "^#" kdir/MANIFEST | while read -r p version sha where; do
		test "$(sha256sum kdir/"${p}"_*.deb | cut -d" " -f1)" = "$sha" &&
		case $where in http://127.0.0.1:$port/pool/main/*) ;; *) false ;; esac || exit 1
	done &&
	grep -q "GET /pool/main/linux-image-$REL" http.log
'

test_expect_success 'fetch by the full release needs no flavour; the image'"'"'s own flavour is not the site'"'"'s' '
	run_kpin fetch "$TRIXIE" --kernel "$REL" --from "$SOURCE" -d kdir2 &&
	test_must_be 0 &&
	diff <(grep -v "^#" kdir/MANIFEST | cut -d" " -f1-3) <(grep -v "^#" kdir2/MANIFEST | cut -d" " -f1-3) &&
	run_kpin fetch "$TRIXIE" --kernel 6.1 --from "$SOURCE" -d kdir3 &&
	test_must_be 7 &&
	test_one_line_error "no Linux 6.1 kernel of flavour cloud-amd64" &&
	test ! -e kdir3
'

test_expect_success LONG 'repair with the fetched directory: pinned, held, GRUB boots it, the canary built for it' '
	run_kpin repair "$TRIXIE" --kernel 6.1 --flavour site --packages kdir --no-boot-test -o site.qcow2 \
		--report r.json &&
	test_must_be 0 &&
	jq -e ".ok and .changed and .kernel == \"$REL\"" r.json &&
	run_kpin inspect site.qcow2 --json &&
	test_must_be 0 &&
	jq -e ".grub.kernel == \"$REL\"" out &&
	jq -e "[.holds[].package] | sort == [\"linux-headers-$REL\", \"linux-image-$REL\"]" out &&
	jq -e ".kernels | map(select(.release == \"$REL\"))[0] | .headers and .initramfs and .modules" out &&
	jq -e ".dkms[] | select(.module == \"kpin-canary\") | .kernels[] | select(.kernel == \"$REL\") | .status == \"installed\"" out &&
	test_image_unchanged "$TRIXIE" "$before"
'

test_done
