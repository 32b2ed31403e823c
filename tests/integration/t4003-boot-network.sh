#!/bin/bash
# boot-test's network: the VM has one NIC on a private segment of its own (a
# vde_switch on a unix socket, kpin's child; nothing on the host's IP
# stack), its address given in the form the image takes it (cloud-init's
# seed, or systemd-networkd's file as a credential), so wait-online and
# cloud-init's network stage come up as on a node. Units that still fail
# only for want of the network's servers are warnings with their reason;
# every other failed unit fails the boot. Nothing outlives kpin, not even
# after kill -9. The cloud-layout image comes up with its network through
# each firmware: BIOS in the shared repair, UEFI here, Secure Boot in t4002.
. "$(dirname "$0")/lib.sh"

PINNED=$(pinned_trixie) || exit 1
BOOKWORM=$(fixture bookworm) || exit 1
mkdir tmp
export TMPDIR=$TRASH/tmp # the overlays, sockets and switches of these runs

test_expect_success 'the shared repair (BIOS): wait-online and cloud-init came up on the private segment' '
	r=$SHARED/repaired-trixie.json &&
	jq -e ".boot_test.ok and .boot_test.network.segment == \"private\" and .boot_test.network.configured_by == \"cloud-init seed\"" "$r" &&
	jq -e ".boot_test.network.mac | test(\"^52:54:00(:[0-9a-f]{2}){3}$\")" "$r" &&
	jq -e ".boot_test.network.address == \"10.213.0.10/24\" and (.boot_test.network.guest_addresses | test(\"=10\\\\.213\\\\.0\\\\.10/24\"))" "$r" &&
	jq -e ".boot_test.probe | index(\"wait-online=systemd-networkd-wait-online.service active\") and index(\"network-online=active\")" "$r" &&
	jq -e ".boot_test.unit_warnings == [] and .boot_test.cloud_init == \"done\"" "$r"
'

# One appliance makes both images: a wait-online that fails within seconds
# (it waits for an interface the VM does not have) and an NFS mount of a
# server that is not there (_netdev, as compute images mount their shared
# filesystem); the second also has a unit that fails for a reason of its
# own, and no cloud-init (its address comes as a systemd-networkd credential).
test_expect_success 'images whose network units fail for want of their servers' '
	cp "$PINNED" netonly.qcow2 && chmod u+w netonly.qcow2 &&
	guestfish -a netonly.qcow2 -m /dev/sda1 <<-EOF &&
	mkdir-p /etc/systemd/system/systemd-networkd-wait-online.service.d
	write /etc/systemd/system/systemd-networkd-wait-online.service.d/kpin-test.conf "[Service]\nExecStart=\nExecStart=/usr/lib/systemd/systemd-networkd-wait-online --timeout=3 --interface=kpintest0\n"
	mkdir-p /mnt/shared
	write-append /etc/fstab "192.0.2.1:/srv/shared\t/mnt/shared\tnfs4\t_netdev,x-systemd.mount-timeout=10s\t0\t0\n"
	EOF
	cp netonly.qcow2 broken.qcow2 &&
	guestfish -a broken.qcow2 -m /dev/sda1 <<-EOF
	write /etc/systemd/system/kpin-broken.service "[Unit]\nDescription=a site service that fails on its own\n[Service]\nType=oneshot\nExecStart=/bin/false\n[Install]\nWantedBy=multi-user.target\n"
	ln-sf /etc/systemd/system/kpin-broken.service /etc/systemd/system/multi-user.target.wants/kpin-broken.service
	command "dpkg --purge cloud-init"
	EOF
'

test_expect_success 'network-only failures (UEFI): PASS, each a warning with its reason, one line says why' '
	run_kpin boot-test netonly.qcow2 --firmware uefi --expect-module canary --report report.json --junit netonly.xml &&
	test_must_be 0 &&
	jq -e ".ok and .firmware == \"uefi\" and ([.checks[] | select(.passed | not)] == [])" report.json &&
	jq -e "[.unit_warnings[].unit] | sort == [\"mnt-shared.mount\", \"systemd-networkd-wait-online.service\"]" report.json &&
	jq -e ".unit_warnings[] | select(.unit == \"mnt-shared.mount\") | .reason == \"network filesystem nfs4 192.0.2.1:/srv/shared: needs its server: see the cluster test\"" report.json &&
	jq -e ".unit_warnings[] | select(.unit == \"systemd-networkd-wait-online.service\") | (.reason | startswith(\"waits for the network to be online\")) and (.counted | not)" report.json &&
	jq -e ".network.configured_by == \"cloud-init seed\" and (.network.guest_addresses | test(\"=10\\\\.213\\\\.0\\\\.10/24\"))" report.json &&
	grep -qx "  warning: mnt-shared.mount: network filesystem nfs4 192.0.2.1:/srv/shared: needs its server: see the cluster test" out &&
	grep -q "^  passed: 2 failed units only for want of the network.s servers" out &&
	grep -q "^boot-test .*: PASS" out &&
	test "$(xmllint --xpath "count(//testcase/skipped)" netonly.xml)" = 2 &&
	test "$(xmllint --xpath "string(//testsuite/@failures)" netonly.xml)" = 0 &&
	xmllint --xpath "string(//testcase[starts-with(@name, \"mnt-shared.mount: \")]/skipped/@message)" netonly.xml |
		grep -q "see the cluster test" &&
	test_no_vm_left
'

test_expect_success 'a unit that fails on its own: FAIL naming it, exit 10, the warnings still there' '
	run_kpin boot-test broken.qcow2 --report report.json &&
	test_must_be 10 &&
	test_one_line_error "broken.qcow2: boot test failed: failed units: kpin-broken.service" &&
	! grep -v "^kpin: warning" err | grep -q "mnt-shared.mount" &&
	jq -e ".checks[] | select(.name == \"no failed units\") | (.passed | not) and .message == \"failed units: kpin-broken.service\"" report.json &&
	jq -e "[.unit_warnings[].unit] | sort == [\"mnt-shared.mount\", \"systemd-networkd-wait-online.service\"]" report.json &&
	jq -e ".cloud_init == null and .network.configured_by == \"systemd credential\"" report.json &&
	jq -e ".network.guest_addresses | test(\"=10\\\\.213\\\\.0\\\\.10/24\")" report.json &&
	grep -q "^  FAIL  no failed units: failed units: kpin-broken.service$" out &&
	grep -q "^  besides: 2 failed units only for want of the network.s servers" out &&
	test_no_vm_left
'

test_expect_success 'kill -9 while the VM boots: QEMU and the switch go with kpin, the next run removes what was left' '
	"$KPIN_BIN" boot-test "$BOOKWORM" >bg.out 2>bg.err &
	pid=$! &&
	test_when_finished "kill -9 $pid 2>/dev/null || :" &&
	for ((i = 0; i < 60; i++)); do pgrep -f "$TRASH/tmp/kpin-boot-$pid-" >/dev/null && break; sleep 1; done &&
	pgrep -f "vde_switch --sock $TRASH/tmp/kpin-net-$pid-" >/dev/null &&
	test_kill9_cleans $pid boot
'

test_done
