# mfa-session for fish. In ~/.config/fish/config.fish:   source /path/to/mfa-session/shell/mfa-session.fish
#
#   functions in your fish_prompt:  __mfa_session_prompt   segment: " (work 3h12m)", " (work 12m!)", ...
#   mfa work | mfa work terraform plan | mfa off

if command -q mfa-session
    mfa-session completions fish | source
end

function __mfa_session_prompt
    set -l seg (mfa-session prompt --color never 2>/dev/null)
    and test -n "$seg"
    and printf ' (%s)' "$seg"
    return 0
end

function mfa
    switch "$argv[1]"
        case '' -h --help
            echo "usage: mfa PROFILE [COMMAND ARGS...] | mfa off" >&2
            return 2
        case off
            set -e AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION MFA_SESSION_PROFILE
        case '*'
            if test (count $argv) -gt 1
                mfa-session exec --profile $argv[1] -- $argv[2..-1]
            else
                mfa-session env --profile $argv[1] --format fish | source
            end
    end
end
