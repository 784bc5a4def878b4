/**
 * The scripts `mkt completion <shell>` prints. Each one only forwards the words being typed to
 * `mkt __complete -- <words…>` and shows its answer (one `value<TAB>description` per line):
 * the knowledge of commands, flags and names stays in mkt, so an upgrade needs no new script.
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BASH = `# mkt completion for bash. Load it with:  source <(mkt completion bash)
# or keep it:  mkt completion bash > ~/.local/share/bash-completion/completions/mkt
_mkt_complete() {
  local line value
  COMPREPLY=()
  while IFS= read -r line; do
    value=\${line%%$'\\t'*}
    [[ -n $value ]] && COMPREPLY+=("$value")
  done < <(mkt __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -o default -F _mkt_complete mkt
`;

const ZSH = `#compdef mkt
# mkt completion for zsh. Load it with:  source <(mkt completion zsh)
# or keep it as _mkt in a folder of your $fpath.
_mkt() {
  local -a lines items
  local line
  lines=("\${(@f)$(mkt __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for line in "\${lines[@]}"; do
    [[ -z $line ]] && continue
    items+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
  done
  if (( \${#items} )); then
    _describe 'mkt' items
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _mkt mkt
fi
`;

const FISH = `# mkt completion for fish. Load it with:  mkt completion fish | source
# or keep it:  mkt completion fish > ~/.config/fish/completions/mkt.fish
function __mkt_complete
    set -l words (commandline -opc) (commandline -ct)
    mkt __complete -- $words[2..-1] 2>/dev/null
end
complete -c mkt -f -a '(__mkt_complete)'
`;

export function completionScript(shell: Shell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}
