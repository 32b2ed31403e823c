#!/bin/bash
# Bad input: one line naming the file and the cause, a distinct exit code per
# class, and the file untouched.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1

# expect_refusal CODE FILE WORDS...: kpin inspect FILE fails with CODE, one
# line naming FILE and WORDS, and FILE (a regular file) is unchanged.
expect_refusal() {
	local code=$1 file=$2 sum=
	shift 2
	if [ -f "$file" ]; then sum=$(checksum "$file") || return 1; fi
	run_kpin --accel tcg inspect "$file" &&
	test_must_be "$code" &&
	test_one_line_error "$file" "$@" &&
	test ! -s out &&
	if [ -n "$sum" ]; then test "$(checksum "$file")" = "$sum"; fi
}

test_expect_success 'missing file: exit 3' '
	expect_refusal 3 "$PWD/missing.qcow2" "no such file"
'

test_expect_success 'a text file: exit 4, not a disk image' '
	echo "#cloud-config" >notes.qcow2 &&
	expect_refusal 4 "$PWD/notes.qcow2" "not a disk image"
'

test_expect_success 'a zero-byte file and random bytes: exit 4' '
	: >empty.img &&
	expect_refusal 4 "$PWD/empty.img" "empty file" &&
	head -c 1048576 /dev/urandom >random.img &&
	expect_refusal 4 "$PWD/random.img" "not a disk image"
'

test_expect_success 'a directory: exit 4' '
	mkdir dir.qcow2 &&
	expect_refusal 4 "$PWD/dir.qcow2" "is a directory"
'

test_expect_success 'a truncated qcow2 (a copy cut short): exit 4, truncated' '
	head -c $((64 * 1024 * 1024)) "$TRIXIE" >truncated.qcow2 &&
	expect_refusal 4 "$PWD/truncated.qcow2" "truncated"
'

test_expect_success 'a qcow2 with a corrupted magic is not probed as raw: exit 4' '
	cp "$TRIXIE" badmagic.qcow2 && chmod u+w badmagic.qcow2 &&
	printf "XFI" | dd of=badmagic.qcow2 bs=1 conv=notrunc status=none &&
	expect_refusal 4 "$PWD/badmagic.qcow2" "not a disk image"
'

test_expect_success 'a qcow2 marked corrupt: exit 4' '
	qemu-img create -q -f qcow2 marked.qcow2 1G &&
	printf "\002" | dd of=marked.qcow2 bs=1 seek=79 conv=notrunc status=none &&
	expect_refusal 4 "$PWD/marked.qcow2" "marked corrupt"
'

test_expect_success 'a qcow2 whose L1 table lies past its end: exit 4, not 8 lines' '
	qemu-img create -q -f qcow2 badl1.qcow2 1G &&
	printf "\000\000\001\000\000\000\000\000" | dd of=badl1.qcow2 bs=1 seek=40 conv=notrunc status=none &&
	expect_refusal 4 "$PWD/badl1.qcow2" "L1 table lies outside the file"
'

test_expect_success 'a qcow2 whose backing file is gone: exit 4' '
	qemu-img create -q -f qcow2 -u -F qcow2 -b "$PWD/gone.qcow2" orphan.qcow2 1G &&
	expect_refusal 4 "$PWD/orphan.qcow2" "backing file" "cannot be opened"
'

test_expect_success 'a backing file outside the image directory is refused: exit 4' '
	mkdir sub &&
	qemu-img create -q -f qcow2 -F raw -b /etc/hostname sub/evil.qcow2 1G 2>/dev/null ||
		qemu-img create -q -f qcow2 -o backing_file=/etc/hostname,backing_fmt=raw sub/evil.qcow2 1G &&
	expect_refusal 4 "$PWD/sub/evil.qcow2" "backing file /etc/hostname is outside"
'

test_expect_success '/etc/shadow as a raw backing file: refused, and still refused when allowed' '
	qemu-img create -q -f qcow2 -F raw -b /etc/shadow -u sub/shadow.qcow2 1G &&
	expect_refusal 4 "$PWD/sub/shadow.qcow2" "backing file /etc/shadow is outside" "--allow-backing /etc/shadow" &&
	run_kpin --accel tcg inspect "$PWD/sub/shadow.qcow2" --allow-backing /etc/shadow &&
	test_must_be 4 && test_one_line_error "backing file /etc/shadow: not a disk image"
'

test_expect_success 'a chain that leaves the directory one level down is refused too' '
	truncate -s 1M sub/disk.img &&
	printf "\125\252" | dd of=sub/disk.img bs=1 seek=510 conv=notrunc status=none &&
	qemu-img create -q -f qcow2 -F raw -b /etc/hostname -u sub/mid.qcow2 1G &&
	qemu-img create -q -f qcow2 -F qcow2 -b mid.qcow2 -u sub/top.qcow2 1G &&
	expect_refusal 4 "$PWD/sub/top.qcow2" "backing file /etc/hostname is outside"
'

test_expect_success 'a header that lies about its backing file'"'"'s format, a name that lies about the file: exit 4' '
	qemu-img create -q -f qcow2 -F qcow2 -b disk.img -u sub/lie.qcow2 1G &&
	expect_refusal 4 "$PWD/sub/lie.qcow2" "the header says backing file disk.img is qcow2, but it is raw" &&
	cp sub/disk.img sub/renamed.qcow2 &&
	expect_refusal 4 "$PWD/sub/renamed.qcow2" "named .qcow2 but it is a raw disk image"
'

test_expect_success 'a backing file elsewhere the user allows by name: inspected as one image' '
	qemu-img create -q -f qcow2 -F qcow2 -b "$TRIXIE" sub/overlay.qcow2 &&
	expect_refusal 4 "$PWD/sub/overlay.qcow2" "is outside the image" "--allow-backing $TRIXIE" &&
	run_kpin --accel tcg inspect --json "$PWD/sub/overlay.qcow2" --allow-backing "$TRIXIE" &&
	test_must_be 0 &&
	jq -e ".os.product | test(\"trixie\")" out &&
	jq -e ".image.backing_file == \"$TRIXIE\"" out
'

test_expect_success 'a blank disk with no OS: exit 6 after looking inside' '
	qemu-img create -q -f qcow2 blank.qcow2 1G &&
	expect_refusal 6 "$PWD/blank.qcow2" "no operating system"
'

test_expect_success 'an image a running QEMU has open for writing: exit 5' '
	qemu-img create -q -f qcow2 busy.qcow2 1G &&
	hold_image busy.qcow2 &&
	! qemu-img info busy.qcow2 >/dev/null 2>&1 &&
	expect_refusal 5 "$PWD/busy.qcow2" "in use" &&
	release_image busy.qcow2
'

test_expect_success 'the same image opened read-only by another process is fine' '
	qemu-img create -q -f qcow2 shared.qcow2 1G &&
	hold_image shared.qcow2 readonly &&
	run_kpin --accel tcg inspect "$PWD/shared.qcow2" &&
	test_must_be 6 &&
	release_image shared.qcow2
'

test_expect_success 'with --json a failure is a JSON document too' '
	run_kpin inspect --json "$PWD/missing.qcow2" &&
	test_must_be 3 &&
	jq -e ".ok == false and .error.exit_code == 3 and .error.class == \"image-missing\"" out &&
	jq -e ".error.message | test(\"missing.qcow2: no such file\")" out
'

test_done
