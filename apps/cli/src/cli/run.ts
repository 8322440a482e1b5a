/**
 * `main(argv)`: parses the command line, runs the subcommand and turns every failure into one
 * line on stderr and an exit code.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MechintError, toJson, type ExecutionProvider } from '@mechint/core';
import { COMMANDS } from '../commands/index.js';
import type { Command, OptionValues } from './command.js';
import type { CommandContext, GlobalOptions, TextSink } from './context.js';
import { EXIT_CODES, exitCodeOf, usageError, type ExitCode } from './exit-codes.js';
import { OutputSet } from './output.js';
import { createProgress } from './progress.js';
import { findPngConverter } from '../figures/png.js';

/** Where `main` reads and writes; every field defaults to the process's own. */
export interface MainIO {
  readonly stdout?: TextSink;
  readonly stderr?: TextSink;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

const EPS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'webgpu'];

const GLOBAL_OPTIONS = {
  ep: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  png: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

const GLOBAL_HELP = `Global options (before or after the subcommand):
  --ep cpu|cuda|webgpu   execution provider (default cpu)
  --json                 print the result as JSON on stdout
  -q, --quiet            print nothing but errors (and --json output)
  --debug                print stack traces with errors
  --png                  also write figures as PNG (needs rsvg-convert or Chromium on the PATH)
  -h, --help             help for mechint or a subcommand
  --version              the version of @mechint/cli

Exit codes:
  0 ok · 1 failure while running · 2 wrong command line · 3 bad input (missing or wrong
  files, names or shapes that do not fit) · 4 execution provider unavailable · 130 interrupted`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `mechint — mechanistic interpretability of ONNX models

Usage: mechint <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

${GLOBAL_HELP}

Run 'mechint <command> --help' for a command's options.`;
}

function processSink(stream: NodeJS.WriteStream): TextSink {
  return { write: (text) => void stream.write(text), isTTY: stream.isTTY === true };
}

/** The index of the subcommand word in `argv`, skipping leading global options. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--ep') i++;
    else if (!token.startsWith('-')) return i;
  }
  return -1;
}

function closest(word: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const saved = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = saved;
      }
    }
    return row[b.length]!;
  };
  const best = names.map((n) => [n, distance(word, n)] as const).sort((x, y) => x[1] - y[1])[0];
  return best !== undefined && best[1] <= Math.max(2, word.length / 2) ? best[0] : undefined;
}

function parse(command: Command | undefined, args: readonly string[]): { values: OptionValues; positionals: string[] } {
  const options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as OptionValues, positionals };
  } catch (cause) {
    const name = command === undefined ? 'mechint' : `mechint ${command.name}`;
    const code = (cause as { code?: string }).code;
    const unknown = /Unknown option '([^']+)'/.exec((cause as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== undefined) {
      const known = Object.keys(command?.options ?? {}).map((o) => `--${o}`);
      const near = closest(unknown.replace(/^-+/, ''), Object.keys(options));
      throw usageError(`Unknown option '${unknown}' for ${name}${near === undefined ? '' : `; did you mean --${near}?`}${known.length ? ` Its options: ${known.join(', ')}` : ''} (see ${name} --help).`);
    }
    throw usageError(`${(cause as Error).message.split('\n')[0]} (see ${name} --help).`);
  }
}

function globalsOf(values: OptionValues): GlobalOptions {
  const ep = typeof values['ep'] === 'string' ? values['ep'] : 'cpu';
  if (!(EPS as readonly string[]).includes(ep)) throw usageError(`--ep must be one of ${EPS.join(', ')}; got '${ep}'.`);
  return { ep: ep as ExecutionProvider, json: values['json'] === true, quiet: values['quiet'] === true, debug: values['debug'] === true, png: values['png'] === true };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Runs the `mechint` command line on `argv` (without `node` and the script) and returns the exit
 * code; see {@link EXIT_CODES}. Errors print one line, `mechint: error [CODE] message`, on
 * stderr (with the stack under `--debug`); nothing is ever thrown.
 *
 * @example
 * ```ts
 * import { main } from '@mechint/cli';
 * const code = await main(['inspect', 'packages/core/test/fixtures/gpt2l.onnx', '--json']);
 * process.exitCode = code;
 * ```
 */
export async function main(argv: readonly string[], io: MainIO = {}): Promise<ExitCode> {
  const stdout = io.stdout ?? processSink(process.stdout);
  const stderr = io.stderr ?? processSink(process.stderr);
  let globals: GlobalOptions = { ep: 'cpu', json: argv.includes('--json'), quiet: false, debug: argv.includes('--debug'), png: false };
  try {
    const index = commandIndex(argv);
    const word = index < 0 ? undefined : argv[index]!;
    const command = COMMANDS.find((c) => c.name === word);
    if (word !== undefined && command === undefined) {
      const near = closest(word, COMMANDS.map((c) => c.name));
      throw usageError(`Unknown command '${word}'${near === undefined ? '' : `; did you mean 'mechint ${near}'?`} Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`);
    }
    const rest = index < 0 ? argv : [...argv.slice(0, index), ...argv.slice(index + 1)];
    const { values, positionals } = parse(command, rest);
    globals = globalsOf(values);
    if (command === undefined) {
      if (values['version'] === true) {
        stdout.write(`${version()}\n`);
        return EXIT_CODES.ok;
      }
      if (values['help'] === true) {
        stdout.write(`${overview()}\n`);
        return EXIT_CODES.ok;
      }
      throw usageError(`No command given; run one of ${COMMANDS.map((c) => c.name).join(', ')} (mechint --help lists them).`);
    }
    if (values['help'] === true) {
      stdout.write(`${command.help}\n\n${GLOBAL_HELP}\n`);
      return EXIT_CODES.ok;
    }
    const quiet = globals.quiet;
    const json = globals.json;
    const cwd = io.cwd ?? process.cwd();
    const converter = globals.png ? findPngConverter() : undefined;
    if (globals.png && converter === undefined && !quiet) stderr.write('mechint: no PNG converter (rsvg-convert, chromium) on the PATH; writing SVG figures only.\n');
    const context: CommandContext = {
      globals,
      stdout,
      stderr,
      cwd,
      progress: createProgress(stderr, { quiet: quiet || json }),
      signal: io.signal ?? new AbortController().signal,
      say: (line) => {
        if (!quiet && !json) stdout.write(`${line}\n`);
      },
      outputs: () => new OutputSet(cwd, converter),
    };
    const result = await command.run(context, { values, positionals });
    if (json) stdout.write(`${toJson(result, { indent: 2 })}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    const code = exitCodeOf(error);
    const isMechint = MechintError.isInstance(error);
    const errorCode = isMechint ? error.code : 'RUNTIME_ERROR';
    const message = oneLine(error instanceof Error ? error.message : String(error));
    stderr.write(`mechint: error [${errorCode}] ${message}${!isMechint && !globals.debug ? ' (run with --debug for the stack trace)' : ''}\n`);
    if (globals.debug && error instanceof Error && error.stack !== undefined) stderr.write(`${error.stack}\n`);
    if (globals.json) stdout.write(`${JSON.stringify({ error: { code: errorCode, message, exitCode: code } }, null, 2)}\n`);
    return code;
  }
}
