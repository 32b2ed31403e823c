#!/bin/bash
# contrib/kpin-nightly: every profile's image, two at a time; one JUnit file
# and a summary table for the night; exit 1 when any image failed, and the
# failed ones untouched; a profile with [forecast] has its verdict in the row;
# the night as one static page.
. "$(dirname "$0")/lib.sh"

REPAIRED=$(repaired_trixie) || exit 1
PKGDIR=$(fixture pkgdir-6.1) || exit 1
NIGHTLY=$ROOT/contrib/kpin-nightly
mkdir profiles reports
for n in a-compute b-controller; do
	cp "$REPAIRED" "$n.qcow2" && chmod u+w "$n.qcow2"
	{ sed "s/^name = .*/name = $n/" "$ROOT/images/demo.conf"; printf '[image]\npath = %s\n' "$TRASH/$n.qcow2"; } \
		>"profiles/$n.conf"
done
# the controller's profile also asks whether the pin can be lifted
printf '[forecast]\nkernel = 6.12\n' >>profiles/b-controller.conf
head -c 1048576 /dev/urandom >c-broken.qcow2
printf '[image]\npath = %s\n[kernel]\nseries = 6.1\n' "$TRASH/c-broken.qcow2" >profiles/c-broken.conf
printf '[kernel]\nseries = 6.1\nflavor = cloud-amd64\n' >profiles/d-typo.conf
sums=$(checksum a-compute.qcow2; checksum c-broken.qcow2)
stamp=$(stat -c "%i %Y" a-compute.qcow2 b-controller.qcow2)

# the night, with the number of kpin runs seen at once
max=0
"$NIGHTLY" -j 2 -p profiles -r reports --kpin "$KPIN_BIN" -- --packages "$PKGDIR" --no-boot-test \
	>nightly.out 2>nightly.err &
