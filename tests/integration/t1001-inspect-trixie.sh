#!/bin/bash
# inspect on the broken cluster image: Debian 13, 6.12 boots by default, the
# canary DKMS module failed to build for it. One appliance run, read-only.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
before=$(checksum "$TRIXIE")
run_kpin inspect --json --report report.json "$TRIXIE"
cp out inspect.json

test_expect_success 'inspect succeeds and the JSON on stdout equals the --report file' '
	test_must_be 0 &&
	jq -e .ok inspect.json &&
	diff inspect.json report.json
'

test_expect_success 'it is Debian 13 on an ext4 root' '
	jq -e ".os.distro == \"debian\" and .os.major == 13 and .os.arch == \"x86_64\"" inspect.json &&
	jq -e ".os.product | test(\"trixie\")" inspect.json &&
	jq -e ".os.root_fstype == \"ext4\"" inspect.json &&
	jq -e ".image.format == \"qcow2\"" inspect.json
'

test_expect_success 'the one kernel is 6.12 cloud, with package, headers and initramfs' '
	jq -e ".kernels | length == 1" inspect.json &&
	jq -e ".kernels[0].release | test(\"^6\\\\.12\\\\.[0-9]+\\\\+deb13-cloud-amd64$\")" inspect.json &&
	jq -e ".kernels[0] | .package == (\"linux-image-\" + .release) and .headers and .initramfs and .grub_default" inspect.json
'

test_expect_success 'GRUB boots 6.12 by default, resolved through grub.cfg' '
	jq -e ".grub.configured_default == \"0\" and .grub.default == \"0\"" inspect.json &&
	jq -e ".grub.kernel | startswith(\"6.12.\")" inspect.json &&
	jq -e ".grub.entry_id_path | startswith(\"gnulinux-simple-\")" inspect.json &&
	jq -e ".grub.linux == \"/boot/vmlinuz-\" + .grub.kernel" inspect.json &&
	jq -e ".grub.fallback == false and .grub.problem == null" inspect.json
'

test_expect_success 'the canary failed on 6.12 and the first compiler error says why' '
	jq -e ".dkms | length == 1" inspect.json &&
	jq -e ".dkms[0] | .module == \"kpin-canary\" and .version == \"1.0\"" inspect.json &&
	jq -e ".dkms[0].kernels[0] | .status == \"failed\" and (.kernel | startswith(\"6.12.\"))" inspect.json &&
	jq -e ".dkms[0].kernels[0].error | test(\"asm/unaligned.h: No such file or directory\")" inspect.json &&
	jq -e ".dkms[0].kernels[0].log == \"/var/lib/dkms/kpin-canary/1.0/build/make.log\"" inspect.json
'

test_expect_success 'nothing held, no kernel pins, dpkg consistent' '
	jq -e ".holds == [] and .apt_pins == [] and .broken_packages == []" inspect.json
'

test_expect_success 'the human summary says the same' '
	kpin --accel tcg inspect "$TRIXIE" >human 2>err &&
	grep -q "^os: *Debian GNU/Linux 13 (trixie)" human &&
	grep -qE "^  \* 6\.12\.[0-9]+\+deb13-cloud-amd64 " human &&
	grep -qE "^  boots: .* -> 6\.12\." human &&
	grep -qE "^    6\.12\.[0-9]+\+deb13-cloud-amd64 +failed" human &&
	grep -q "fatal error: asm/unaligned.h" human &&
	test ! -s err
'

test_expect_success 'the image is byte-identical afterwards' '
	test "$(checksum "$TRIXIE")" = "$before"
'

test_done
