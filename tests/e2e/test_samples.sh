#!/usr/bin/env bash
# Runs every sample runbook in examples/ end to end with `baton test --json`
# against fixtures made in a fresh temporary directory, and checks what the
# runbook did: files really deleted, copied, moved and written, the report
# contents, per-activity results and row counts, and the returned data.
source "$(dirname "$0")/lib.sh"

EX=$SRC/examples

# sample NAME FILE ARGS...: baton test --json; output in $OUT, exit in $RC.
sample() {
    local name=$1
    shift
    OUT=$SCRATCH/$name.json
    "$BATON" test "$@" --json >"$OUT" 2>"$SCRATCH/$name.err"
    RC=$?
}
expect_rc() {
    if [[ $RC -eq $2 ]]; then pass "$1: exit $2"; else fail "$1: exit $2" "exit $RC" "$(head -5 "${OUT%.json}.err")" "$(head -c 600 "$OUT")"; fi
}

# ---- disk-cleanup -------------------------------------------------------------
D=$(fresh_dir cleanup)
mkdir -p "$D/cache/sub"
head -c 1000 /dev/zero >"$D/cache/old-a.tmp"
head -c 2500 /dev/zero >"$D/cache/sub/old b.tmp"   # a space in the name
head -c 700 /dev/zero >"$D/cache/old-c.log"
echo new >"$D/cache/new.tmp"
touch -d '10 days ago' "$D/cache/old-a.tmp" "$D/cache/sub/old b.tmp" "$D/cache/old-c.log"
touch -d '2 days ago' "$D/cache/new.tmp"
sample cleanup "$EX/disk-cleanup.runbook.yaml" --param folder="$D/cache" --param days=7 --param pattern='*.tmp'
expect_rc "disk-cleanup" 0
export D
check_json "disk-cleanup: deletes the old *.tmp files, keeps the rest" "$OUT" <<'PY'
import os
D = env["D"] + "/cache"
assert not os.path.exists(D + "/old-a.tmp")
assert not os.path.exists(D + "/sub/old b.tmp")
assert os.path.exists(D + "/old-c.log"), "a file not matching the pattern was deleted"
assert os.path.exists(D + "/new.tmp"), "a recent file was deleted"
assert doc["result"] == "success"
assert results("seed") == [], "demo seeding ran without demo=true"
assert field("survey", "count") == "2" and field("survey", "bytes") == "3500"
assert len(rows("list")) == 2
assert sorted(r["line"] for r in rows("list")) == [D + "/old-a.tmp", D + "/sub/old b.tmp"]
assert results("delete") == ["success", "success"]
assert sorted(r["path"] for r in rows("delete")) == [D + "/old-a.tmp", D + "/sub/old b.tmp"]
assert all(r["deleted"] == "true" for r in rows("delete"))
assert len(recs("settle")) == 1 and len(recs("verify")) == 1, "the junction did not continue exactly once"
assert ret == {"status": "cleaned", "deleted": "2", "freed_bytes": "3500", "remaining": "0"}, ret
assert recs("nothing") == [] and recs("incomplete") == []
PY
# Again: nothing is old enough any more.
sample cleanup2 "$EX/disk-cleanup.runbook.yaml" --param folder="$D/cache" --param days=7 --param pattern='*.tmp'
expect_rc "disk-cleanup again" 0
check_json "disk-cleanup: a second run has nothing to do" "$OUT" <<'PY'
assert ret == {"status": "nothing-to-do", "deleted": "0", "freed_bytes": "0", "remaining": "0"}, ret
assert recs("list") == [] and recs("delete") == []
PY
# A folder that does not exist fails at the survey, before anything else.
sample cleanup3 "$EX/disk-cleanup.runbook.yaml" --param folder="$D/missing"
expect_rc "disk-cleanup on a missing folder" 1
check_json "disk-cleanup: a missing folder fails the survey" "$OUT" <<'PY'
assert results("survey") == ["failed"]
assert "No such file" in field("survey", "stderr"), field("survey", "stderr")
assert recs("list") == [] and ret == {}
PY
# Names with glob characters: delete-file reads * ? [ as a pattern, so the
# runbook escapes them; a fresh report1.log must survive the old report[1].log.
mkdir -p "$D/glob"
touch "$D/glob/report[1].log" "$D/glob/report1.log" "$D/glob/a*b" "$D/glob/ab" "$D/glob/back\\slash"
touch -d '10 days ago' "$D/glob/report[1].log" "$D/glob/a*b" "$D/glob/back\\slash"
sample cleanup5 "$EX/disk-cleanup.runbook.yaml" --param folder="$D/glob" --param days=7
expect_rc "disk-cleanup, glob characters in names" 0
check_json "disk-cleanup: deletes 'report[1].log' and 'a*b', not their look-alikes" "$OUT" <<'PY'
import os
assert sorted(os.listdir(env["D"] + "/glob")) == ["ab", "report1.log"], os.listdir(env["D"] + "/glob")
assert ret["status"] == "cleaned" and ret["deleted"] == "3", ret
PY
# demo=true makes its own files in an empty folder.
sample cleanup4 "$EX/disk-cleanup.runbook.yaml" --param folder="$D/demo" --param days=7 --param demo=true
expect_rc "disk-cleanup demo" 0
check_json "disk-cleanup: demo seeds three old files and deletes them" "$OUT" <<'PY'
import os
assert ret["deleted"] == "3" and ret["freed_bytes"] == "6000", ret
assert sorted(os.listdir(env["D"] + "/demo")) == ["fresh.tmp"]
PY

