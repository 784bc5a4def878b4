/**
 * The one place flag values are parsed. Each parser is a commander argument parser: a bad
 * value throws InvalidArgumentError, which commander reports naming the flag
 * ("option '--count <n>' argument '1e12' is invalid. …") and main turns into exit 64. So every
 * bad flag value is a usage error before the command runs, whatever command it belongs to;
 * exit 65 stays for bad file content.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from 'commander';
import { tryParseRate, type Rate } from '../util/rate.js';

const DIGITS = /^[0-9]+$/;
/** A plain decimal number: digits, optionally a fraction. No sign, exponent, hex or spaces. */
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
/** Longer than this is never a useful count, and past 15 digits doubles stop being exact. */
const MAX_DIGITS = 15;

const grouped = (n: number) => n.toLocaleString('en-US');

/**
 * Parses a whole number written in decimal digits only, within [min, max]. `1e12`, `0x10`,
 * `+5`, `5.0`, ` 5` and 20-digit numbers are refused: Number() would take them all.
 */
export function intFlag(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = DIGITS.test(value) && value.length <= MAX_DIGITS ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${grouped(min)} to ${grouped(max)} (decimal digits only)`);
    return n;
  };
}

/** Parses a plain decimal amount (`12`, `12.5`) within [min, max]: no sign, exponent or hex. */
export function decimalFlag(min: number, max: number, what = 'a number'): (value: string) => number {
  return (value: string) => {
    const n = DECIMAL.test(value) && value.length <= 2 * MAX_DIGITS ? Number(value) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${what} from ${grouped(min)} to ${grouped(max)}, e.g. 12 or 12.5`);
    return n;
  };
}

/** One of a fixed list of words. */
export function choiceFlag<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
    return value as T;
  };
}

/** A send rate (`50/s`, `600/m`, `10000/h`), kept as written for the core to use. */
export function rateFlag(value: string): string {
  const rate: Rate | undefined = tryParseRate(value);
  if (!rate) throw new InvalidArgumentError('expected a rate such as 50/s, 600/m or 10000/h (above 0, at most 100,000/s)');
  return value;
}

/** A value the core's own check accepts (`check` returns the problem, or undefined). */
export function checkedFlag(check: (value: string) => string | undefined): (value: string) => string {
  return (value: string) => {
    const problem = check(value);
    if (problem) throw new InvalidArgumentError(problem);
    return value;
  };
}

/**
 * `serve --host`: an interface to listen on, as an IP address (or `localhost`). A host name
 * would need a DNS lookup at listen time, after the database was opened, and a name that
 * resolves elsewhere tomorrow is not an interface.
 */
export const hostFlag = checkedFlag((value) => (isIP(value) || value === 'localhost' ? undefined : 'expected an IP address of this machine (127.0.0.1, 0.0.0.0, ::1, ::) or localhost'));

// Documented bounds (README), shared by every command that takes the flag.
/** a page of customers or of a segment's preview */
export const listLimit = intFlag(1, 1_000_000);
export const listOffset = intFlag(0, 1_000_000_000_000);
/** `customers seed --count`: one transaction; 10 million is about 4 GB of database */
export const seedCount = intFlag(1, 10_000_000);
/** demo data seeds: the generator takes 32-bit seeds */
export const seedNumber = intFlag(0, 4_294_967_295);
/** `demo --customers` */
export const demoCustomers = intFlag(1, 1_000_000);
/** requests in flight at once (the same ceiling as `concurrency:` in providers.yaml) */
export const concurrency = intFlag(1, 1024);
/** `send --limit`: a canary batch */
export const sendLimit = intFlag(1, 1_000_000_000);
/** `campaign send --allow-render-failures`. */
export const renderFailuresAllowed = intFlag(0, 1_000_000_000);
/** seconds in-flight requests may finish after Ctrl-C */
export const graceSeconds = intFlag(0, 3600);
/** `campaign status --watch --interval`: seconds between readings. */
export const watchInterval = intFlag(1, 3600);
/** `campaign report --limit`: rows. */
export const reportLimit = intFlag(1, 1_000_000_000);
/** an SMS template's segment ceiling (as `max_segments:`) */
export const maxSegments = intFlag(1, 10);
export const port = intFlag(0, 65_535);
export const percent = decimalFlag(0, 100, 'a percentage');
export const amount = decimalFlag(0, 1_000_000_000_000, 'an amount');

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
