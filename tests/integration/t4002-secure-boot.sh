#!/bin/bash
# Secure Boot end to end on the image laid out like Debian's cloud images:
# the canary signed with the site's key (which never stays in the image or
# the report) loads under Secure Boot enforcing when that key is enrolled
# as a MOK in the site's own variable store; signed with DKMS's own key it
# is refused, and the verdict names the signature and the way out. GRUB's
# "prohibited by secure boot policy" lines are warnings, not the verdict.
# The signed image comes from one repair: sign, boot-test, commit.
. "$(dirname "$0")/lib.sh"

PINNED=$(pinned_trixie) || exit 1
VFW=$(fixture virt-firmware) || exit 1
K=$(jq -r .kernel "$SHARED/repaired-trixie.json")
before=$(checksum "$PINNED")

# the site's key and certificate, and OVMF's Microsoft-keyed store with the
# certificate enrolled as a MOK (shim's MokList)
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=kpin test site module key" \
	-keyout site.key -out site.crt 2>/dev/null || exit 1
PYTHONPATH=$VFW/usr/lib/python3/dist-packages /usr/bin/python3 -m virt.firmware.vars \
	--input /usr/share/OVMF/OVMF_VARS_4M.ms.fd --output mok-vars.fd \
	--add-mok 605dab50-e046-4300-abb6-3dd810dd8b23 site.crt >vfw.log 2>&1 || { cat vfw.log; exit 1; }
vars_sum=$(checksum mok-vars.fd)
# lines of the private key's body, to look for wherever they must not be
KEYLINES=$(sed -n '5p;12p;20p' site.key)

# One repair: the canary signed with the site key, then the boot test with
# Secure Boot enforcing and that key enrolled as a MOK, then the commit.
run_kpin repair "$PINNED" --kernel 6.1 --module kpin-canary --sign-key site.key --sign-cert site.crt \
	--firmware uefi-secure --uefi-vars mok-vars.fd --expect-kernel 6.1 --expect-module canary \
	-o signed.qcow2 --json --report signed.json
cp out signed.out && cp err signed.err

test_expect_success 'the canary signed with the site key, in a tmpfs of the appliance only' '
	test_must_be 0 &&
	jq ".dkms.modules[0]" signed.json >m.json &&
	jq -e ".module == \"kpin-canary\" and .built_now and .signer == \"kpin test site module key\"" m.json &&
	jq -e ".sig_key | test(\"^[0-9A-F:]+$\")" m.json &&
	test_image_unchanged "$PINNED" "$before"
'

test_expect_success 'Secure Boot enforcing, the site key enrolled as a MOK: shim, GRUB, 6.1 and the canary load' '
	jq .boot_test signed.json >boot.json &&
	jq -e ".ok and .firmware == \"uefi-secure\" and .kernel == \"$K\"" boot.json &&
	jq -e ".probe | index(\"secure-boot=1\") and index(\"module=canary modprobe=ok loaded=yes\")" boot.json &&
	jq -e ".probe | index(\"wait-online=systemd-networkd-wait-online.service active\") and index(\"network-online=active\")" boot.json &&
	jq -e ".unit_warnings == [] and .cloud_init == \"done\" and .network.configured_by == \"cloud-init seed\"" boot.json &&
	jq -e ".warnings | length > 0 and all(test(\"prohibited by secure boot policy\"))" boot.json &&
	test_image_unchanged mok-vars.fd "$vars_sum"
'

test_expect_success 'the private key is in neither the image nor the report nor the output' '
	test "$(echo "$KEYLINES" | wc -l)" = 3 &&
	! grep -qaF -- "$KEYLINES" signed.qcow2 &&
	! grep -qF -- "$KEYLINES" signed.json signed.out signed.err &&
	test "$(grep -ca "BEGIN PRIVATE KEY" signed.qcow2)" = "$(grep -ca "BEGIN PRIVATE KEY" "$PINNED")"
'

test_expect_success 'the image read after the repair names the signer: the site key, not DKMS'"'"'s own' '
	jq -e "[.after.dkms[] | select(.module == \"kpin-canary\") | .kernels[] | select(.kernel == \"$K\")][0] |
		.status == \"installed\" and .signer == \"kpin test site module key\" and (.dkms_key | not)" signed.json &&
	jq -e "[.before.dkms[] | select(.module == \"kpin-canary\") | .kernels[] | select(.kernel == \"$K\")][0] |
		.signer == \"DKMS module signing key\" and .dkms_key" signed.json
'

test_expect_success 'signed with DKMS'"'"'s own key: refused, and the verdict says why and what to do, in one line' '
	run_kpin boot-test "$PINNED" --firmware uefi-secure --expect-kernel 6.1 --expect-module canary \
		--expect-module nosuchmodule --timeout 600 --junit sb.xml &&
	test_must_be 10 &&
	grep -q "^boot-test $PINNED: FAIL ($K, [0-9]* s, TCG, " out &&
	grep -q "^  stages: firmware+GRUB [0-9.]*s GRUB->kernel [0-9.]*s " out &&
	grep -qx "  ok    boots" out &&
	grep -qx "  ok    kernel 6.1" out &&
	grep -q "^  FAIL  module canary loads: .*the kernel refused module canary" out &&
	grep -q "^  FAIL  module nosuchmodule loads: modprobe nosuchmodule failed in the guest: modprobe: FATAL: Module nosuchmodule not found" out &&
	grep -qx "  ok    no failed units" out &&
	grep -qx "  ok    cloud-init finishes" out &&
	test "$(grep -c "^  FAIL " out)" = 2 &&
	test_one_line_error "the kernel refused module canary" "signed by '"'"'DKMS module signing key'"'"'" \
		"enroll that key as a MOK" "--sign-key"
'

test_expect_success 'its JUnit file: each failed check with its message, the others passed' '
	xmllint --noout sb.xml &&
	test "$(xmllint --xpath "string(//testsuite/@failures)" sb.xml)" = 2 &&
	xmllint --xpath "string(//testcase[@name=\"module canary loads\"]/failure/@message)" sb.xml |
		grep -q "the kernel refused module canary" &&
	xmllint --xpath "string(//testcase[@name=\"module nosuchmodule loads\"]/failure/@message)" sb.xml |
		grep -q "^modprobe nosuchmodule failed in the guest: modprobe: FATAL: Module nosuchmodule not found" &&
	test "$(xmllint --xpath "count(//testcase[@name=\"kernel 6.1\"]/failure)" sb.xml)" = 0
'

test_done
