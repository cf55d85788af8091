#!/usr/bin/env bash
# scripts/baton-completion.bash against the real baton binary: commands,
# verbs, each command's options from its --help, local files by kind, and
# that every command baton lists answers --help (the completion reads the
# options from it). Folder and runbook paths from a running management
# server are tested in test_authoring.sh.
source "$(dirname "$0")/lib.sh"

export PATH=$BUILD:$PATH
export XDG_CONFIG_HOME=$SCRATCH/config
export BATON_MGMT_URL=http://127.0.0.1:1 # nothing there: no remote paths
# shellcheck source=../../scripts/baton-completion.bash
source "$SRC/scripts/baton-completion.bash"

# complete WORD...: the completions for a command line whose last word is
# the one being completed, one per line, sorted.
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _baton 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

[[ $(complete -p baton 2>/dev/null) == *"-F _baton"* ]] && pass "the script registers _baton for baton" ||
    fail "complete -p baton"

got=$(complete_line baton che | tr '\n' ' ')
[[ $got == "checkin checkout " ]] && pass "commands: che -> checkin checkout" || fail "che" "$got"

missing=
while read -r c; do
    grep -qx "$c" < <(complete_line baton "") || missing+=" $c"
done < <(baton --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[[ -z $missing ]] && pass "every command baton --help lists is offered" || fail "not offered:$missing"

got=$(complete_line baton folder "" | tr '\n' ' ')
[[ $got == "mkdir mv rename rm " ]] && pass "folder verbs" || fail "folder verbs" "$got"
got=$(complete_line baton server d | tr '\n' ' ')
[[ $got == "drain " ]] && pass "server d -> drain" || fail "server verbs" "$got"
got=$(complete_line baton variable --json s | tr '\n' ' ')
[[ $got == "set " ]] && pass "a verb after an option" || fail "verb after option" "$got"

got=$(complete_line baton ls -- | tr '\n' ' ')
missing=
for o in --recursive --json --mgmt-url --help --user; do
    [[ " $got" == *" $o "* ]] || missing+=" $o"
done
[[ -z $missing ]] && pass "ls options from its --help" || fail "ls options lack$missing" "$got"
got=$(complete_line baton import --pro | tr '\n' ' ')
[[ $got == "--progress " ]] && pass "import --pro -> --progress" || fail "import options" "$got"
got=$(complete_line baton undo-checkout --f | tr '\n' ' ')
[[ $got == "--force " ]] && pass "undo-checkout --force" || fail "undo-checkout options" "$got"

W=$(fresh_dir files)
mkdir -p "$W/sub"
touch "$W/a.runbook.yaml" "$W/b.runbook.json" "$W/notes.txt" "$W/old.ois_export"
cd "$W" || exit 1
got=$(complete_line baton checkin "" | tr '\n' ' ')
[[ $got == "a.runbook.yaml b.runbook.json sub " ]] && pass "checkin offers runbook files and folders" ||
    fail "checkin files" "$got"
got=$(complete_line baton import "" | tr '\n' ' ')
[[ $got == "old.ois_export sub " ]] && pass "import offers folders and .ois_export files" ||
    fail "import files" "$got"
got=$(complete_line baton export / --out "" | tr '\n' ' ')
[[ $got == "sub " ]] && pass "export --out offers folders" || fail "export --out" "$got"
cd - >/dev/null || exit 1

got=$(complete_line baton activities run-pro | tr '\n' ' ')
[[ $got == *"run-program "* ]] && pass "activity types" || fail "activities" "$got"

start=$(date +%s)
got=$(complete_line baton show /O | tr '\n' ' ')
[[ -z ${got// /} && $(($(date +%s) - start)) -le 4 ]] &&
    pass "no management server: no paths, and no hang" || fail "unreachable paths" "$got"

# every command answers --help with its usage (exit 0)
bad=
while read -r c; do
    out=$(baton "$c" --help 2>&1) && grep -qi "usage" <<<"$out" || bad+=" $c"
done < <(baton --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
[[ -z $bad ]] && pass "--help on every command" || fail "--help missing or failing:$bad"

finish
