#!/bin/bash
# inspect on the broken cluster image, laid out like Debian's cloud images:
# Debian 13, 6.12 boots by default in BIOS and UEFI, the canary DKMS module
# failed to build for it. One appliance run, read-only.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(fixture trixie) || exit 1
before=$(checksum "$TRIXIE")
# one run: the summary on stdout, the JSON in --report
run_kpin --accel tcg inspect --report inspect.json "$TRIXIE"
cp out human

test_expect_success 'inspect succeeds, reporting as it prints' '
	test_must_be 0 &&
	jq -e ".ok and .command == \"inspect\"" inspect.json &&
	test ! -s err
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

test_expect_success 'how it boots: BIOS through the BIOS boot partition, UEFI from the ESP on /boot/efi' '
	jq -e ".boot.firmwares == [\"bios\", \"uefi\"] and .boot.partition_table == \"gpt\"" inspect.json &&
	jq -e ".boot.mbr_boot_code and .boot.bios_boot_partition == \"/dev/sda14\"" inspect.json &&
	jq -e ".boot.esp == \"/dev/sda15\" and .boot.esp_mountpoint == \"/boot/efi\"" inspect.json &&
	jq -e ".os.mountpoints == [\"/ /dev/sda1\", \"/boot/efi /dev/sda15\"]" inspect.json &&
	jq -e ".boot.efi_loaders | index(\"EFI/debian/shimx64.efi\") and index(\"EFI/debian/grubx64.efi\")" inspect.json &&
	jq -e ".boot.removable_path and (.boot.efi_loaders | index(\"EFI/BOOT/BOOTX64.EFI\"))" inspect.json &&
	jq -e ".boot.esp_grub_uuid == .boot.boot_uuid and .boot.boot_uuid != null" inspect.json
'

test_expect_success 'a Secure Boot chain is there: shim, a signed GRUB, a signed kernel' '
	jq -e ".boot | .shim and .grub_signed and .kernel_signed and .secure_boot_chain" inspect.json
'

test_expect_success 'the report is the golden one, field by field' '
	test_golden inspect-trixie inspect.json
'

test_expect_success 'the human summary says the same' '
	grep -q "^os: *Debian GNU/Linux 13 (trixie)" human &&
	grep -qE "^  \* 6\.12\.[0-9]+\+deb13-cloud-amd64 " human &&
	grep -qE "^  boots: .* -> 6\.12\." human &&
	grep -qE "^    6\.12\.[0-9]+\+deb13-cloud-amd64 +failed" human &&
	grep -q "fatal error: asm/unaligned.h" human &&
	grep -qE "^  BIOS: +yes \(gpt, boot code in the MBR: yes, BIOS boot partition /dev/sda14\)" human &&
	grep -qE "^  UEFI: +yes \(ESP /dev/sda15 on /boot/efi\)" human &&
	grep -qE "^  Secure Boot chain: yes \(shim yes, GRUB signed, kernel signed\)" human
'

test_expect_success 'the image is byte-identical afterwards' '
	test_image_unchanged "$TRIXIE" "$before"
'

test_done
