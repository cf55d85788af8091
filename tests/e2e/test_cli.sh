#!/usr/bin/env bash
# The command line: `baton validate` accepts every bundled sample and
# rejects broken runbooks with file:line:column and a sentence saying what
# is wrong; `baton test` exit codes (0 succeeded, 1 failed, 2 invalid
# input), JSON output, and Ctrl-C during a long child process.
source "$(dirname "$0")/lib.sh"

BAD=$E2E_DIR/bad

# ---- validate: every sample is valid ---------------------------------------
samples=("$SRC"/examples/*.runbook.yaml)
if [[ ${#samples[@]} -ge 9 && -f ${samples[0]} ]]; then
    pass "at least nine samples (${#samples[@]})"
else
    fail "at least nine samples" "found ${#samples[@]} in $SRC/examples"
fi
for f in "${samples[@]}"; do
    run_baton "$SCRATCH/v" validate "$f"
    if [[ $RC -eq 0 ]] && grep -q "ok (" "$SCRATCH/v.out" && [[ ! -s $SCRATCH/v.err ]]; then
        pass "validate $(basename "$f")"
    else
        fail "validate $(basename "$f")" "exit $RC" "$(head -5 "$SCRATCH/v.err")"
    fi
done

# ---- validate: broken runbooks ---------------------------------------------
# expect_invalid FILE REGEX [WHERE]: exit 2, nothing on stdout, and a
# stderr line "FILE:LINE:COLUMN: ..." matching REGEX. WHERE is "L:C" for an
# exact place, "any" (the default) for any place, or "file" for problems
# with the file as a whole (its size), which may have no place.
expect_invalid() {
    local file=$1 re=$2 where=${3:-any} name prefix
    name="rejects $(basename "$file")${3:+ at $3}: $re"
    run_baton "$SCRATCH/bad" validate "$file"
    prefix=$(printf '%s' "$file" | sed 's/[][\.*^$+?(){}|/]/\\&/g')
    case $where in
    any) prefix="$prefix:[0-9]+:[0-9]+: " ;;
    file) prefix="$prefix(:[0-9]+:[0-9]+)?: " ;;
    *) prefix="$prefix:$where: " ;;
    esac
    if [[ $RC -ne 2 ]]; then
        fail "$name" "exit $RC, expected 2" "$(head -3 "$SCRATCH/bad.err")"
    elif [[ -s $SCRATCH/bad.out ]]; then
        fail "$name" "unexpected stdout: $(head -3 "$SCRATCH/bad.out")"
    elif ! grep -Eq "^$prefix.*$re" "$SCRATCH/bad.err"; then
        fail "$name" "no line like '$prefix.*$re' in stderr:" "$(head -5 "$SCRATCH/bad.err" | cut -c1-300)"
    else
        pass "$name"
    fi
}

expect_invalid "$BAD/unknown-type.runbook.yaml" "unknown activity type 'return-dta'; did you mean 'return-data'\?" 7:11
expect_invalid "$BAD/missing-link-target.runbook.yaml" "no activity named 'cleanup'" 13:9
expect_invalid "$BAD/cycle.runbook.yaml" "cycle without a loop guard: a -> b -> a; add loop_guard" any
expect_invalid "$BAD/unpublished-field.runbook.yaml" "reference \{start\.hostname\}: activity 'start' \(initialize-data\) does not publish 'hostname'" 13:16
expect_invalid "$BAD/bad-condition.runbook.yaml" "condition '\{start\.mode\} === fast'" 11:27
expect_invalid "$BAD/bad-default-type.runbook.yaml" "parameter 'days': default 'ten' is not an integer" 6:14
expect_invalid "$BAD/unknown-fields.runbook.yaml" "unknown field 'descripton'; did you mean 'description'\?" 3:1
expect_invalid "$BAD/unknown-fields.runbook.yaml" "unknown field 'timout'; did you mean 'timeout'\?" 7:5
expect_invalid "$BAD/unknown-fields.runbook.yaml" "unknown field 'condition'" 12:29
expect_invalid "$BAD/empty.runbook.yaml" "the file is empty" 1:1
expect_invalid "$BAD/json-error.runbook.json" "no activity named 'finish'" 8:29
expect_invalid "$BAD/binary-junk.runbook.yaml" "the file contains a NUL byte \(offset 7\); a runbook must be UTF-8 text" 1:8
expect_invalid "$BAD/deep-nesting.runbook.yaml" "nested more than [0-9]+ levels deep" any

# Big inputs are made here rather than kept in the tree.
big=$SCRATCH/big-string.runbook.yaml
python3 - "$big" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name: Ten megabyte string\nactivities:\n  - id: start\n"
            "    type: initialize-data\n    description: \"")
    f.write("x" * (10 << 20))
    f.write("\"\n")
PY
expect_invalid "$big" "over the limit of [0-9]+ bytes" file
# A 2 MB string fits in the file but not in one value: that one has a place.
big2=$SCRATCH/long-value.runbook.yaml
python3 - "$big2" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("name: Two megabyte value\nactivities:\n  - id: start\n"
            "    type: initialize-data\n  - id: done\n    type: return-data\n"
            "    properties:\n      note: \"")
    f.write("y" * (2 << 20))
    f.write("\"\nlinks:\n  - {from: start, to: done}\n")
PY
expect_invalid "$big2" "a text value of 2097152 bytes is over the limit of [0-9]+ bytes" 8:13

# Several files at once: every problem is reported, and one bad file is
# enough for exit 2.
run_baton "$SCRATCH/multi" validate "${samples[0]}" "$BAD/unknown-type.runbook.yaml" "$BAD/missing-link-target.runbook.yaml"
if [[ $RC -eq 2 ]] && grep -q "return-dta" "$SCRATCH/multi.err" && grep -q "cleanup" "$SCRATCH/multi.err" &&
    grep -q "ok (" "$SCRATCH/multi.out"; then
    pass "validate reports every file"
else
    fail "validate reports every file" "exit $RC" "$(cat "$SCRATCH/multi.err")"
fi
run_baton "$SCRATCH/nofile" validate "$SCRATCH/does-not-exist.runbook.yaml"
if [[ $RC -eq 2 ]] && grep -q "does-not-exist.runbook.yaml" "$SCRATCH/nofile.err"; then
    pass "validate: missing file"
else
    fail "validate: missing file" "exit $RC" "$(cat "$SCRATCH/nofile.err")"
fi

# ---- baton test: exit codes ---------------------------------------------------
T=$(fresh_dir cli)
cat >"$T/greet.runbook.yaml" <<'YAML'
name: Greet
parameters:
  - {name: who, required: true}
  - {name: times, type: integer, default: 1}
returns: [greeting]
activities:
  - {id: start, type: initialize-data}
  - id: say
    type: run-program
    properties:
      command: "echo hello {start.who}"
  - {id: done, type: return-data, properties: {greeting: "{say.stdout}"}}
links:
  - {from: start, to: say}
  - {from: say, to: done}
YAML
cat >"$T/fails.runbook.yaml" <<'YAML'
name: Fails
activities:
  - id: check
    type: run-program
    properties:
      command: "sh -c 'echo disk full >&2; exit 3'"
  - {id: never, type: return-data, properties: {status: ok}}
links:
  - {from: check, to: never}
YAML
cat >"$T/sleeps.runbook.yaml" <<'YAML'
name: Sleeps
parameters:
  - {name: pidfile, required: true}
activities:
  - {id: start, type: initialize-data}
  - id: wait
    type: run-program
    properties:
      # The shell writes its pid and becomes sleep, so sleep is baton's own
      # child: baton must have reaped it by the time it exits.
      command: "echo $$ > {start.pidfile}; exec sleep 30"
links:
  - {from: start, to: wait}
YAML

# expect_exit NAME CODE ARGS...
expect_exit() {
    local name=$1 want=$2
    shift 2
    run_baton "$SCRATCH/t" "$@"
    if [[ $RC -eq $want ]]; then
        pass "$name"
    else
        fail "$name" "exit $RC, expected $want" "$(head -5 "$SCRATCH/t.err")"
    fi
}

expect_exit "test: success exits 0" 0 test "$T/greet.runbook.yaml" --param who=ops
grep -q "hello ops" "$SCRATCH/t.out" && pass "test: text output shows published data" ||
    fail "test: text output shows published data" "$(head -20 "$SCRATCH/t.out")"
expect_exit "test: missing required parameter exits 2" 2 test "$T/greet.runbook.yaml"
grep -q "parameter 'who' is required" "$SCRATCH/t.err" && pass "test: says which parameter is missing" ||
    fail "test: says which parameter is missing" "$(cat "$SCRATCH/t.err")"
expect_exit "test: badly typed parameter exits 2" 2 test "$T/greet.runbook.yaml" --param who=ops --param times=many
grep -q "parameter 'times' must be of type integer, got 'many'" "$SCRATCH/t.err" && pass "test: says why the parameter is bad" ||
    fail "test: says why the parameter is bad" "$(cat "$SCRATCH/t.err")"
expect_exit "test: unknown parameter exits 2" 2 test "$T/greet.runbook.yaml" --param who=ops --param colour=red
expect_exit "test: invalid file exits 2" 2 test "$BAD/missing-link-target.runbook.yaml"
grep -Eq "missing-link-target.runbook.yaml:[0-9]+:[0-9]+: .*cleanup" "$SCRATCH/t.err" &&
    pass "test: invalid file reports the place" || fail "test: invalid file reports the place" "$(cat "$SCRATCH/t.err")"
expect_exit "test: missing file exits 2" 2 test "$T/nope.runbook.yaml"
expect_exit "test: no file is a usage error" 2 test
expect_exit "test: failing runbook exits 1" 1 test "$T/fails.runbook.yaml"

# ---- baton test --json --------------------------------------------------------
run_baton "$SCRATCH/j" test "$T/greet.runbook.yaml" --param who=ops --json
[[ $RC -eq 0 ]] && pass "test --json: exit 0" || fail "test --json: exit 0" "exit $RC"
check_json "test --json: document for a success" "$SCRATCH/j.out" <<'PY'
assert doc["runbook"] == "Greet"
assert doc["result"] == "success" and doc["canceled"] is False
assert doc["parameters"] == {"who": "ops", "times": "1"}, doc["parameters"]
assert [a["id"] for a in acts] == ["start", "say", "done"], [a["id"] for a in acts]
assert [a["seq"] for a in acts] == [1, 2, 3]
assert recs("say")[0]["parent_seq"] == 1 and recs("done")[0]["parent_seq"] == 2
assert field("say", "stdout") == "hello ops"
assert field("say", "exit_code") == "0"
assert field("say", "status") == "success"
assert ret == {"greeting": "hello ops"}, ret
for a in acts:
    assert a["error"] is None and a["duration_ms"] >= 0
    assert a["start_time"] <= a["end_time"]
PY
run_baton "$SCRATCH/jf" test "$T/fails.runbook.yaml" --json
[[ $RC -eq 1 ]] && pass "test --json: failing exit 1" || fail "test --json: failing exit 1" "exit $RC"
check_json "test --json: document for a failure" "$SCRATCH/jf.out" <<'PY'
assert doc["result"] == "failed" and doc["canceled"] is False
assert results("check") == ["failed"]
assert "3" in recs("check")[0]["error"], recs("check")[0]["error"]
assert field("check", "exit_code") == "3"
assert field("check", "stderr") == "disk full"
assert recs("never") == [], "a success link fired after a failure"
assert ret == {}
PY

# ---- Ctrl-C ---------------------------------------------------------------------
# SIGINT while a child sleeps 30 s: baton cancels, kills the child and exits
# 1 long before the sleep would have ended. The check waits for the child's
# pid file rather than for a fixed time, so it does not depend on timing.
msg=$(python3 - "$BATON" "$T/sleeps.runbook.yaml" "$T/sleep.pid" "$T/sigint.json" <<'PY' 2>&1
import json, os, signal, subprocess, sys, time
baton, rb, pidfile, out = sys.argv[1:]
t0 = time.monotonic()
with open(out, "w") as o:
    p = subprocess.Popen([baton, "test", rb, "--param", "pidfile=" + pidfile,
                          "--json"], stdout=o, stderr=subprocess.PIPE)
    while not (os.path.exists(pidfile) and open(pidfile).read().strip()):
        if p.poll() is not None:
            sys.exit("baton exited (%d) before the child started: %s"
                     % (p.returncode, p.stderr.read().decode()))
        if time.monotonic() - t0 > 20:
            p.kill()
            sys.exit("the child never wrote its pid file")
        time.sleep(0.02)
    child = int(open(pidfile).read())
    p.send_signal(signal.SIGINT)
    try:
        rc = p.wait(timeout=25)
    except subprocess.TimeoutExpired:
        p.kill()
        sys.exit("baton still running 25 s after SIGINT")
elapsed = time.monotonic() - t0
if rc != 1:
    sys.exit("exit %d, expected 1" % rc)
if elapsed >= 25:
    sys.exit("took %.1f s" % elapsed)
try:
    os.kill(child, 0)
    state = open("/proc/%d/stat" % child).read().split()[2]
    sys.exit("sleep (pid %d) is still there, state %s" % (child, state))
except ProcessLookupError:
    pass
doc = json.load(open(out))
if doc["result"] != "failed" or doc["canceled"] is not True:
    sys.exit("result %s canceled %s" % (doc["result"], doc["canceled"]))
w = [a for a in doc["activities"] if a["id"] == "wait"]
if not w or w[0]["result"] != "failed":
    sys.exit("the run-program record is missing or not failed: %s" % w)
PY
) && pass "test: SIGINT cancels, kills the child, exits 1" || fail "test: SIGINT cancels, kills the child, exits 1" "$msg"

finish
