# bash completion for baton, the Baton CLI (docs/management.md, "Tab
# completion"). Load it in a shell with
#     source /path/to/baton-completion.bash
# or install it for everyone as
#     install -m 0644 scripts/baton-completion.bash \
#         /usr/share/bash-completion/completions/baton
#
# Commands and each command's options come from `baton --help` and
# `baton CMD --help` (asked once per shell and kept), so they follow the
# binary on the PATH. Folder and runbook paths (an argument starting with
# '/') come from the management server (`baton ls`, the same URL and login
# as the commands use), with a 3-second limit so a server that does not
# answer never hangs the shell. BATON_COMPLETE_REMOTE=0 turns that off.

declare -gA _baton_opts_cache=()
_baton_cmds_cache=

# Fill the caches in the current shell (not in a $(...) subshell, which
# would forget them).
_baton_load_commands() {
    [[ -n $_baton_cmds_cache ]] && return
    _baton_cmds_cache=$(command baton --help 2>/dev/null |
        sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | tr '\n' ' ')
}

# The options a command's --help mentions (--json, --mgmt-url, ...).
_baton_load_options() {
    local cmd=$1
    [[ -n ${_baton_opts_cache[$cmd]+set} ]] && return
    _baton_opts_cache[$cmd]="$(command baton "$cmd" --help 2>/dev/null |
        grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ')--help"
}

# The verbs of the commands that take one.
_baton_verbs() {
    case $1 in
    folder) echo "mkdir rename mv rm" ;;
    runbook) echo "rename mv rm servers limit" ;;
    variable) echo "list get set move rm" ;;
    counter) echo "list get set add move rm" ;;
    schedule) echo "list get set move rm" ;;
    server) echo "list throttle drain" ;;
    token) echo "create list revoke" ;;
    user) echo "add list passwd disable enable delete" ;;
    group) echo "add list add-member remove-member delete" ;;
    perm) echo "grant revoke list" ;;
    esac
}

# Folders (with a trailing /) and runbooks below the folder cur is in.
_baton_remote_paths() {
    local cur=$1 dir line name
    [[ ${BATON_COMPLETE_REMOTE:-1} == 0 ]] && return
    dir=${cur%/*}
    [[ -z $dir ]] && dir=/
    local listing
    listing=$(timeout 3 baton ls "$dir" 2>/dev/null) || return
    [[ $dir == / ]] && dir=
    # `baton ls` prints the folder, then "  Sub/" and "  Name   vN  ..."
    while IFS= read -r line; do
        [[ $line == "  "* ]] || continue
        line=${line#  }
        if [[ $line == */ ]]; then
            name=${line}
        else
            name=$(sed -E 's/ +v[0-9]+( .*)?$//' <<<"$line")
        fi
        printf '%s\n' "$dir/$name"
    done <<<"$listing"
}

# Does this command (with its verb) take a folder or runbook path here?
_baton_takes_remote() {
    local cmd=$1 prev=$2
    case $prev in
    --runbook | --folder) return 0 ;;
    --out | -o | --db | --report | --mgmt-url | --url | --user | -m | \
        --message | --name | --version | -v | --since | --action | --limit | \
        --expires | --param | -p | --status | --description | --group | --wait)
        return 1 ;;
    esac
    case $cmd in
    ls | show | checkout | undo-checkout | history | diff | revert | export | \
        folder | runbook | start | perm) return 0 ;;
    esac
    return 1
}

_baton() {
    local cur prev cmd i verb_index
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    if ((COMP_CWORD == 1)); then
        _baton_load_commands
        mapfile -t COMPREPLY < <(compgen -W "$_baton_cmds_cache --help --version" -- "$cur")
        return 0
    fi
    cmd=${COMP_WORDS[1]}
    # the first word after the command that is not an option is its verb
    local verbs
    verbs=$(_baton_verbs "$cmd")
    if [[ -n $verbs ]]; then
        verb_index=0
        for ((i = 2; i < COMP_CWORD; i++)); do
            [[ ${COMP_WORDS[i]} == -* ]] && continue
            verb_index=$i
            break
        done
        if ((verb_index == 0)) && [[ $cur != -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
            return 0
        fi
    fi
    if [[ $cur == -* ]]; then
        _baton_load_options "$cmd"
        mapfile -t COMPREPLY < <(compgen -W "${_baton_opts_cache[$cmd]}" -- "$cur")
        return 0
    fi
    case $prev in
    --out | -o)
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return 0 ;;
    --report)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        return 0 ;;
    esac
    if [[ $cur == /* ]] && _baton_takes_remote "$cmd" "$prev"; then
        mapfile -t COMPREPLY < <(compgen -W "$(_baton_remote_paths "$cur")" -- "$cur")
        # a folder goes on; a runbook is a whole word
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
        return 0
    fi
    case $cmd in
    checkin | validate | test)
        mapfile -t COMPREPLY < <(compgen -f -X '!*.runbook.@(yaml|yml|json)' -- "$cur"; compgen -d -- "$cur")
        compopt -o filenames 2>/dev/null ;;
    import)
        mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X '!*.ois_export' -- "$cur")
        compopt -o filenames 2>/dev/null ;;
    import-ois)
        mapfile -t COMPREPLY < <(compgen -f -X '!*.ois_export' -- "$cur"; compgen -d -- "$cur")
        compopt -o filenames 2>/dev/null ;;
    activities)
        ((COMP_CWORD == 2)) && mapfile -t COMPREPLY < <(compgen -W \
            "$(command baton activities 2>/dev/null | awk '{print $1}')" -- "$cur") ;;
    esac
    return 0
}

shopt -s extglob
complete -F _baton baton
