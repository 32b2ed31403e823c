#!/bin/bash
# cluster-test: the controller (an NFS server exporting /srv/shared) and two
# computes (repaired by kpin with the canary, mounting controller:/srv/shared
# at /mnt/shared from fstab) boot together on one private segment, each with
# its name, address and /etc/hosts; every node runs its checks and writes a
# file into the share that every other node reads back and checks. The
# passing run is kpin-nightly's: it repairs the compute into a staging
# directory, runs the cluster test on it and promotes the night only then.
# Then what fails: a compute whose fstab names a wrong server, a node that
# hangs, kpin killed with -9.
. "$(dirname "$0")/lib.sh"

CONTROLLER=$(fixture cluster-controller) || exit 1
COMPUTE=$(fixture cluster-compute) || exit 1
PKGDIR=$(fetched_61) || exit 1
NIGHTLY=$ROOT/contrib/kpin-nightly
mkdir tmp profiles images reports checks
export TMPDIR=$TRASH/tmp # the overlays, seeds, sockets and switches of these runs
controller_sum=$(checksum "$CONTROLLER")
compute_sum=$(checksum "$COMPUTE")

# the compute's profile: the demo's (6.1 pinned, held, the canary built, a
# BIOS boot test), on the compute image
sed "s|^name = demo-hpc-compute$|name = compute\npath = $COMPUTE|" "$ROOT/images/demo.conf" >profiles/compute.conf
cat >checks/nfs-mounted.sh <<'EOF'
#!/bin/sh
# the share, mounted by the node itself from its fstab, over NFSv4
findmnt -n -t nfs4 -o SOURCE /mnt/shared | grep -qx controller:/srv/shared
EOF
cat >cluster.conf <<EOF
# the site's addresses, only between the VMs
[cluster]
name = nfs
network = 192.168.195.0/24
timeout = 900

[node controller]
image = $CONTROLLER
address = 192.168.195.10
check = systemctl is-active nfs-server
check = exportfs -v | grep -q /srv/shared
check-file = checks/nfs-mounted.sh

[node compute]
image = compute.qcow2
count = 2
boot-after = controller
expect-kernel = 6.1
expect-module = canary
check = test "\$(hostname)" = "\$(cat /etc/hostname)" && getent hosts controller compute1 compute2
check-file = checks/nfs-mounted.sh

[shared-fs]
path = /mnt/shared
size = 8
min-throughput = 1
EOF

rc=0
# (the boot test alone is t4003's: a compute's NFS mount there is a warning)
"$NIGHTLY" -p profiles -o images -r reports --cluster cluster.conf --kpin "$KPIN_BIN" \
	-- --packages "$PKGDIR" --no-boot-test >night1.out 2>night1.err || rc=$?
C=reports/cluster.json

test_expect_success 'the night: the compute repaired, the cluster test passed, the night promoted' '
	test "$rc" = 0 || { cat night1.out; tail -n 30 night1.err reports/cluster.log; exit 1; } &&
	jq -e ".ok and .changed" reports/compute.json &&
	jq -e ".promoted and .good == 1 and .cluster.result == \"passed\" and .cluster.exit_code == 0" reports/summary.json &&
	grep -q "^cluster  *passed " night1.out &&
	grep -q "the night.s images promoted into images" night1.out &&
	test -e images/compute.qcow2 && test ! -e images/.kpin-nightly-staging
'

test_expect_success 'together, every node came up with its name and address and passed every check' '
	jq -e ".ok and .cluster == \"nfs\" and .network == \"192.168.195.0/24\" and .failed_nodes == 0" $C &&
	jq -e "[.nodes[] | .name + \"=\" + .address] == [\"controller=192.168.195.10/24\", \"compute1=192.168.195.11/24\", \"compute2=192.168.195.12/24\"]" $C &&
	jq -e "[.nodes[] | select(.ok and .stage == \"done\")] | length == 3" $C &&
	jq -e "[.nodes[].checks[] | select(.ok | not)] == []" $C &&
	jq -e "[.nodes[].mac] | unique | length == 3" $C &&
	jq -e "[.nodes[].configured_by] | unique == [\"cloud-init seed\"]" $C &&
	jq -e ".nodes[0].kernel | startswith(\"6.12\")" $C &&
	jq -e "[.nodes[1,2].kernel | startswith(\"6.1.0-\")] == [true, true]" $C &&
	jq -e "[.nodes[1,2].checks[] | select(.name == \"module canary loads\")] | length == 2" $C &&
	jq -e "[.nodes[1,2].checks[] | select(.name == \"no failed units\" and .ok)] | length == 2" $C &&
	jq -e "[.nodes[].checks[] | select(.name == \"nfs-mounted.sh\" and .ok)] | length == 3" $C &&
	jq -e "(.nodes[0].started_seconds + .nodes[0].up_seconds) as \$up | [.nodes[1,2].started_seconds] | min > \$up - 1" $C
