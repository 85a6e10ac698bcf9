# mfa-session for bash. In ~/.bashrc:   eval "$(mfa-session init bash)"
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
    # Once the binary is gone (uninstalled), the prompt says nothing rather than fail.
    command -v mfa-session >/dev/null 2>&1 || return 0
    local seg
    seg=$(mfa-session prompt --color never 2>/dev/null) || return 0
    [ -n "$seg" ] && printf -- "${1:- (%s)}" "$seg"
    return 0
}

# What `mfa PROFILE` replaces in this shell, put back by `mfa off`.
__mfa_session_kept="AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION"

mfa() {
    case "${1:-}" in
        '' | -h | --help)
            echo "usage: mfa PROFILE [COMMAND ARGS...] | mfa off" >&2
            return 2
            ;;
        off)
            unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                AWS_CREDENTIAL_EXPIRATION MFA_SESSION_PROFILE AWS_REGION AWS_DEFAULT_REGION
            if [ -n "${__mfa_session_saved+x}" ]; then
                eval "$__mfa_session_saved"
                unset __mfa_session_saved
            fi
            ;;
        *)
            if ! command -v mfa-session >/dev/null 2>&1; then
                echo "mfa-session is not installed" >&2
                return 127
            fi
            local profile=$1 vars v
            shift
            if [ $# -gt 0 ]; then
                # One command with this profile, whatever session the shell holds.
                mfa-session exec --nested --profile "$profile" -- "$@"
            else
                vars=$(mfa-session env --profile "$profile") || return
                if [ -z "${__mfa_session_saved+x}" ]; then
                    __mfa_session_saved=
                    for v in $__mfa_session_kept; do
                        if [ -n "${!v+x}" ]; then
                            __mfa_session_saved+="export $v=$(printf %q "${!v}");"
                        else
                            __mfa_session_saved+="unset $v;"
                        fi
                    done
                fi
                eval "$vars"
                return 0
            fi
            ;;
    esac
}
