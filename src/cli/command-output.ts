/**
 * @module cli/command-output — where a command writes: the process's stdout and stderr, or a
 * test's own collector.
 */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};
