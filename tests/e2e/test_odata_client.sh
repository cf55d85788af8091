#!/usr/bin/env bash
# The Orchestrator-compatible OData endpoint of a real batond (web service
# and runbook server in one process, SQLite in a scratch directory):
#   raw requests as Orchestrator 2012's PowerShell scripts make them (the
#   Atom entry POSTed to Jobs with the parameters XML in CDATA, braces
#   around the parameter GUIDs, the script's own headers; stopping a job
#   with POST + X-HTTP-Method: MERGE + If-Match: *), server paging by 50
#   with a next link, $metadata and errors;
#   and @odata/client, an OData v2 client from npm, pinned in
#   tests/e2e/odata/package-lock.json and installed with `npm ci` into the
#   build directory. Only a machine without node or npm skips that half.
source "$(dirname "$0")/lib.sh"

BATOND=$BUILD/batond
[[ -x $BATOND ]] || { echo "no batond at $BATOND" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }

PID=
cleanup() {
    [[ -n $PID ]] && kill -KILL "$PID" 2>/dev/null
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

PORT=$(free_ports 1)
RB_DIR=$(fresh_dir runbooks)
cat >"$RB_DIR/greet.runbook.yaml" <<'YAML'
name: Greet
folder: /E2E
parameters:
  - {name: who, type: string, required: true}
returns: [message]
activities:
  - {id: start, type: initialize-data}
  - {id: done, type: return-data, properties: {message: "Hello, {start.who}"}}
links:
  - {from: start, to: done}
YAML
cat >"$RB_DIR/sleeper.runbook.yaml" <<'YAML'
name: Sleeper
folder: /E2E
activities:
  - {id: start, type: initialize-data}
  - id: nap
    type: run-program
    properties: {command: "sleep 60"}
links:
  - {from: start, to: nap}
YAML

# Authentication is on: the first admin gets this password and every
# request below logs in with it (HTTP Basic, as Orchestrator's scripts do
# with -Credential).
ADMIN_PW=e2e-odata-password
AUTH=(-u "admin:$ADMIN_PW")
BATON_ADMIN_PASSWORD=$ADMIN_PW "$BATOND" --roles web,runbook-server --db "sqlite:$SCRATCH/baton.db" \
    --web-port "$PORT" --bind 127.0.0.1 --name rb1 --samples-dir "$RB_DIR" \
    >"$SCRATCH/batond.log" 2>&1 &
PID=$!
if ! wait_batond "$SCRATCH/batond.log" "$PID"; then
    fail "batond starts" "$(cat "$SCRATCH/batond.log")"
    finish
    exit 1
fi
pass "batond starts with the web service on port $PORT"

SVC="http://127.0.0.1:$PORT/Orchestrator2012/Orchestrator.svc"
# The headers Orchestrator's sample PowerShell script sends.
SCRIPT_HEADERS=("${AUTH[@]}" -H 'User-Agent: Microsoft ADO.NET Data Services'
                -H 'Accept: application/atom+xml,application/xml'
                -H 'Content-Type: application/atom+xml'
                -H 'DataServiceVersion: 1.0;NetFx'
                -H 'MaxDataServiceVersion: 2.0;NetFx')

# xq FILE EXPR: evaluates a python expression over the Atom document in
# FILE with ns (the OData namespaces), root and texts(xpath).
xq() {
    python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"a": "http://www.w3.org/2005/Atom",
      "d": "http://schemas.microsoft.com/ado/2007/08/dataservices",
      "m": "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata",
      "app": "http://www.w3.org/2007/app",
      "edm": "http://schemas.microsoft.com/ado/2008/09/edm"}
root = ET.parse(sys.argv[1]).getroot()
def texts(path):
    return [e.text or "" for e in root.findall(path, ns)]
print(eval(sys.argv[2]))
PY
}

# get NAME URL [curl args]: the body to $SCRATCH/NAME, the status in CODE.
get() {
    local name=$1 url=$2
    shift 2
    CODE=$(curl -s -o "$SCRATCH/$name" -w '%{http_code}' "${AUTH[@]}" "$@" "$url")
}

get svc.xml "$SVC/"
n=$(xq "$SCRATCH/svc.xml" 'len(root.findall(".//app:collection", ns))')
[[ $CODE == 200 && $n == 13 ]] && pass "service document lists 13 entity sets" ||
    fail "service document" "status $CODE, $n collections"