# ---- log-rotation-check ----------------------------------------------------------
L=$(fresh_dir logs)
mkdir -p "$L/var/nginx"
head -c $((200 * 1024)) /dev/zero >"$L/var/nginx/access.log"
head -c $((120 * 1024)) /dev/zero >"$L/var/app.log"
head -c $((10 * 1024)) /dev/zero >"$L/var/small.log"
head -c $((500 * 1024)) /dev/zero >"$L/var/big.txt"       # not a .log
echo "stale line from a previous run" >"$L/report.txt"
sample logs "$EX/log-rotation-check.runbook.yaml" --param folder="$L/var" --param max_kb=100 --param report="$L/report.txt"
expect_rc "log-rotation-check" 0
export L
check_json "log-rotation-check: reports exactly the big *.log files" "$OUT" <<'PY'
L = env["L"]
big = sorted([L + "/var/nginx/access.log", L + "/var/app.log"])
assert doc["result"] == "success"
assert field("count", "stdout") == "2"
assert sorted(r["line"] for r in rows("list")) == big
assert sorted(r["path"] for r in rows("stat")) == big
sizes = {r["path"]: r["size"] for r in rows("stat")}
assert sizes == {L + "/var/nginx/access.log": str(200 * 1024), L + "/var/app.log": str(120 * 1024)}, sizes
assert results("note") == ["success", "success"]
report = open(L + "/report.txt").read().splitlines()
assert report[0].startswith("# *.log files over 100 KiB under " + L + "/var"), report[0]
assert "stale line" not in "\n".join(report), "the report was not replaced"
body = sorted(report[1:])
assert len(body) == 2, report
for line in body:
    path = line.split(" ")[0]
    assert path in big, line
    assert " %s bytes owner=" % sizes[path] in line and " modified=" in line, line
assert ret["offenders"] == "2" and ret["report"] == L + "/report.txt", ret
assert sorted(ret["files"].split("\n")) == body, ret["files"]
PY
sample logs2 "$EX/log-rotation-check.runbook.yaml" --param folder="$L/var" --param max_kb=1000 --param report="$L/report.txt"
expect_rc "log-rotation-check, high limit" 0
check_json "log-rotation-check: nothing over the limit" "$OUT" <<'PY'
assert ret == {"offenders": "0", "files": "", "report": env["L"] + "/report.txt"}, ret
assert recs("list") == [] and recs("stat") == []
assert len(open(env["L"] + "/report.txt").read().splitlines()) == 1
PY

# ---- service-restart -------------------------------------------------------------
S=$(fresh_dir service)
# A health check that passes on its third try, counting its runs in a file.
health="n=\$(cat '$S/count' 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n > '$S/count'; echo check \$n; [ \$n -ge 3 ]"
sample svc "$EX/service-restart.runbook.yaml" --param service=web \
    --param restart_command="echo restarted > '$S/restarted'" \
    --param health_command="$health" --param incident_log="$S/incidents.log"
