# mfa-session for zsh. In ~/.zshrc (after compinit):   source /path/to/mfa-session/shell/mfa-session.zsh
#
#   setopt PROMPT_SUBST; RPROMPT='$(__mfa_session_ps1)'   segment: " (work 3h12m)", " (work 12m!)", ...
#   mfa work | mfa work terraform plan | mfa off           as in the bash snippet

if (( $+commands[mfa-session] )); then
    (( $+functions[compdef] )) || { autoload -Uz compinit && compinit -i }
    source <(mfa-session completions zsh)
fi

__mfa_session_ps1() {
    local seg
    seg=$(mfa-session prompt --color never 2>/dev/null) || return 0
    [[ -n $seg ]] && printf -- "${1:- (%s)}" "$seg"
    return 0
}

mfa() {
    case "${1:-}" in
        ''|-h|--help) print -u2 "usage: mfa PROFILE [COMMAND ARGS...] | mfa off"; return 2 ;;
        off) unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
                 AWS_CREDENTIAL_EXPIRATION MFA_SESSION_PROFILE ;;
        *)
            local profile=$1 vars
            shift
            if (( $# > 0 )); then
                mfa-session exec --profile "$profile" -- "$@"
            else
                vars=$(mfa-session env --profile "$profile") && eval "$vars"
            fi ;;
    esac
}
