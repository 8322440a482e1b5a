/**
 * The shape of a subcommand, and typed readers for its parsed option values.
 */
import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.js';
import { usageError } from './exit-codes.js';

/** Option values as `node:util` `parseArgs` returns them. */
export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** Parsed arguments of one subcommand. */
export interface ParsedArgs {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/** A `mechint` subcommand. */
export interface Command {
  /** The word after `mechint`. */
  readonly name: string;
  /** One line for `mechint --help`. */
  readonly summary: string;
  /** The full `mechint <name> --help` text. */
  readonly help: string;
  /** Its own options (global options are added by the dispatcher). */
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Does the work; the value returned is what `--json` prints. */
  run(context: CommandContext, args: ParsedArgs): Promise<unknown>;
}

/** A string option, or `fallback`. */
export function stringOption(values: OptionValues, name: string): string | undefined;
export function stringOption(values: OptionValues, name: string, fallback: string): string;
export function stringOption(values: OptionValues, name: string, fallback?: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return String(value.at(-1));
  return typeof value === 'string' ? value : fallback;
}

/** Every value of a repeatable string option, commas splitting values too. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  const raw = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  return raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** A required string option; a usage error naming the command otherwise. */
export function requiredOption(values: OptionValues, name: string, command: string, example: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value === '') throw usageError(`mechint ${command} needs --${name}, e.g. --${name} ${example}; see mechint ${command} --help.`);
  return value;
}

/** Options of {@link numberOption}. */
export interface NumberOptionRules {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** A number option, checked, or `fallback`. */
export function numberOption(values: OptionValues, name: string, fallback: number, rules: NumberOptionRules = {}): number {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(value) && (!rules.integer || Number.isInteger(value)) && (rules.min === undefined || value >= rules.min) && (rules.max === undefined || value <= rules.max);
  if (!ok) {
    const range = [rules.min === undefined ? '' : `≥ ${rules.min}`, rules.max === undefined ? '' : `≤ ${rules.max}`].filter((s) => s !== '').join(' and ');
    throw usageError(`--${name} must be ${rules.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}; got '${text}'.`);
  }
  return value;
}

/** One of `choices`, or `fallback`. */
export function choiceOption<T extends string>(values: OptionValues, name: string, choices: readonly T[], fallback: T): T {
  const value = stringOption(values, name);
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw usageError(`--${name} must be one of ${choices.join(', ')}; got '${value}'.`);
  return value as T;
}

/** Exactly `count` positional arguments, named in `what` for the message. */
export function positionals(args: ParsedArgs, command: string, what: readonly string[]): string[] {
  if (args.positionals.length !== what.length) {
    const got = args.positionals.length === 0 ? 'none' : args.positionals.map((p) => `'${p}'`).join(' ');
    throw usageError(`mechint ${command} takes ${what.map((w) => `<${w}>`).join(' ') || 'no positional arguments'}; got ${got}. See mechint ${command} --help.`);
  }
  return [...args.positionals];
}
