// Shell completion, as git, kubectl and the aws CLI give it: `pipeline completion bash|zsh|fish`
// prints a script that asks `pipeline __complete WORDS…` for the candidates of the word being
// typed, so they come from the CLI itself (its commands and options, the pipeline's stages, the
// run ids of .pipeline/runs) and cannot drift from it.
import { readdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { pipelinePaths } from '../shared/pipeline-paths.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Options whose value is a stage name. */
const STAGE_OPTIONS = new Set(['--from', '--to', '--only']);
/** Commands whose arguments are run ids. */
const RUN_COMMANDS = new Set(['show', 'diff']);

const optionNames = (command: Command): string[] =>
  command.options.flatMap((option) =>
    [option.long, option.short].filter((name): name is string => Boolean(name)),
  );

/** Whether an option of `command` takes a value (its next word is not a command or argument). */
const takesValue = (command: Command, word: string): boolean =>
  command.options.some(
    (option) => (option.long === word || option.short === word) && (option.required || option.optional),
  );

/**
 * The candidates for the last of `words` (the words after `pipeline`, the last one being typed,
 * maybe empty), one per line, those that start with it.
 */
export async function completionCandidates(
  program: Command,
  words: readonly string[],
  stageNames: readonly string[],
  cwd: string,
): Promise<string[]> {
  const typed = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  // Walk down the commands the words name, skipping options and their values.
  let command = program;
  const positional: string[] = [];
  for (let index = 0; index < before.length; index++) {
    const word = before[index] as string;
    if (word.startsWith('-')) {
      if (!word.includes('=') && takesValue(command, word)) index++;
      continue;
    }
    const sub = command.commands.find((candidate) => candidate.name() === word);
    if (sub && positional.length === 0) command = sub;
    else positional.push(word);
  }
  const previous = before.at(-1);
  let candidates: string[];
  if (previous && STAGE_OPTIONS.has(previous)) candidates = [...stageNames];
  else if (previous && takesValue(command, previous)) candidates = [];
  else if (typed.startsWith('-')) candidates = optionNames(command);
  else if (command.commands.length > 0)
    candidates = command.commands.map((sub) => sub.name()).filter((name) => name !== '__complete');
  else if (RUN_COMMANDS.has(command.name())) candidates = await runIds(words, cwd);
  else if (command.name() === 'completion') candidates = [...SHELLS];
  else candidates = [];
  return candidates.filter((candidate) => candidate.startsWith(typed));
}

/** The runs of the pipeline the words point at (--file, else ./pipeline.yaml), newest first. */
async function runIds(words: readonly string[], cwd: string): Promise<string[]> {
  const at = words.findIndex((word) => word === '--file' || word === '-f');
  const file = resolve(cwd, at >= 0 && words[at + 1] ? (words[at + 1] as string) : 'pipeline.yaml');
  const names = await readdir(pipelinePaths.runs(resolve(dirname(file), '.pipeline'))).catch(
    () => [] as string[],
  );
  const ids = names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort()
    .reverse();
  return ['last', 'last~1', ...ids];
}

/** The script that wires `pipeline` into a shell; `cli` is how to run this CLI. */
export function completionScript(shell: Shell, cli: string): string {
  switch (shell) {
    case 'bash':
      return `# pipeline completion for bash: eval "$(pipeline completion bash)", or save it in
# /etc/bash_completion.d/pipeline (or ~/.local/share/bash-completion/completions/pipeline).
_pipeline_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(${cli} __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _pipeline_complete pipeline
`;
    case 'zsh':
      return `#compdef pipeline
# pipeline completion for zsh: eval "$(pipeline completion zsh)", or save it as _pipeline in a
# folder of your $fpath.
_pipeline() {
  local -a candidates
  candidates=("\${(@f)$(${cli} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
if (( $+functions[compdef] )); then compdef _pipeline pipeline; fi
`;
    case 'fish':
      return `# pipeline completion for fish: pipeline completion fish > ~/.config/fish/completions/pipeline.fish
function __pipeline_complete
  set -l words (commandline -opc) (commandline -ct)
  ${cli} __complete $words[2..-1] 2>/dev/null
end
complete -c pipeline -f -a '(__pipeline_complete)'
`;
  }
}