get meta.xml "$SVC/\$metadata"
ns_name=$(xq "$SCRATCH/meta.xml" 'root.find(".//edm:Schema", ns).get("Namespace")')
[[ $CODE == 200 && $ns_name == Microsoft.SystemCenter.Orchestrator.WebService ]] &&
    pass "\$metadata in Orchestrator's namespace" || fail "\$metadata" "$CODE $ns_name"

get rb.xml "$SVC/Runbooks" -G --data-urlencode "\$filter=Name eq 'Greet'"
RB=$(xq "$SCRATCH/rb.xml" 'texts(".//m:properties/d:Id")[0]')
path=$(xq "$SCRATCH/rb.xml" 'texts(".//m:properties/d:Path")[0]')
[[ ${#RB} == 36 && $path == '\Runbooks\E2E\Greet' ]] &&
    pass "Runbooks \$filter=Name eq 'Greet' finds it at $path" || fail "find runbook" "$RB $path"

get params.xml "$SVC/Runbooks(guid'$RB')/Parameters"
PARAM=$(xq "$SCRATCH/params.xml" '[e.find("d:Id", ns).text for e in root.findall(".//m:properties", ns) if e.find("d:Name", ns).text == "who"][0]')
[[ ${#PARAM} == 36 ]] && pass "parameter 'who' has the GUID $PARAM" || fail "parameter GUID" "$PARAM"

# The body of Orchestrator's "start a runbook" script.
cat >"$SCRATCH/start.xml" <<XML
<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<entry xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns="http://www.w3.org/2005/Atom">
    <content type="application/xml">
        <m:properties>
            <d:RunbookId m:type="Edm.Guid">$RB</d:RunbookId>
            <d:RunbookServers>rb1</d:RunbookServers>
            <d:Parameters><![CDATA[<Data><Parameter><ID>{$PARAM}</ID><Value>Ada &amp; Grace</Value></Parameter></Data>]]></d:Parameters>
        </m:properties>
    </content>
</entry>
XML
CODE=$(curl -s -D "$SCRATCH/start.h" -o "$SCRATCH/start.out" -w '%{http_code}' \
    "${SCRIPT_HEADERS[@]}" --data-binary @"$SCRATCH/start.xml" "$SVC/Jobs")
JOB=$(xq "$SCRATCH/start.out" 'root.find(".//m:properties/d:Id", ns).text' 2>/dev/null)
location=$(tr -d '\r' <"$SCRATCH/start.h" | sed -n 's/^Location: //Ip')
[[ $CODE == 201 && $location == "$SVC/Jobs(guid'$JOB')" ]] &&
    pass "POST Jobs with the script's Atom entry: 201 Created, Location $location" ||
    fail "start a job" "status $CODE, location '$location'" "$(cat "$SCRATCH/start.out")"

job_status() {
    get job.xml "$SVC/Jobs(guid'$1')"
    xq "$SCRATCH/job.xml" 'root.find(".//m:properties/d:Status", ns).text'
}
wait_status() { # JOB WANT SECONDS
    local i st
    for ((i = 0; i < $3 * 10; i++)); do
        st=$(job_status "$1")
        [[ $st == "$2" ]] && return 0
        [[ $st == Completed || $st == Failed || $st == Canceled ]] && break
        sleep 0.1
    done
    echo "$st"
    return 1
}
if st=$(wait_status "$JOB" Completed 30); then
    pass "the job completes"
else
    fail "the job completes" "status $st" "$(tail -5 "$SCRATCH/batond.log")"
fi
get inst.xml "$SVC/Jobs(guid'$JOB')/Instances" -G --data-urlencode '$expand=Parameters'
out=$(xq "$SCRATCH/inst.xml" '[e.find("d:Value", ns).text for e in root.findall(".//m:properties", ns) if (e.find("d:Direction", ns) is not None and e.find("d:Direction", ns).text == "Out")]')
[[ $out == "['Hello, Ada & Grace']" ]] && pass "the instance's Out parameter is what it returned" ||
    fail "returned data" "$out"

# Stop a job the way Orchestrator's "stop a job" script does.
get sleeper.xml "$SVC/Runbooks" -G --data-urlencode "\$filter=Name eq 'Sleeper'"
SLEEPER=$(xq "$SCRATCH/sleeper.xml" 'texts(".//m:properties/d:Id")[0]')
CODE=$(curl -s -o "$SCRATCH/long.out" -w '%{http_code}' "${SCRIPT_HEADERS[@]}" --data-binary @- "$SVC/Jobs" <<XML
<entry xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns="http://www.w3.org/2005/Atom"><content type="application/xml"><m:properties><d:RunbookId m:type="Edm.Guid">$SLEEPER</d:RunbookId></m:properties></content></entry>
XML
)
LONG=$(xq "$SCRATCH/long.out" 'root.find(".//m:properties/d:Id", ns).text' 2>/dev/null)
if st=$(wait_status "$LONG" Running 30); then pass "a long job runs"; else fail "a long job runs" "$st"; fi
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X POST -H 'X-HTTP-Method: MERGE' -H 'If-Match: *' \
    -H 'Content-Type: application/atom+xml' --data-binary @- "$SVC/Jobs(guid'$LONG')" <<'XML'
<entry xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns="http://www.w3.org/2005/Atom"><content type="application/xml"><m:properties><d:Status>Canceled</d:Status></m:properties></content></entry>
XML
)
[[ $CODE == 204 ]] && pass "POST + X-HTTP-Method: MERGE + If-Match: * answers 204" || fail "stop" "status $CODE"
if st=$(wait_status "$LONG" Canceled 30); then pass "and the job ends Canceled"; else fail "job canceled" "$st"; fi

# Server paging: more than 50 jobs come 50 at a time with a next link.
for ((i = 0; i < 50; i++)); do
    curl -s -o /dev/null "${SCRIPT_HEADERS[@]}" --data-binary @"$SCRATCH/start.xml" "$SVC/Jobs"
done
get page1.xml "$SVC/Jobs" -G --data-urlencode '$inlinecount=allpages' --data-urlencode '$orderby=CreationTime'
n=$(xq "$SCRATCH/page1.xml" 'len(root.findall("a:entry", ns))')
count=$(xq "$SCRATCH/page1.xml" 'texts("m:count")[0]')
next=$(xq "$SCRATCH/page1.xml" '[l.get("href") for l in root.findall("a:link", ns) if l.get("rel") == "next"][0]')
[[ $n == 50 && $count == 52 && $next == http* ]] && pass "Jobs: 50 entries, m:count 52 and a next link" ||
    fail "paging" "$n entries, count $count, next '$next'"
get page2.xml "$next"
n2=$(xq "$SCRATCH/page2.xml" 'len(root.findall("a:entry", ns))')
more=$(xq "$SCRATCH/page2.xml" 'len([l for l in root.findall("a:link", ns) if l.get("rel") == "next"])')
[[ $n2 == 2 && $more == 0 ]] && pass "the next link gives the last 2" || fail "next page" "$n2 entries, $more next links"

CODE=$(curl -s -o /dev/null -w '%{http_code}' "$SVC/Runbooks")
[[ $CODE == 401 ]] && pass "no credentials: 401" || fail "no credentials" "status $CODE"
CODE=$(curl -s -o /dev/null -w '%{http_code}' -u admin:wrong "$SVC/Runbooks")
[[ $CODE == 401 ]] && pass "a wrong password: 401" || fail "wrong password" "status $CODE"

get err.xml "$SVC/Jobs(guid'00000000-0000-0000-0000-000000000000')"
msg=$(xq "$SCRATCH/err.xml" 'root.find("m:message", ns).text')
[[ $CODE == 404 && -n $msg ]] && pass "errors in OData's format: $msg" || fail "error format" "$CODE"

# A real OData v2 client from npm.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP @odata/client checks: node and npm are not installed (scripts/install-deps.sh test installs them)"
else
    NODE_DIR=$BUILD/e2e-odata-node
    if [[ ! -f $NODE_DIR/node_modules/@odata/client/package.json ]]; then
        mkdir -p "$NODE_DIR"
        cp "$E2E_DIR/odata/package.json" "$E2E_DIR/odata/package-lock.json" "$NODE_DIR/"
        if ! (cd "$NODE_DIR" && npm ci --no-audit --no-fund >"$SCRATCH/npm.log" 2>&1); then
            fail "npm ci of the pinned OData client" "$(tail -5 "$SCRATCH/npm.log")"
        fi
    fi
    if [[ -f $NODE_DIR/node_modules/@odata/client/package.json ]]; then
        if BATON_ODATA_AUTH="Basic $(printf 'admin:%s' "$ADMIN_PW" | base64)" \
            NODE_PATH=$NODE_DIR/node_modules node "$E2E_DIR/odata/client.js" "$SVC/" Greet who Ada Sleeper \
            >"$SCRATCH/node.out" 2>&1; then
            pass "@odata/client: $(grep -c '^ok' "$SCRATCH/node.out") checks"
        else
            fail "@odata/client" "$(cat "$SCRATCH/node.out")"
        fi
        sed 's/^/     /' "$SCRATCH/node.out"
    fi
fi

kill -TERM "$PID"
for ((i = 0; i < 100; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
PID=
finish
