# mfa-session for zsh. In ~/.zshrc (after compinit):   eval "$(mfa-session init zsh)"
#
#   setopt PROMPT_SUBST; RPROMPT='$(__mfa_session_ps1)'   segment: " (work 3h12m)", " (work 12m!)", ...
#   mfa work | mfa work terraform plan | mfa off           as in the bash snippet

if (( $+commands[mfa-session] )); then
    (( $+functions[compdef] )) || { autoload -Uz compinit && compinit -i }
    source <(mfa-session completions zsh)
fi

__mfa_session_ps1() {
    # Once the binary is gone (uninstalled), the prompt says nothing rather than fail.
    command -v mfa-session >/dev/null 2>&1 || return 0
    local seg
    seg=$(mfa-session prompt --color never 2>/dev/null) || return 0
    [[ -n $seg ]] && printf -- "${1:- (%s)}" "$seg"
    return 0
}

# What `mfa PROFILE` replaces in this shell, put back by `mfa off`.
__mfa_session_kept=(AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION)

mfa() {
    case "${1:-}" in
        ''|-h|--help) print -u2 "usage: mfa PROFILE [COMMAND ARGS...] | mfa off"; return 2 ;;
        off)
            unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                AWS_CREDENTIAL_EXPIRATION MFA_SESSION_PROFILE AWS_REGION AWS_DEFAULT_REGION
            if (( ${+__mfa_session_saved} )); then
                eval "$__mfa_session_saved"
                unset __mfa_session_saved
            fi ;;
        *)
            if ! command -v mfa-session >/dev/null 2>&1; then
                print -u2 "mfa-session is not installed"
                return 127
            fi
            local profile=$1 vars v
            shift
            if (( $# > 0 )); then
                # One command with this profile, whatever session the shell holds.
                mfa-session exec --nested --profile "$profile" -- "$@"
            else
                vars=$(mfa-session env --profile "$profile") || return
                if (( ! ${+__mfa_session_saved} )); then
                    typeset -g __mfa_session_saved=
                    for v in $__mfa_session_kept; do
                        if (( ${(P)+v} )); then
                            __mfa_session_saved+="export $v=${(q)${(P)v}};"
                        else
                            __mfa_session_saved+="unset $v;"
                        fi
                    done
                fi
                eval "$vars"
                return 0
            fi ;;
    esac
}
