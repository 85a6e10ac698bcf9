# mfa-session for bash. In ~/.bashrc:   source /path/to/mfa-session/shell/mfa-session.bash
#
#   PS1='\w$(__mfa_session_ps1)\$ '    prompt segment: " (work 3h12m)", " (work 12m!)", " (work expired)"
#   mfa work                            load work's session into this shell (asks for the MFA code once)
#   mfa work terraform plan             run one command with it
#   mfa off                             drop it from this shell

if command -v mfa-session >/dev/null 2>&1; then
    # shellcheck disable=SC1090
    source <(mfa-session completions bash)
fi

# Prints the segment in FORMAT (default " (%s)"), or nothing when no session applies.
__mfa_session_ps1() {
    local seg
    seg=$(mfa-session prompt --color never 2>/dev/null) || return 0
    [ -n "$seg" ] && printf -- "${1:- (%s)}" "$seg"
    return 0
}

mfa() {
    case "${1:-}" in
        '' | -h | --help)
            echo "usage: mfa PROFILE [COMMAND ARGS...] | mfa off" >&2
            return 2
            ;;
        off)
            unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                AWS_CREDENTIAL_EXPIRATION MFA_SESSION_PROFILE
            ;;
        *)
            local profile=$1 vars
            shift
            if [ $# -gt 0 ]; then
                mfa-session exec --profile "$profile" -- "$@"
            else
                vars=$(mfa-session env --profile "$profile") && eval "$vars"
            fi
            ;;
    esac
}