expect_rc "service-restart, healthy on try 3" 0
export S
check_json "service-restart: retries the health check until it passes" "$OUT" <<'PY'
import os
S = env["S"]
assert open(S + "/restarted").read() == "restarted\n"
assert open(S + "/count").read().strip() == "3"
h = recs("health")
assert [a["attempt"] for a in h] == [1, 2, 3], [a["attempt"] for a in h]
assert [a["result"] for a in h] == ["failed", "failed", "success"]
assert [a["rows"][0]["exit_code"] for a in h] == ["1", "1", "0"]
assert doc["result"] == "success", "earlier failed attempts must not fail the instance"
assert ret == {"status": "ok", "service": "web", "attempts": "3", "detail": "check 3"}, ret
assert recs("incident") == [] and not os.path.exists(S + "/incidents.log")
PY
sample svc2 "$EX/service-restart.runbook.yaml" --param service=db \
    --param health_command="echo not yet; exit 1" --param incident_log="$S/incidents.log"
expect_rc "service-restart, never healthy" 1
check_json "service-restart: gives up after 5 tries and logs an incident" "$OUT" <<'PY'
S = env["S"]
assert [a["attempt"] for a in recs("health")] == [1, 2, 3, 4, 5]
assert results("health") == ["failed"] * 5
assert results("incident") == ["success"] and results("failed") == ["success"]
assert ret["status"] == "failed" and ret["service"] == "db" and ret["attempts"] == "5", ret
assert "exited with code 1" in ret["detail"], ret["detail"]
log = open(S + "/incidents.log").read().splitlines()
assert len(log) == 1 and " service db not recovered: " in log[0], log
assert "exited with code 1" in log[0]
PY
sample svc3 "$EX/service-restart.runbook.yaml" --param service=cache \
    --param restart_command="echo unit cache.service not found >&2; exit 5" \
    --param incident_log="$S/incidents.log"
expect_rc "service-restart, restart fails" 1
check_json "service-restart: a failed restart skips the health check" "$OUT" <<'PY'
assert results("restart") == ["failed"] and recs("health") == []
assert ret["status"] == "failed" and "unit cache.service not found" in ret["detail"], ret
log = open(env["S"] + "/incidents.log").read().splitlines()
assert len(log) == 2 and "service cache not recovered" in log[1] and "code 5" in log[1], log
PY

# ---- host-fan-out -----------------------------------------------------------------
H=$(fresh_dir hosts)
printf '%s\n' '# web tier' localhost '' 'no-such-host.invalid' '  ' 'localhost' >"$H/hosts.txt"
sample hosts "$EX/host-fan-out.runbook.yaml" --param hosts_file="$H/hosts.txt" --param results="$H/results.txt"
expect_rc "host-fan-out" 0
export H
check_json "host-fan-out: one check per host, comments and blanks skipped" "$OUT" <<'PY'
H = env["H"]
assert len(rows("read")) == 6
# '  ' is not empty, so it is checked, and does not resolve either.
hosts = sorted(r["host"] for r in rows("check"))
assert hosts == ["  ", "localhost", "localhost", "no-such-host.invalid"], hosts
by = {}
for a in recs("check"):
    r = a["rows"][0]
    assert a["result"] == "success", a
    by.setdefault(r["host"], set()).add((r["state"], r["address"]))
assert by["no-such-host.invalid"] == {("unresolved", "-")}, by
(state, addr), = by["localhost"]
assert state == "resolved" and (addr.startswith("127.") or addr == "::1"), addr
assert len(recs("record")) == 4 and len(recs("settle")) == 1 and len(recs("done")) == 1
lines = open(H + "/results.txt").read().splitlines()
assert sorted(lines) == sorted(["localhost resolved " + addr] * 2 +
                               ["no-such-host.invalid unresolved -", "   unresolved -"]), lines
assert ret["hosts"] == "4" and ret["resolved"] == "2" and ret["unresolved"] == "2", ret
assert sorted(ret["results"].split("; ")) == sorted(lines), ret["results"]
PY
sample hosts2 "$EX/host-fan-out.runbook.yaml" --param hosts_file="$H/absent.txt" --param results="$H/results.txt"
expect_rc "host-fan-out, no host list" 1
check_json "host-fan-out: a missing host list fails read-line" "$OUT" <<'PY'
assert results("read") == ["failed"] and recs("check") == [] and ret == {}
assert "absent.txt" in recs("read")[0]["error"], recs("read")[0]["error"]
PY

