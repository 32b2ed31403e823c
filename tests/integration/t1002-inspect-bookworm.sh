#!/bin/bash
# inspect on a healthy Debian 12 image (MBR, a separate /boot, grub-pc): 6.1
# boots, the canary is installed, signed with DKMS's own key. The run is kpin's (not the
# appliance's) under valgrind: no invalid access, no definite leak.
. "$(dirname "$0")/lib.sh"

BOOKWORM=$(fixture bookworm) || exit 1
rc=0
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --log-file=vg.log \
	"$ROOT/build/kpin" --accel tcg inspect --json --report report.json "$BOOKWORM" >inspect.json 2>err || rc=$?

test_expect_success 'inspect under valgrind: exit 0, nothing found; the JSON on stdout is the --report file' '
	test "$rc" = 0 &&
	jq -e .ok inspect.json &&
	diff inspect.json report.json &&
	{ ! test -s vg.log || { cat vg.log; false; }; }
'

test_expect_success 'it is Debian 12 and GRUB boots its 6.1 kernel' '
	jq -e ".os.major == 12" inspect.json &&
	jq -e ".kernels | length == 1" inspect.json &&
	jq -e ".kernels[0].release | test(\"^6\\\\.1\\\\.0-[0-9]+-cloud-amd64$\")" inspect.json &&
	jq -e ".grub.kernel == .kernels[0].release" inspect.json &&
	jq -e ".grub.entry_title_path == \"Debian GNU/Linux\"" inspect.json
'

test_expect_success 'a separate /boot is mounted as the guest'"'"'s fstab says: kernel and initramfs found there' '
	jq -e ".os.mountpoints == [\"/ /dev/sda2\", \"/boot /dev/sda1\"]" inspect.json &&
	jq -e ".kernels[0] | .initramfs and .headers" inspect.json
'

test_expect_success 'it boots with BIOS only: GRUB in the MBR of an msdos disk, no ESP' '
	jq -e ".boot.firmwares == [\"bios\"] and .boot.partition_table == \"msdos\" and .boot.mbr_boot_code" inspect.json &&
	jq -e ".boot.esp == null and .boot.efi_loaders == [] and (.boot.secure_boot_chain | not)" inspect.json
'

test_expect_success 'the canary is built and installed for 6.1, signed with DKMS'"'"'s own key' '
	jq -e ".dkms[0].kernels[0] | .status == \"installed\" and .error == null" inspect.json &&
	jq -e ".dkms[0].kernels[0].kernel == .kernels[0].release" inspect.json &&
	jq -e ".dkms[0].kernels[0] | .signer == \"DKMS module signing key\" and .dkms_key and (.sig_key | test(\"^[0-9A-F:]+$\"))" inspect.json
'

test_expect_success 'the DKMS signing key is reported' '
	jq -e ".notes | any(test(\"mok.key\"))" inspect.json
'

test_done
