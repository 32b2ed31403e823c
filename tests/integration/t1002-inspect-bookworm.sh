#!/bin/bash
# inspect on a healthy Debian 12 image: 6.1 boots, the canary is installed.
. "$(dirname "$0")/lib.sh"

BOOKWORM=$(fixture bookworm) || exit 1
run_kpin inspect --json "$BOOKWORM"
cp out inspect.json

test_expect_success 'it is Debian 12 and GRUB boots its 6.1 kernel' '
	test_must_be 0 &&
	jq -e ".os.major == 12" inspect.json &&
	jq -e ".kernels | length == 1" inspect.json &&
	jq -e ".kernels[0].release | test(\"^6\\\\.1\\\\.0-[0-9]+-cloud-amd64$\")" inspect.json &&
	jq -e ".grub.kernel == .kernels[0].release" inspect.json &&
	jq -e ".grub.entry_title_path == \"Debian GNU/Linux\"" inspect.json
'

test_expect_success 'the canary is built and installed for 6.1' '
	jq -e ".dkms[0].kernels[0] | .status == \"installed\" and .error == null" inspect.json &&
	jq -e ".dkms[0].kernels[0].kernel == .kernels[0].release" inspect.json
'

test_expect_success 'DKMS signing key is reported' '
	jq -e ".notes | any(test(\"mok.key\"))" inspect.json
'

test_done
