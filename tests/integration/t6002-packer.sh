#!/bin/bash
# Packer: Debian's real packer runs the template in packer/ with the file
# source handing over an image built elsewhere (the trixie image with 6.1 in
# it, whose profile here also purges 6.12); its shell-local post-processor
# runs kpin repair, which finds the artifact in the manifest and repairs it
# in place. A failing repair fails the build.
. "$(dirname "$0")/lib.sh"

TRIXIE=$(pinned_trixie) || exit 1
PKGDIR=$(fetched_61) || exit 1
before=$(checksum "$TRIXIE")
mkdir profiles output
# the cluster step waits for both images (a build of one never starts it)
printf '[node hpc-compute]\nimage = hpc-compute.qcow2\n' >cluster.conf
# the boot test is t6001's; here the profile turns it off, as a site may
sed 's/^enabled = yes$/enabled = no/' "$ROOT/images/demo.conf" >profiles/hpc-compute.conf
# Packer's own colour codes and plugin chatter stay out of the assertions
export PACKER_NO_COLOR=1 CHECKPOINT_DISABLE=1

packer_build() {
	packer build -only=file.hpc-compute -var compute_image="$TRIXIE" -var output_dir="$TRASH/output" \
		-var profile_dir="$TRASH/profiles" -var kpin="$KPIN_BIN" -var cluster_file="$TRASH/cluster.conf" \
		-var kpin_args="--packages $PKGDIR $*" "$ROOT/packer" >packer.log 2>&1
}

rc=0
packer_build --purge-old || rc=$?

test_expect_success 'packer build succeeds with kpin as its shell-local post-processor' '
	test "$rc" = 0 || { tail -n 30 packer.log; exit 1; } &&
	grep -q "Running post-processor:.*(type shell-local)" packer.log &&
	jq -e ".builds[-1].name == \"hpc-compute\" and .builds[-1].files[0].name == \"$TRASH/output/hpc-compute.qcow2\"" output/manifest.json
'

test_expect_success 'the cluster step runs only once both images are repaired' '
	grep -q "cluster test: waiting for hpc-controller" packer.log &&
	test ! -e output/cluster-test.json
'

test_expect_success 'kpin found the artifact in the manifest and repaired it in place' '
	jq -e ".ok and .changed and .image == \"$TRASH/output/hpc-compute.qcow2\" and .output == \"$TRASH/output/hpc-compute.qcow2\"" output/hpc-compute-kpin.json &&
	jq -e "[.steps[] | select(.ok) | .name] == [\"open\", \"pin\", \"dkms\", \"verify\", \"commit\"]" output/hpc-compute-kpin.json &&
	xmllint --noout output/hpc-compute-kpin.xml &&
	test "$(xmllint --xpath "string(//testsuite/@failures)" output/hpc-compute-kpin.xml)" = 0
'

test_expect_success 'the artifact, read after the repair, boots 6.1 with the canary built for it; the input is untouched' '
	R=output/hpc-compute-kpin.json &&
	K=$(jq -r .kernel "$R") &&
	jq -e ".after.grub.kernel == \"$K\" and (.after.grub.kernel | startswith(\"6.1.0-\"))" "$R" &&
	jq -e "[.after.kernels[].release] == [\"$K\"] and (.before.kernels | length) == 2" "$R" &&
	jq -e "[.after.dkms[] | select(.module == \"kpin-canary\") | .kernels[] | select(.kernel == \"$K\") | .status] == [\"installed\"]" "$R" &&
	test "$(checksum "$TRIXIE")" = "$before" &&
	test "$(checksum output/hpc-compute.qcow2)" != "$before"
'

test_expect_success LONG 'a repair that fails fails the packer build, with kpin'"'"'s one-line error' '
	rm -rf output && mkdir output && rc=0 &&
	packer_build --kernel 9.9 || rc=$? &&
	test "$rc" != 0 &&
	grep -q "kpin: .*hpc-compute.qcow2: no Linux 9.9 kernel of flavour cloud-amd64" packer.log &&
	grep -q "Script exited with non-zero exit status: 7" packer.log
'

test_done