pid=$!
while kill -0 $pid 2>/dev/null; do
	# kpin runs, not their forks (libguestfs, qemu-img) before they exec
	n=$(ps -eo pid=,ppid=,args= | awk '/[r]epair --profile profiles\//{p[$1] = $2}
		END {c = 0; for (i in p) if (!(p[i] in p)) c++; print c}')
	[ "$n" -gt "$max" ] && max=$n
	sleep 0.2
done
rc=0
wait $pid || rc=$?

test_expect_success 'the night fails as a whole (exit 1) when one image failed' '
	test "$rc" = 1 || { cat nightly.out nightly.err; exit 1; } &&
	test "$(tail -n 1 nightly.out)" = "2 of 4 images good; reports in reports, JUnit in reports/nightly.xml"
'

test_expect_success 'two images were repaired at once (-j 2), never more' '

	test "$max" = 2 || { echo "at most $max at once"; exit 1; }
'

test_expect_success 'the summary table: one row per profile with its result' '
	grep -qE "^a-compute +unchanged +6\.1\.0-[0-9]+-cloud-amd64 +[0-9]+s +nothing to do$" nightly.out &&
	grep -qE "^b-controller +unchanged +6\.1\.0-[0-9]+-cloud-amd64 +[0-9]+s +nothing to do; forecast: pin still needed: kpin-canary 1\.0 fails on 6\.12\..*asm/unaligned\.h" nightly.out &&
	grep -qE "^c-broken +FAILED\(4\) +- +[0-9]+s +open: kpin: .*c-broken.qcow2: not a disk image" nightly.out &&
	grep -qE "^d-typo +FAILED\(2\) +- +[0-9]+s +kpin: profiles/d-typo.conf:3: unknown key .flavor. in \[kernel\]$" nightly.out &&
	cmp reports/summary.txt <(sed -n "/^profile /,\$p" nightly.out)
'

test_expect_success 'summary.json: the same night for a dashboard' '
	J=reports/summary.json &&
	jq -e ".total == 4 and .good == 2 and (.images | map(.profile)) == [\"a-compute\", \"b-controller\", \"c-broken\", \"d-typo\"]" "$J" &&
	jq -e ".images[0] | .result == \"unchanged\" and .exit_code == 0 and (.kernel | startswith(\"6.1.0-\")) and .seconds > 0" "$J" &&
	jq -e ".images[0] | .detail == \"nothing to do\" and .roll == null and .forecast == null" "$J" &&
	jq -e ".images[1].forecast | .series == \"6.12\" and .lifted == false and (.kernel | startswith(\"6.12.\")) and (.verdict | length == 1)" "$J" &&
	jq -e ".images[2] | .exit_code == 4 and (.detail | test(\"not a disk image\"))" "$J" &&
	jq -e ".images[3].exit_code == 2" "$J"
'

test_expect_success 'one JUnit file for the night: a suite per image, the failures in it' '
	X=reports/nightly.xml &&
	xmllint --noout "$X" &&
	test "$(xmllint --xpath "count(/testsuites/testsuite)" "$X")" = 4 &&
	test "$(xmllint --xpath "count(//testsuite[@name=\"kpin repair a-compute\"]//failure)" "$X")" = 0 &&
	test "$(xmllint --xpath "count(//testsuite[@name=\"kpin repair c-broken\"]/testcase[@name=\"open\"]/failure)" "$X")" = 1 &&
	test "$(xmllint --xpath "count(//testsuite[@name=\"kpin repair c-broken\"]//skipped)" "$X")" = 3 &&
	xmllint --xpath "string(//testsuite[@name=\"kpin repair d-typo\"]//failure/@message)" "$X" | grep -q "unknown key .flavor."
'

test_expect_success 'the night on one page: a row per image, its result and forecast, no scripts' '
	H=reports/night.html &&
	xmllint --html --noout "$H" &&
	test "$(xmllint --html --xpath "count(//tbody/tr)" "$H")" = 4 &&
	test "$(xmllint --html --xpath "count(//script)" "$H")" = 0 &&
	xmllint --html --xpath "string(//tr[@id=\"a-compute\"]/td[1]/@class)" "$H" | grep -qx ok &&
	xmllint --html --xpath "string(//tr[@id=\"c-broken\"]/td[1]/@class)" "$H" | grep -qx fail &&
	xmllint --html --xpath "string(//tr[@id=\"b-controller\"]/td[6])" "$H" |
		grep -q "pin still needed: kpin-canary 1.0 fails on 6.12" &&
	xmllint --html --xpath "string(//tr[@id=\"b-controller\"]//table/tr[2]/td[3])" "$H" | grep -qx failed &&
	xmllint --html --xpath "string(//tr[@id=\"a-compute\"]//a[text()=\"log\"]/@href)" "$H" | grep -qx a-compute.log
'

test_expect_success 'per image: its JSON report and log; failed and unchanged images untouched' '
	jq -e ".ok and (.changed | not)" reports/a-compute.json &&
	jq -e ".ok == false and .error.exit_code == 4 and .failed_step == \"open\"" reports/c-broken.json &&
	test -s reports/d-typo.log &&
	test "$(checksum a-compute.qcow2; checksum c-broken.qcow2)" = "$sums" &&
	test "$(stat -c "%i %Y" a-compute.qcow2 b-controller.qcow2)" = "$stamp"
'

test_expect_success '--index picks one profile, as a Slurm array task does; usage errors exit 2' '
	rc=0 && "$NIGHTLY" --index 2 -p profiles -r idx --kpin "$KPIN_BIN" >idx.out 2>&1 || rc=$? &&
	test "$rc" = 1 && test "$(xmllint --xpath "count(/testsuites/testsuite)" idx/nightly.xml)" = 1 &&
	grep -q "^c-broken " idx.out && ! grep -q "^a-compute " idx.out &&
	rc=0 && "$NIGHTLY" -j 0 -p profiles >/dev/null 2>err || rc=$? && test "$rc" = 2 && grep -q "positive number" err &&
	rc=0 && "$NIGHTLY" --index 9 -p profiles -r idx --kpin "$KPIN_BIN" >/dev/null 2>err || rc=$? && test "$rc" = 2 && grep -q "only 4 profiles" err &&
	rc=0 && "$NIGHTLY" -p nowhere >/dev/null 2>err || rc=$? && test "$rc" = 2 && grep -q "nowhere: no such profile directory" err
'

test_done