# ---- backup-config ------------------------------------------------------------------
B=$(fresh_dir backup)
mkdir -p "$B/etc/app"
echo "listen 80" >"$B/etc/app/web.conf"
echo "workers 4" >"$B/etc/app/worker.conf"
chmod 640 "$B/etc/app/worker.conf"
touch -d '2020-01-02 03:04:05' "$B/etc/app/web.conf"
echo "not a conf" >"$B/etc/app/notes.txt"
sample backup "$EX/backup-config.runbook.yaml" --param source="$B/etc/app" --param backup_root="$B/backups"
expect_rc "backup-config" 0
export B
check_json "backup-config: copies the *.conf files into backup/<timestamp>" "$OUT" <<'PY'
import os, re, stat
B = env["B"]
folder = ret["backup_folder"]
m = re.fullmatch(re.escape(B) + r"/backups/backup/(\d{8}-\d{6})", folder)
assert m, folder
assert m.group(1) == field("stamp", "formatted")
assert sorted(os.listdir(folder)) == ["web.conf", "worker.conf"]
assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
assert open(folder + "/web.conf").read() == "listen 80\n"
assert open(folder + "/worker.conf").read() == "workers 4\n"
assert stat.S_IMODE(os.stat(folder + "/worker.conf").st_mode) == 0o640, "mode not preserved"
assert os.stat(folder + "/web.conf").st_mtime == os.stat(B + "/etc/app/web.conf").st_mtime, "mtime not preserved"
c = recs("copy")
assert len(c) == 1 and len(c[0]["rows"]) == 1, "copy-file is flattened to one row"
assert sorted(c[0]["rows"][0]["action"].split(" ")) == ["copied", "copied"]
assert ret["copied"] == "2"
assert sorted(ret["files"].split(" ")) == [folder + "/web.conf", folder + "/worker.conf"]
assert os.path.exists(B + "/etc/app/web.conf"), "the source was touched"
PY
sample backup2 "$EX/backup-config.runbook.yaml" --param source="$B/empty" --param backup_root="$B/backups2"
expect_rc "backup-config, nothing to copy" 1
check_json "backup-config: a source without *.conf files fails copy-file" "$OUT" <<'PY'
assert results("copy") == ["failed"] and ret == {}
assert "matched no files" in recs("copy")[0]["error"], recs("copy")[0]["error"]
PY

# ---- config-setting ---------------------------------------------------------------------
C=$(fresh_dir config)
printf '%s\n' '# app config' 'listen = 0.0.0.0:80' '  max_connections=100' '#timeout = 5' >"$C/app.conf"
chmod 640 "$C/app.conf"
export C
run_setting() { sample "$1" "$EX/config-setting.runbook.yaml" --param config_file="$C/app.conf" --param key="$2" --param value="$3"; }
run_setting cfg1 max_connections 250
expect_rc "config-setting, update" 0
check_json "config-setting: rewrites an existing key, keeping the file's mode" "$OUT" <<'PY'
import os, stat
C = env["C"]
assert ret == {"action": "updated", "setting": "max_connections = 250", "previous": "  max_connections=100"}, ret
assert field("update", "replacements") == "1"
assert open(C + "/app.conf").read().splitlines() == ["# app config", "listen = 0.0.0.0:80", "max_connections = 250", "#timeout = 5"]
assert stat.S_IMODE(os.stat(C + "/app.conf").st_mode) == 0o640
assert recs("add") == [] and recs("unchanged") == []
PY
run_setting cfg2 timeout 30
expect_rc "config-setting, add" 0
check_json "config-setting: appends a missing key (a commented-out one does not count)" "$OUT" <<'PY'
assert ret == {"action": "added", "setting": "timeout = 30", "previous": ""}, ret
assert field("find", "match_count") == "0"
assert open(env["C"] + "/app.conf").read().splitlines()[-2:] == ["#timeout = 5", "timeout = 30"]
assert recs("update") == []
PY
cp "$C/app.conf" "$C/before"
run_setting cfg3 timeout 30
expect_rc "config-setting, unchanged" 0
check_json "config-setting: leaves a correct setting alone" "$OUT" <<'PY'
assert ret["action"] == "unchanged", ret
assert recs("add") == [] and recs("update") == []
assert open(env["C"] + "/app.conf").read() == open(env["C"] + "/before").read()
PY
# The same key twice: one update rewrites both lines, and it runs once.
printf '%s\n' 'timeout = 1' 'timeout = 2' >>"$C/app.conf"
run_setting cfg4 timeout 45
expect_rc "config-setting, duplicate key" 0
check_json "config-setting: duplicates are all rewritten by one update" "$OUT" <<'PY'
assert field("find", "match_count") == "3" and len(rows("find")) == 3
assert len(recs("once")) == 1 and len(recs("update")) == 1 and len(recs("updated")) == 1
assert field("update", "replacements") == "3"
lines = open(env["C"] + "/app.conf").read().splitlines()
assert lines.count("timeout = 45") == 3 and ret["action"] == "updated", lines
PY
sample cfg5 "$EX/config-setting.runbook.yaml" --param config_file="$C/none.conf" --param key=a --param value=b
expect_rc "config-setting, missing file" 1
check_json "config-setting: a missing file fails find-text" "$OUT" <<'PY'
import os
assert results("find") == ["failed"] and ret == {}
assert not os.path.exists(env["C"] + "/none.conf")
PY

