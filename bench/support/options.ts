/**
 * Command-line options of the benches run on their own (`--name value` and `--flag`), read from
 * process.argv after the script's path.
 */

/** The value after `name` (e.g. '--pg'), or undefined when `name` is not given. */
export function option(name: string, args: readonly string[] = process.argv.slice(2)): string | undefined {
  return args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
}
