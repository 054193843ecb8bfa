/**
 * @module providers/config-fields — reading and writing a config value by a field key. Keys may be
 * dotted paths ("failure.mode") for providers whose config nests; most are flat ("host").
 */

export function configValue(config: Record<string, unknown>, key: string): unknown {
  let cur: unknown = config;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part)) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** A copy of the config with the value set at the key (nested objects made as needed). */
export function withConfigValue(config: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const [head = '', ...rest] = key.split('.');
  if (rest.length === 0) {
    return { ...config, [head]: value };
  }
  const inner = config[head];
  const child = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {};
  return { ...config, [head]: withConfigValue(child, rest.join('.'), value) };
}
