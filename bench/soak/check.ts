/** One invariant's verdict, with the lines that explain it (kept short for the report). */
export interface Check {
  name: string;
  pass: boolean;
  detail: string[];
}

export function check(name: string, failures: string[], summary: string, limit = 10): Check {
  const detail = [summary, ...failures.slice(0, limit)];
  if (failures.length > limit) {
    detail.push(`… and ${failures.length - limit} more`);
  }
  return { name, pass: failures.length === 0, detail };
}