# ---- rotate-credentials ---------------------------------------------------------------------
R=$(fresh_dir creds)
sample creds "$EX/rotate-credentials.runbook.yaml" --param account=svc-backup --param vault="$R/vault" --param length=32
expect_rc "rotate-credentials" 0
export R
check_json "rotate-credentials: owner-only file, 30-day expiry, token not returned" "$OUT" <<'PY'
import os, re, stat, datetime
R = env["R"]
token = field("token", "text")
assert re.fullmatch(r"[A-Za-z0-9]{32}", token), token
f = R + "/vault/credentials.txt"
assert stat.S_IMODE(os.stat(R + "/vault").st_mode) == 0o700
assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
lines = open(f).read().splitlines()
assert len(lines) == 1
account, tok, expires = lines[0].split(" ")
assert account == "svc-backup" and tok == token
assert ret["status"] == "rotated" and ret["account"] == "svc-backup" and ret["mode"] == "0600" and ret["file"] == f, ret
assert ret["expires"] == expires
exp = datetime.datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
started = datetime.datetime.strptime(recs("expiry")[0]["start_time"][:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
delta = exp - started
assert datetime.timedelta(days=30) - datetime.timedelta(seconds=2) <= delta <= datetime.timedelta(days=30, seconds=2), delta
assert all(token not in v for v in ret.values()), "the token is in the returned data"
PY
sample creds2 "$EX/rotate-credentials.runbook.yaml" --param account=svc-backup --param vault="$R/vault"
expect_rc "rotate-credentials, second rotation" 0
check_json "rotate-credentials: a second rotation appends a new, different token" "$OUT" <<'PY'
lines = open(env["R"] + "/vault/credentials.txt").read().splitlines()
assert len(lines) == 2 and lines[0].split(" ")[1] != lines[1].split(" ")[1]
assert len(lines[1].split(" ")[1]) == 40, "default length is 40"
PY

# ---- inbox-processing ---------------------------------------------------------------------
I=$(fresh_dir inbox)
mkdir -p "$I/in"
printf '%s\n' 'order_id,customer,amount' '1,ACME,10.00' >"$I/in/orders.csv"
sample inbox "$EX/inbox-processing.runbook.yaml" --param inbox="$I/in"
expect_rc "inbox-processing, valid file" 0
export I
check_json "inbox-processing: a valid file is moved to processed/ and accepted" "$OUT" <<'PY'
import os, re
I = env["I"] + "/in"
assert not os.path.exists(I + "/orders.csv")
assert os.listdir(I + "/processed") == [field("stamp", "formatted") + "-orders.csv"]
assert re.fullmatch(r"\d{8}T\d{6}Z", field("stamp", "formatted"))
dest = I + "/processed/" + field("stamp", "formatted") + "-orders.csv"
assert open(dest).read() == "order_id,customer,amount\n1,ACME,10.00\n"
assert field("check", "comparison_result") == "true"
assert ret == {"status": "accepted", "file": dest, "size": str(os.path.getsize(dest)), "header": "order_id,customer,amount"}, ret
assert ret["size"] == "38"
assert recs("reject") == [] and recs("empty") == []
PY
printf '%s\n' 'id;name' '1;x' >"$I/in/orders.csv"
sample inbox2 "$EX/inbox-processing.runbook.yaml" --param inbox="$I/in"
expect_rc "inbox-processing, wrong header" 0
check_json "inbox-processing: a wrong header goes on to rejected/" "$OUT" <<'PY'
import os
I = env["I"] + "/in"
assert field("check", "comparison_result") == "false" and field("header", "line") == "id;name"
assert ret["status"] == "rejected" and ret["header"] == "id;name", ret
assert os.path.dirname(ret["file"]) == I + "/rejected" and open(ret["file"]).read() == "id;name\n1;x\n"
assert len(os.listdir(I + "/processed")) == 1, "the rejected file stayed in processed/"
assert not os.path.exists(I + "/orders.csv")
PY
sample inbox3 "$EX/inbox-processing.runbook.yaml" --param inbox="$I/in"
expect_rc "inbox-processing, empty inbox" 0
check_json "inbox-processing: nothing waiting" "$OUT" <<'PY'
assert field("look", "exists") == "false"
assert ret == {"status": "no-file", "file": env["I"] + "/in/orders.csv", "size": "0", "header": ""}, ret
assert recs("take") == []
PY

# ---- disk-usage-report ----------------------------------------------------------------------
U=$(fresh_dir usage)
# Two paths; stat(1) says which filesystem each is on, independently of
# the runbook's own python.
mounts=$(stat -c %m / "$U" | sort -u | tr '\n' ' ')
export U mounts
sample usage "$EX/disk-usage-report.runbook.yaml" --param "paths=/ $U" --param threshold=0 --param report="$U/report.txt"
expect_rc "disk-usage-report, threshold 0" 0
check_json "disk-usage-report: one row per filesystem, all over a 0% threshold" "$OUT" <<'PY'
import os
want = sorted(env["mounts"].split())
got = sorted(r["mount"] for r in rows("usage"))
assert got == want, (got, want)
for r in rows("usage"):
    st = os.statvfs(r["mount"])
    assert int(r["size_kb"]) == st.f_blocks * st.f_frsize // 1024, r
    assert 0 <= int(r["use_percent"]) <= 100
assert len(recs("check")) == len(want) and all(r["comparison_result"] == "true" for r in rows("check"))
assert len(recs("note")) == len(want) and len(recs("settle")) == 1 and len(recs("done")) == 1
lines = open(env["U"] + "/report.txt").read().splitlines()
assert len(lines) == len(want) and all(l.startswith("over=true ") for l in lines), lines
assert ret["filesystems"] == str(len(want)) and ret["over_threshold"] == str(len(want)), ret
assert sorted(ret["report"].split("\n")) == sorted(lines)
PY
sample usage2 "$EX/disk-usage-report.runbook.yaml" --param "paths=/" --param threshold=100.5 --param report="$U/report.txt"
expect_rc "disk-usage-report, threshold 100.5" 0
check_json "disk-usage-report: nothing is over 100.5%, the report is replaced" "$OUT" <<'PY'
lines = open(env["U"] + "/report.txt").read().splitlines()
assert len(lines) == 1 and lines[0].startswith("over=false / is "), lines
assert field("check", "comparison_result") == "false"
assert ret["filesystems"] == "1" and ret["over_threshold"] == "0", ret
PY
sample usage3 "$EX/disk-usage-report.runbook.yaml" --param "paths=all" --param report="$U/report.txt"
expect_rc "disk-usage-report, all filesystems" 0
check_json "disk-usage-report: all mounted filesystems include /" "$OUT" <<'PY'
mounts = [r["mount"] for r in rows("usage")]
assert "/" in mounts and len(mounts) == len(set(mounts)), mounts
assert ret["filesystems"] == str(len(mounts))
PY

# ---- every sample through scripts/run-samples.sh, as `make run` does ----------------------
RS=$SCRATCH/run-samples.out
(cd "$SRC" && bash scripts/run-samples.sh "$BUILD") >"$RS" 2>&1
rs_rc=$?
n=$(ls "$EX"/*.runbook.yaml | wc -l)
if [[ $rs_rc -eq 0 ]] && grep -q "^$n sample runbooks run, 0 failed$" "$RS" && [[ $(grep -c '^Result: success' "$RS") -eq $n ]]; then
    pass "run-samples.sh: all $n samples succeed with their # param: lines"
else
    fail "run-samples.sh: all $n samples succeed with their # param: lines" "exit $rs_rc" "$(grep -E '^(===|Result|.*error)' "$RS" | head -30)"
fi

finish
