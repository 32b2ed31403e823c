#!/bin/bash
# kpin-nightly --slurm on a real Slurm (Debian's slurmctld, slurmd and
# munge, started here on 127.0.0.1 without systemd, stopped by their PIDs):
# one array job, a task per profile, and a gather job that writes the
# night's JUnit file and summary. One image repairs, one fails on purpose,
# one task is cancelled before it runs; the night exits 1 and says why for
# each, and nothing of Slurm, munge or kpin is left running.
. "$(dirname "$0")/lib.sh"

REPAIRED=$(repaired_trixie) || exit 1
NIGHTLY=$ROOT/contrib/kpin-nightly
. "$ROOT/tests/slurm-local.sh"
mkdir profiles reports
trap 'slurm_down; cleanup_trash' EXIT
slurm_up "$TRASH/slurm" || exit 1

for n in a-compute b-controller c-login; do
	cp "$REPAIRED" "$n.qcow2" && chmod u+w "$n.qcow2"
	{ sed "s/^name = .*/name = $n/" "$ROOT/images/demo.conf"; printf '[image]\npath = %s\n' "$TRASH/$n.qcow2"; } \
		>"profiles/$n.conf"
done
# b fails on purpose: a kernel series nobody has
sed -i 's/^series = .*/series = 5.10/' profiles/b-controller.conf
sums=$(checksum a-compute.qcow2; checksum b-controller.qcow2)

test_expect_success 'slurm came up: the controller answers and the node is idle' '
	scontrol ping | grep -q "is UP" &&
	test "$(sinfo -h -o %T)" = idle
'

test_expect_success 'the night as an array job and a gather job; one task cancelled before it runs' '
	rc=0 &&
	{ "$NIGHTLY" --slurm --wait --cpus-per-task 2 --mem 3G --time 30 -p profiles -r reports \
		--kpin "$KPIN_BIN" -- --no-boot-test >night.out 2>night.err & } &&
	pid=$! &&
	for ((i = 0; i < 300; i++)); do grep -q "array job" night.out 2>/dev/null && break; sleep 0.2; done &&
	array=$(sed -n "s/.*array job \([0-9]*\) .*/\1/p" night.out) &&
	test -n "$array" && echo "$array" >array &&
	scancel "${array}_2" &&
	{ wait $pid || rc=$?; } &&
	cat night.out night.err &&
	test "$rc" = 1
'

test_expect_success 'the summary: one repaired (unchanged), one failed with its step, one Slurm never ran' '
	grep -qE "^a-compute +unchanged +6\.1\.0-[0-9]+-cloud-amd64 " night.out &&
	grep -qE "^b-controller +FAILED\(7\) +- +[0-9]+s +pin: kpin: .*no Linux 5\.10 kernel" night.out &&
	grep -qE "^c-login +FAILED\(1\) .*slurm: task [0-9]+_2 never ran" night.out &&
	grep -qx "1 of 3 images good; reports in $TRASH/reports, JUnit in $TRASH/reports/nightly.xml" night.out &&
	cmp reports/summary.txt <(sed -n "/^profile /,\$p" night.out) &&
	jq -e ".total == 3 and .good == 1 and (.images | map(.exit_code)) == [0, 7, 1]" reports/summary.json &&
	jq -e ".images[2].detail | test(\"never ran\")" reports/summary.json
'

test_expect_success 'the night'"'"'s JUnit: a pass, a failure in the pin step, a task that never ran' '
	X=reports/nightly.xml &&
	xmllint --noout "$X" &&
	test "$(xmllint --xpath "count(/testsuites/testsuite)" "$X")" = 3 &&
	test "$(xmllint --xpath "count(//testsuite[@name=\"kpin repair a-compute\"]//failure)" "$X")" = 0 &&
	test "$(xmllint --xpath "count(//testsuite[@name=\"kpin repair b-controller\"]/testcase[@name=\"pin\"]/failure)" "$X")" = 1 &&
	xmllint --xpath "string(//testsuite[@name=\"kpin repair c-login\"]//failure/@message)" "$X" | grep -q "never ran"
'

test_expect_success 'each task ran in Slurm with its own log; the images are as they were' '
	array=$(cat array) &&
	grep -q "a-compute: exit 0 after" "reports/slurm-${array}_0.out" &&
	grep -q "b-controller: exit 7 after" "reports/slurm-${array}_1.out" &&
	test ! -e "reports/slurm-${array}_2.out" &&
	test -s reports/a-compute.json && test -s reports/b-controller.json && test ! -e reports/c-login.json &&
	test "$(checksum a-compute.qcow2; checksum b-controller.qcow2)" = "$sums"
'

test_expect_success 'usage: --slurm runs every profile, --index is one task'"'"'s' '
	rc=0 && "$NIGHTLY" --slurm --index 0 -p profiles -r r2 --kpin "$KPIN_BIN" >/dev/null 2>err || rc=$? &&
	test "$rc" = 2 && grep -q "index is for one task" err &&
	rc=0 && "$NIGHTLY" --slurm --cpus-per-task many -p profiles -r r2 --kpin "$KPIN_BIN" >/dev/null 2>err || rc=$? &&
	test "$rc" = 2 && grep -q "positive number" err
'

test_expect_success 'the daemons stop by their PIDs and nothing of the night is left running' '
	test "$(echo $SLURM_PIDS | wc -w)" = 3 &&
	slurm_down &&
	for p in $SLURM_PIDS; do ! slurm_alive "$p" || exit 1; done &&
	! pgrep -f "$TRASH/slurm" && ! pgrep -f "repair --profile $TRASH" && ! pgrep -f "$TRASH/.*qcow2"
'

test_done
