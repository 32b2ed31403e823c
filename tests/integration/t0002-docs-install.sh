#!/bin/bash
# What an admin installs and reads: the man page matches --help, bash
# completes verbs, options and profiles, `make install` lays it all out, and
# the Packer template is valid for Debian's Packer.
. "$(dirname "$0")/lib.sh"

man -l --warnings "$ROOT/man/kpin.1" >man.txt 2>man.err

test_expect_success 'the man page renders without a groff warning and has every section' '
	test -s man.txt && ! test -s man.err &&
	for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "PROFILE FORMAT" ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "$s" man.txt || { echo "no section $s"; exit 1; }
	done
'

test_expect_success 'the man page and --help name the same long options and exit codes' '
	kpin --help >help.txt &&
	grep -o -- "--[a-z][a-z-]*" help.txt | sort -u >help-opts &&
	sed -n "/^SYNOPSIS/,/^PROFILE FORMAT/p" man.txt | grep -o -- "--[a-z][a-z-]*" | sort -u >man-opts &&
	diff help-opts man-opts &&
	sed -n "s/^ *\([0-9][0-9]*\)  .*/\1/p" help.txt >help-codes &&
	sed -n "/^EXIT STATUS/,/^EXAMPLES/s/^       \([0-9][0-9]*\)  .*/\1/p" man.txt >man-codes &&
	test "$(wc -l <help-codes)" = 13 &&
	diff help-codes man-codes
'

test_expect_success 'every command of --help is in the man page synopsis' '
	sed -n "s/^  kpin \([a-z-]*\) .*/\1/p" help.txt | sort -u >verbs &&
	test "$(wc -l <verbs)" = 10 &&
	for verb in $(cat verbs); do
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" man.txt | grep -q "kpin $verb" || { echo "no $verb"; exit 1; }
	done
'

# complete WORDS...: what bash completion offers for the last word (it asks
# the kpin on PATH for the verbs' options)
mkdir bin && ln -s "$KPIN_BIN" bin/kpin
complete_words() {
	PATH=$TRASH/bin:$PATH bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kpin
		printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/completion/kpin.bash" "$@"
}

test_expect_success 'bash completion: verbs, verb options, option values, profiles and images' '
	test "$(complete_words kpin re | tr "\n" " ")" = "repair " &&
	complete_words kpin repair --pro | grep -qx -- --profile &&
	complete_words kpin repair --no | grep -qx -- --no-boot-test &&
	! complete_words kpin inspect --pro | grep -q -- --profile &&
	test "$(complete_words kpin boot-test --firmware "" | tr "\n" " ")" = "auto all bios uefi uefi-secure " &&
	test "$(complete_words kpin repair --firmware bios,u | tr "\n" " ")" = "bios,uefi bios,uefi-secure " &&
	complete_words kpin fetch --fr | grep -qx -- --from &&
	complete_words kpin dkms --build | grep -qx -- --build-cache &&
	! complete_words kpin boot-test --net | grep -q -- --network &&
	complete_words kpin repair --ne | grep -qx -- --network &&
	test "$(complete_words kpin --ver | tr "\n" " ")" = "--verbose --version " &&
	! complete_words kpin fetch --pro | grep -q -- --profile &&
	mkdir -p c/images && touch c/images/a.conf c/images/b.txt c/disk.qcow2 c/notes.txt &&
	complete_words kpin repair --profile c/images/ | grep -qx c/images/a.conf &&
	! complete_words kpin repair --profile c/images/ | grep -q b.txt &&
	complete_words kpin inspect c/ | grep -qx c/disk.qcow2 &&
	! complete_words kpin inspect c/ | grep -q notes.txt
'

test_expect_success 'make install: binary, nightly job, man page, completion and profiles under DESTDIR' '
	make -s -C "$ROOT" install DESTDIR="$TRASH/root" PREFIX=/usr >install.log 2>&1 &&
	for f in usr/bin/kpin usr/bin/kpin-nightly usr/share/man/man1/kpin.1 \
		usr/share/bash-completion/completions/kpin usr/share/kpin/images/hpc-compute.conf \
		usr/share/kpin/images/hpc-controller.conf usr/share/kpin/images/demo.conf; do
		test -s "root/$f" || { echo "missing $f"; exit 1; }
	done &&
	test -x root/usr/bin/kpin && root/usr/bin/kpin --version | grep -q "^kpin "
'

test_expect_success 'the shipped profiles parse: repair gets as far as their package directory' '
	for p in "$ROOT"/images/hpc-*.conf; do
		run_kpin repair --profile "$p" --in-place &&
		test_must_be 7 &&
		test_one_line_error "/srv/kpin/kernel-6.1: cannot read the package directory" || exit 1
	done
'

test_expect_success 'the Packer template is valid for Debian'"'"'s Packer' '
	packer validate "$ROOT/packer" >packer.out 2>&1 || { cat packer.out; exit 1; }
'

test_done
