#!/usr/bin/env bash
# `baton import-ois`: the fixture export becomes a folder tree of runbook
# files and globals.yaml that `baton validate` accepts; the runbook made
# only of converted activities runs with `baton test`; the report names
# the placeholders (exit 1), also as JSON; hostile or broken files exit 2
# with a precise error and leave the output directory as it was.
source "$(dirname "$0")/lib.sh"

FIX=$SRC/tests/fixtures/ois/operations.ois_export
OUT=$(fresh_dir out)

# ---- conversion -------------------------------------------------------------
run_baton "$SCRATCH/imp" import-ois "$FIX" --out "$OUT"
if [[ $RC -eq 1 ]] && grep -q "Send SNMP Trap" "$SCRATCH/imp.out" &&
   grep -q "Create VM From Template" "$SCRATCH/imp.out"; then
    pass "import-ois exits 1 and lists the placeholders"
else
    fail "import-ois exits 1 and lists the placeholders" "exit $RC" \
        "$(head -20 "$SCRATCH/imp.out" "$SCRATCH/imp.err")"
fi
for f in Operations/Web/Restart-Web-Service.runbook.yaml \
         Operations/Maintenance/Rotate-Logs.runbook.yaml \
         Reports/Nightly-Report.runbook.yaml Operations/Import-Drops.runbook.yaml \
         globals.yaml; do
    if [[ -f $OUT/$f ]]; then pass "wrote $f"; else fail "wrote $f"; fi
done
if [[ -d $OUT/Operations/Empty-Folder ]]; then
    pass "empty folder kept"
else
    fail "empty folder kept"
fi

