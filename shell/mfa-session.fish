# mfa-session for fish. In ~/.config/fish/config.fish:   mfa-session init fish | source
#
#   __mfa_session_prompt                      prompt segment: " (work 3h12m)", " (work 12m!)", ...
#   mfa work | mfa work terraform plan | mfa off
#
# A fish_prompt with the segment. Give the segment its own argument, last: with no session it is
# empty, and an empty command substitution joined to other text, as in
# `echo (prompt_pwd)(__mfa_session_prompt)'> '`, makes the whole prompt vanish.
#
#   function fish_prompt; printf '%s%s> ' (prompt_pwd) (__mfa_session_prompt | string collect); end

if command -q mfa-session
    mfa-session completions fish | source
end

function __mfa_session_prompt
    # Once the binary is gone (uninstalled), the prompt says nothing rather than fail.
    command -q mfa-session; or return 0
    set -l seg (mfa-session prompt --color never 2>/dev/null)
    and test -n "$seg"
    and printf ' (%s)' "$seg"
    return 0
end

# What `mfa PROFILE` replaces in this shell, put back by `mfa off`.
set -g __mfa_session_kept AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION

function mfa
    switch "$argv[1]"
        case '' -h --help
            echo "usage: mfa PROFILE [COMMAND ARGS...] | mfa off" >&2
            return 2
        case off
            set -e AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION MFA_SESSION_PROFILE AWS_REGION AWS_DEFAULT_REGION
            if set -q __mfa_session_saved
                for line in $__mfa_session_saved
                    eval $line
                end
                set -e __mfa_session_saved
            end
        case '*'
            if not command -q mfa-session
                echo "mfa-session is not installed" >&2
                return 127
            end
            if test (count $argv) -gt 1
                # One command with this profile, whatever session the shell holds.
                mfa-session exec --nested --profile $argv[1] -- $argv[2..-1]
            else
                set -l vars (mfa-session env --profile $argv[1] --format fish); or return
                if not set -q __mfa_session_saved
                    set -g __mfa_session_saved
                    for v in $__mfa_session_kept
                        if set -q $v
                            set -a __mfa_session_saved "set -gx $v "(string escape -- $$v)
                        else
                            set -a __mfa_session_saved "set -e $v"
                        end
                    end
                end
                string join \n -- $vars | source
                return 0
            end
    end
end
