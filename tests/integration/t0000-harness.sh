#!/bin/bash
# The harness itself: a test fails when any command in its body fails, a
# body whose && chain is broken is refused, a missing prerequisite is a
# skip with its reason, and every body of every script is linted.
. "$(dirname "$0")/lib.sh"

# run_script NAME BODY...: a script of test_expect_success blocks, run as
# the real ones are; its TAP output in NAME.out, its exit code in NAME.rc
run_script() {
	local name=$1
	shift
	{
		printf '. "%s/tests/integration/lib.sh"\n' "$ROOT"
		printf '%s\n' "$@"
		printf 'test_done\n'
	} >"$name.sh"
	rc=0
	bash "$name.sh" >"$name.out" 2>&1 || rc=$?
	echo "$rc" >"$name.rc"
}

test_expect_success 'a failing command in the middle of a body fails the test' '
	run_script semicolon "test_expect_success \"false then true\" \"false; true\"" &&
	grep -q "^not ok 1 - false then true$" semicolon.out &&
	test "$(cat semicolon.rc)" = 1
'

test_expect_success 'a failure inside a function the body calls fails the test' '
	run_script func "f() { false; true; }" "test_expect_success \"in a function\" \"f\"" &&
	grep -q "^not ok 1 - in a function$" func.out
'

test_expect_success 'a body whose && chain is broken is refused before it runs' '
	run_script chain "test_expect_success \"broken\" \"
	touch ran &&
	false
	true
\"" &&
	grep -q "^not ok 1 - broken$" chain.out &&
	grep -q "broken && chain: false" chain.out &&
	test ! -e ran
'

test_expect_success 'a passing body passes, output and all' '
	run_script good "test_expect_success \"fine\" \"
	echo \\\"a
b\\\" >f &&
	for i in 1 2; do
		test -s f &&
		true
	done &&
	{ echo x; } >/dev/null # a comment
\"" &&
	grep -q "^ok 1 - fine$" good.out &&
	test "$(cat good.rc)" = 0
'

test_expect_success 'the body sees the script'"'"'s variables, even ones named like the harness'"'"'s own' '
	run_script vars "rc=7 title=t body=b prereq=p" "test_expect_success \"vars\" \"test \\\$rc\\\$title\\\$body\\\$prereq = 7tbp\"" &&
	grep -q "^ok 1 - vars$" vars.out
'

test_expect_success 'a missing prerequisite is a skip with its reason, not a pass' '
	run_script prereq "test_lazy_prereq HAVE_WARP \"echo no warp drive here; false\"" \
		"test_expect_success HAVE_WARP \"needs it\" \"false\"" \
		"test_set_prereq HERE" "test_expect_success HERE \"has it\" \"true\"" &&
	grep -q "^ok 1 # skip needs it (missing HAVE_WARP: no warp drive here)$" prereq.out &&
	grep -q "^ok 2 - has it$" prereq.out &&
	grep -q "1 passed, 0 failed, 1 skipped" prereq.out
'

test_expect_success 'prerequisites combine (A,B) and negate (!A), as in git'"'"'s t/' '
	run_script combine "test_set_prereq HERE" "test_lazy_prereq GONE \"echo not here; false\"" \
		"test_expect_success !GONE \"where GONE is missing\" \"true\"" \
		"test_expect_success !HERE \"where HERE is missing\" \"false\"" \
		"test_expect_success HERE,!GONE \"both hold\" \"true\"" \
		"test_expect_success HERE,GONE \"one does not\" \"false\"" &&
	grep -q "^ok 1 - where GONE is missing$" combine.out &&
	grep -q "^ok 2 # skip where HERE is missing (missing !HERE: HERE holds here)$" combine.out &&
	grep -q "^ok 3 - both hold$" combine.out &&
	grep -q "^ok 4 # skip one does not (missing GONE: not here)$" combine.out &&
	grep -q "2 passed, 0 failed, 2 skipped" combine.out
'

test_expect_success 'test_when_finished runs after a passing and a failing body, and its failure counts' '
	run_script finished \
		"test_expect_success \"passes\" \"test_when_finished \\\"touch $PWD/after-pass\\\" && true\"" \
		"test_expect_success \"fails\" \"test_when_finished \\\"touch $PWD/after-fail\\\" && false\"" \
		"test_expect_success \"cleanup fails\" \"test_when_finished false && true\"" &&
	grep -q "^ok 1 - passes$" finished.out &&
	grep -q "^not ok 2 - fails$" finished.out &&
	grep -q "^not ok 3 - cleanup fails$" finished.out &&
	test -e after-pass && test -e after-fail
'

test_expect_success 'golden files are never blessed where CI is set' '
	mkdir -p golden-ci && echo "{\"a\": 1}" >golden-ci/r.json &&
	run_script golden "test_expect_success \"bless\" \"test_golden nonexistent-golden $PWD/golden-ci/r.json\"" &&
	grep -q "^not ok 1 - bless$" golden.out &&
	CI=true KPIN_GOLDEN_UPDATE=1 run_script golden2 "test_expect_success \"bless\" \"test_golden nonexistent-golden $PWD/golden-ci/r.json\"" &&
	grep -q "^not ok 1 - bless$" golden2.out &&
	grep -q "KPIN_GOLDEN_UPDATE is refused where CI is set" golden2.out &&
	test ! -e "$ROOT/tests/integration/golden/nonexistent-golden.json"
'

# every test_expect_success block of every script, evaluated with a
# test_expect_success that only lints (the bodies do not run)
test_expect_success 'every body of every script has an unbroken && chain' '
	for t in "$ROOT"/tests/integration/t[0-9]*.sh; do
		awk "/^[ \t]*test_expect_success .*\x27\$/ {on = 1} on {print} on && /^\x27\$/ {on = 0; print \"\"}" "$t" >blocks &&
		(
			set +u &&
			test_expect_success() { [ $# = 3 ] && shift; test_chain_lint "$2" || { echo "$t: $1"; exit 1; }; } &&
			. ./blocks
		) ||
		exit 1
	done
'

test_done