'

test_expect_success 'the share: every node wrote 8 MiB, read both others back with the same SHA-256, MB/s reported' '
	jq -e "[.nodes[].shared_fs | select(.mounted and .written and .write_bytes == 8388608 and .write_mbps > 0)] | length == 3" $C &&
	jq -e "[.nodes[].shared_fs.mount] | unique == [\"nfs4 controller:/srv/shared\"]" $C &&
	jq -e "[.nodes[].shared_fs.reads | length] == [2, 2, 2]" $C &&
	jq -e "[.nodes[].shared_fs.reads[] | select(.state == \"ok\" and .bytes == 8388608 and .mbps > 0)] | length == 6" $C &&
	jq -e "[.nodes[] | .name as \$n | .shared_fs.reads[].peer | select(. == \$n)] == []" $C &&
	grep -q "^        /mnt/shared: write [0-9.]* MB/s, read compute1 [0-9.]* MB/s (SHA-256 ok), read compute2" reports/cluster.log
'

test_expect_success 'live lines, the table, JUnit with each console, the serial logs kept' '
	grep -q "^kpin: cluster-test: node controller: up ([0-9]* s)$" reports/cluster.log &&
	grep -q "^kpin: cluster-test: node compute2: check 2/2 passed: nfs-mounted.sh$" reports/cluster.log &&
	grep -q "^compute1  192.168.195.11/24  passed  stage done" reports/cluster.log &&
	grep -q "^  ok    shared-fs /mnt/shared$" reports/cluster.log &&
	test "$(xmllint --xpath "count(//testsuite)" reports/cluster.xml)" = 3 &&
	test "$(xmllint --xpath "sum(//testsuite/@failures)" reports/cluster.xml)" = 0 &&
	xmllint --xpath "string(//testsuite[@name=\"nfs.compute1\"]/system-out)" reports/cluster.xml | grep -q "Linux version 6.1.0-" &&
	xmllint --xpath "count(//testsuite[@name=\"nfs.compute2\"])" reports/nightly.xml | grep -qx 1 &&
	test -s reports/cluster/controller.console.log && test -s reports/cluster/compute2.results.log &&
	! grep -q KPIN-CHECK reports/cluster/compute2.console.log
'

test_expect_success 'the images were never written; nothing outlived the run' '
	test "$(checksum "$CONTROLLER")" = "$controller_sum" &&
	test "$(checksum "$COMPUTE")" = "$compute_sum" &&
	test_no_vm_left
'

test_expect_success 'a night whose repair fails: no cluster test, nothing promoted, last night stays' '
	before=$(checksum images/compute.qcow2) &&
	rc2=0 &&
	{ "$NIGHTLY" -p profiles -o images -r reports --cluster cluster.conf --kpin "$KPIN_BIN" \
		-- --packages "$TRASH/no-such-dir" >night2.out 2>night2.err || rc2=$?; } &&
	test "$rc2" = 1 &&
	jq -e "(.promoted | not) and .cluster.result == \"skipped\"" reports/summary.json &&
	grep -q "^cluster  *skipped .*not run: a repair failed" night2.out &&
	grep -q "nothing promoted: last night.s images stay in images" night2.out &&
	test "$(checksum images/compute.qcow2)" = "$before" &&
	test ! -e images/.kpin-nightly-staging
'

# What fails, in one run: a compute whose fstab names a server that is not
# the cluster's (with a mount timeout of 10 s rather than mount.nfs's two
# minutes of retries, to keep the run short), and a node a unit holds
# before multi-user.target for ever.
test_expect_success 'a wrong server and a hanging node' '
	qemu-img create -q -f qcow2 -b compute.qcow2 -F qcow2 images/badfs.qcow2 &&
	guestfish -a images/badfs.qcow2 -m /dev/sda1 <<-EOF &&
	command "sed -i -e s/^controller:/nfs-wrong:/ -e s/_netdev/_netdev,x-systemd.mount-timeout=10s/ /etc/fstab"
	EOF
	qemu-img create -q -f qcow2 -b compute.qcow2 -F qcow2 images/hang.qcow2 &&
	guestfish -a images/hang.qcow2 -m /dev/sda1 <<-EOF &&
	write /etc/systemd/system/kpin-test-hang.service "[Unit]\nDescription=a site service that never ends\nBefore=multi-user.target\n[Service]\nType=oneshot\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"
	ln-sf /etc/systemd/system/kpin-test-hang.service /etc/systemd/system/multi-user.target.wants/kpin-test-hang.service
	EOF
	cat >fail.conf <<-EOF
	[cluster]
	name = broken
	timeout = 180
	[node badfs]
	image = badfs.qcow2
	expect-module = canary
	check-file = checks/nfs-mounted.sh
	check-timeout = 5
	check = sleep 60
	check = echo still here
	[node hang]
	image = hang.qcow2
	EOF
'

test_expect_success 'each failure named with its node, check and stage; the other node still reported; exit 12' '
	bad_sum=$(checksum images/badfs.qcow2) &&
	run_kpin cluster-test fail.conf --images images --keep-going --report fail.json --junit fail.xml &&
	test_must_be 12 &&
	test_one_line_error "fail.conf: cluster broken: 2 of 2 nodes failed; first: node badfs: no failed units: failed units: mnt-shared.mount" &&
	jq -e "(.ok | not) and .failed_nodes == 2 and .error == null" fail.json &&
	jq -e ".nodes[0] | .name == \"badfs\" and .stage == \"done\"" fail.json &&
	jq -e ".nodes[0].checks[] | select(.name == \"boots\" or .name == \"module canary loads\") | .ok" fail.json &&
	jq -e ".nodes[0].checks[] | select(.name == \"nfs-mounted.sh\") | (.ok | not) and (.message | startswith(\"exit 1 after \"))" fail.json &&
	jq -e ".nodes[0].checks[] | select(.name == \"sleep 60\") | (.ok | not) and .message == \"timed out after 5 s\"" fail.json &&
	jq -e ".nodes[0].checks[] | select(.name == \"echo still here\") | .ok and .output == [\"still here\"]" fail.json &&
	jq -e ".nodes[1] | .name == \"hang\" and .stage == \"userspace\" and (.ok | not)" fail.json &&
	jq -e ".nodes[1].checks[0] | .name == \"boots\" and (.message | test(\"^timed out at stage userspace after [0-9]+ s: the boot never reached the checks. unit\"))" fail.json &&
	grep -q "^  FAIL  sleep 60: timed out after 5 s$" out &&
	grep -q "^hang  10.213.1.11/24  FAILED  stage userspace" out &&
	test "$(xmllint --xpath "count(//testsuite)" fail.xml)" = 2 &&
	test "$(xmllint --xpath "string(//testsuite[@name=\"broken.hang\"]/testcase[@name=\"boots\"]/failure/@message)" fail.xml | cut -c1-26)" = "timed out at stage userspa" &&
	test "$(checksum images/badfs.qcow2)" = "$bad_sum" &&
	test_no_vm_left
'

printf "[node solo]\nimage = %s\n" "$CONTROLLER" >solo.conf
test_expect_success 'kill -9 while the cluster boots: QEMU and the switch go with kpin, the next run removes what was left' '
	"$KPIN_BIN" cluster-test solo.conf >bg.out 2>bg.err &
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null || :" &&
	for ((i = 0; i < 120; i++)); do pgrep -f "$TRASH/tmp/kpin-boot-$pid-" >/dev/null && break; sleep 1; done &&
	qemu=$(pgrep -f "$TRASH/tmp/kpin-boot-$pid-") &&
	tr "\0" "\n" </proc/$qemu/cmdline >qemu.argv &&
	grep -q "^vde,id=net0,sock=$TRASH/tmp/kpin-net-$pid-" qemu.argv &&
	grep -q "^virtserialport,chardev=results,name=org.kpin.results$" qemu.argv &&
	test "$(awk '"'"'p == "-netdev" {print} {p = $0}'"'"' qemu.argv | grep -vc "^vde,")" = 0 &&
	! grep -qE "hostfwd|^-nic$|^user|^tap|^bridge" qemu.argv &&
	pgrep -f "vde_switch --sock $TRASH/tmp/kpin-net-$pid-" >/dev/null &&
	test_kill9_cleans $pid cluster
'

test_expect_success 'bad cluster files: one line naming the file and line, exit 2, nothing started' '
	printf "[cluster]\nnetwork = 10.0.0.1/24\n[node a]\nimage = x\n" >bad1.conf &&
	run_kpin cluster-test bad1.conf &&
	test_must_be 2 &&
	test_one_line_error "bad1.conf:2: network: '"'"'10.0.0.1/24'"'"' is not an IPv4 network a.b.c.d/8..29" &&
	printf "[node a]\nimage = nowhere.qcow2\n" >bad2.conf &&
	run_kpin cluster-test bad2.conf &&
	test_must_be 3 &&
	test_one_line_error "bad2.conf: node a: image nowhere.qcow2: No such file or directory" &&
	printf "[node a]\nimage = %s\ncheck-file = nowhere.sh\n" "$CONTROLLER" >bad3.conf &&
	run_kpin cluster-test bad3.conf &&
	test_must_be 2 &&
	test_one_line_error "bad3.conf: node a: check-file nowhere.sh: No such file or directory" &&
	test_no_vm_left
'

test_done