mapfile -t files < <(find "$OUT" -name '*.runbook.yaml' | sort)
run_baton "$SCRATCH/val" validate "${files[@]}"
if [[ $RC -eq 0 && ${#files[@]} -eq 4 ]] && [[ $(grep -c ': ok (' "$SCRATCH/val.out") -eq 4 ]]; then
    pass "baton validate accepts every converted runbook"
else
    fail "baton validate accepts every converted runbook" "exit $RC" \
        "$(cat "$SCRATCH/val.err")"
fi

WORK=$(fresh_dir work)
run_baton "$SCRATCH/t" test "$OUT/Operations/Maintenance/Rotate-Logs.runbook.yaml" \
    --param "work_dir=$WORK"
if [[ $RC -eq 0 ]] && grep -q "errors = 1" "$SCRATCH/t.out" &&
   [[ -f $WORK/archive/app.log ]]; then
    pass "baton test runs the converted runbook"
else
    fail "baton test runs the converted runbook" "exit $RC" \
        "$(tail -20 "$SCRATCH/t.out" "$SCRATCH/t.err")"
fi

# ---- the activities Baton gained later (standard.ois_export) -----------------
STD=$(fresh_dir std)
run_baton "$SCRATCH/std" import-ois "$SRC/tests/fixtures/ois/standard.ois_export" \
    --out "$STD" --json
if [[ $RC -eq 1 ]] && python3 - "$SCRATCH/std.out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
items = [i for r in doc["runbooks"] for i in r["items"]]
conv = {i["original_type"]: i["baton_type"] for i in items if i["kind"] == "converted"}
assert conv["Send Email"] == "send-email", conv
assert conv["Start/Stop Service"] == "restart-service", conv
assert conv["Send Event Log Message"] == "send-journal-message", conv
assert conv["Get Lines"] == "get-lines", conv
ph = [(i["original_type"], i["text"]) for i in items if i["kind"] == "placeholder"]
assert len(ph) == 1 and "print01" in ph[0][1], ph
assert all(r["valid"] for r in doc["runbooks"])
PY
then
    pass "import-ois converts services, mail, SNMP, XML, archives, line editing"
else
    fail "import-ois converts services, mail, SNMP, XML, archives, line editing" \
        "exit $RC" "$(head -c 2000 "$SCRATCH/std.out" "$SCRATCH/std.err")"
fi
WORK2=$(fresh_dir work2)
run_baton "$SCRATCH/t3" test "$STD/Standard/Edit-Hosts.runbook.yaml" \
    --param "work_dir=$WORK2"
if [[ $RC -eq 0 ]] && grep -q "host = web01" "$SCRATCH/t3.out" &&
   [[ $(cat "$WORK2/unpacked/hosts.txt") == $'web01\nweb02' ]]; then
    pass "baton test runs the converted line, XML and archive activities"
else
    fail "baton test runs the converted line, XML and archive activities" \
        "exit $RC" "$(tail -20 "$SCRATCH/t3.out" "$SCRATCH/t3.err")"
fi

run_baton "$SCRATCH/t2" test "$OUT/Operations/Web/Restart-Web-Service.runbook.yaml" \
    --param host_name=web01 --param unit=nothing-here
# systemctl fails here, so the failure branch reaches the placeholder.
if [[ $RC -eq 1 ]] && grep -q "imported from Orchestrator type 'Send SNMP Trap'" \
        "$SCRATCH/t2.out" "$SCRATCH/t2.err"; then
    pass "a placeholder fails when run, naming the Orchestrator type"
else
    fail "a placeholder fails when run, naming the Orchestrator type" "exit $RC" \
        "$(tail -20 "$SCRATCH/t2.out")"
fi

# ---- JSON report ----------------------------------------------------------------
run_baton "$SCRATCH/j" import-ois "$FIX" --out "$(fresh_dir out2)" --json
check_json "JSON report" "$SCRATCH/j.out" <<'PY'
s = doc["summary"]
assert s["runbooks"] == 4, s
assert s["placeholders"] == 2, s
assert s["conditions_not_converted"] == 1, s
assert s["encrypted_variables"] == 1, s
assert doc["complete"] is False
types = sorted(i["original_type"] for r in doc["runbooks"] for i in r["items"]
               if i["kind"] == "placeholder")
assert types == ["Create VM From Template", "Send SNMP Trap"], types
assert all(r["valid"] for r in doc["runbooks"])
assert doc["globals"]["file"] == "globals.yaml"
PY

run_baton "$SCRATCH/r" import-ois "$FIX" --out "$(fresh_dir out3)" --json \
    --report "$SCRATCH/report.json"
if [[ $RC -eq 1 && ! -s $SCRATCH/r.out ]] &&
   python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$SCRATCH/report.json"; then
    pass "--report writes the report to a file"
else
    fail "--report writes the report to a file" "exit $RC"
fi

# ---- into a store ---------------------------------------------------------------
DB=$SCRATCH/store.db
run_baton "$SCRATCH/db" import-ois "$FIX" --db "sqlite:$DB" --json
check_json "--db stores the runbooks and settings" "$SCRATCH/db.out" <<'PY'
assert doc["stored"] == {"runbooks": 4, "variables": 2, "counters": 1,
                         "schedules": 1}, doc["stored"]
assert "out" not in doc
PY
db_before=$(sha256sum "$DB")

# ---- bad input: exit 2, precise error, nothing touched -------------------------------
KEEP=$(fresh_dir keep)
printf 'name: mine\nactivities: [{id: a, type: junction}]\n' > "$KEEP/mine.runbook.yaml"
before=$(cd "$KEEP" && find . -type f -exec sha256sum {} + | sort)

bad() { # bad NAME FILE REGEX
    local name=$1 file=$2 re=$3
    run_baton "$SCRATCH/bad" import-ois "$file" --out "$KEEP"
    local after
    after=$(cd "$KEEP" && find . -type f -exec sha256sum {} + | sort)
    if [[ $RC -eq 2 ]] && grep -Eq "$re" "$SCRATCH/bad.err" &&
       [[ ! -s $SCRATCH/bad.out && $after == "$before" ]] &&
       ! grep -q 'root:' "$SCRATCH/bad.err"; then
        pass "$name"
    else
        fail "$name" "exit $RC" "$(cat "$SCRATCH/bad.err")"
    fi
}

cat > "$SCRATCH/laughs.ois_export" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<ExportData><Policies><Folder><Name>&lol3;</Name></Folder></Policies></ExportData>
EOF
bad "billion laughs is refused" "$SCRATCH/laughs.ois_export" \
    'laughs.ois_export:2:[0-9]+: the file has a document type declaration'

cat > "$SCRATCH/xxe.ois_export" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ExportData><Policies><Folder><Name>&xxe;</Name></Folder></Policies></ExportData>
EOF
bad "external entity is refused" "$SCRATCH/xxe.ois_export" 'document type declaration'

head -c 20000 "$FIX" > "$SCRATCH/trunc.ois_export"
bad "truncated file" "$SCRATCH/trunc.ois_export" \
    'trunc.ois_export:1:[0-9]+: not well-formed XML: Premature end of data'

truncate -s 50M "$SCRATCH/big.ois_export"
bad "50 MB file over the cap" "$SCRATCH/big.ois_export" \
    'is 52428800 bytes, over the limit of 33554432 bytes'

python3 -c "print('<ExportData>' + '<Folder>' * 5000)" > "$SCRATCH/deep.ois_export"
bad "deep nesting" "$SCRATCH/deep.ois_export" 'nested more than 256 levels deep'

head -c 4096 /dev/urandom > "$SCRATCH/junk.ois_export"
bad "binary junk" "$SCRATCH/junk.ois_export" 'junk.ois_export:[0-9]+:[0-9]+: not well-formed XML'

printf '<ExportData><Policies><Folder><Name>caf\xe9</Name></Folder></Policies></ExportData>' \
    > "$SCRATCH/latin1.ois_export"
bad "not UTF-8" "$SCRATCH/latin1.ois_export" 'not proper UTF-8'

printf '<html><body>hello</body></html>' > "$SCRATCH/html.ois_export"
bad "not an export" "$SCRATCH/html.ois_export" 'root element is <html>, expected <ExportData>'

bad "missing file" "$SCRATCH/nope.ois_export" 'cannot open'

run_baton "$SCRATCH/bad" import-ois "$SCRATCH/laughs.ois_export" --db "sqlite:$DB"
if [[ $RC -eq 2 && $(sha256sum "$DB") == "$db_before" ]]; then
    pass "hostile file with --db leaves the store untouched"
else
    fail "hostile file with --db leaves the store untouched" "exit $RC"
fi

run_baton "$SCRATCH/u" import-ois
if [[ $RC -eq 2 ]] && grep -q usage "$SCRATCH/u.err"; then
    pass "usage without a file"
else
    fail "usage without a file" "exit $RC"
fi

finish
